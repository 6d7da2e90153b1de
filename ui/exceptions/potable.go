package exceptions

import (
	"context"
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// poColumns are the side-by-side table's columns: the PO's figures first
// (what was ordered), then the invoice's (what is billed). The widths fit the
// detail pane at 1366×768 with the table's tighter padding.
var poColumns = []struct {
	title string
	width float32
}{
	{"Line", 36}, {"Part", 82}, {"Description", 112},
	{"Qty", 46}, {"Unit", 40}, {"Price", 56},
	{"Qty", 46}, {"Unit", 40}, {"Price", 56},
	{"Status", 94},
}

// poWidths are the column widths; groupWidths those of the heading row
// above them ("IFS PO" over the PO's three columns, "Invoice" over the invoice's).
var poWidths, groupWidths = func() ([]float32, []float32) {
	w := make([]float32, len(poColumns))
	for i, c := range poColumns {
		w[i] = c.width
	}
	return w, []float32{w[0] + w[1] + w[2], w[3] + w[4] + w[5], w[6] + w[7] + w[8], w[9]}
}()

// fetchPO reads the PO off the UI goroutine and shows it in one fyne.Do,
// unless the clerk opened another exception meanwhile.
func (s *Screen) fetchPO(d *Detail, seq int) {
	no := d.ComparePO
	uikit.Load(s.poL, func(ctx context.Context) (domain.PurchaseOrder, error) { return s.src.PurchaseOrder(ctx, no) },
		func(po domain.PurchaseOrder, err error) {
			if seq != s.poSeq || s.cur != d {
				return
			}
			s.showPO(d, po, err)
		})
}

func (s *Screen) showPO(d *Detail, po domain.PurchaseOrder, err error) {
	s.linesBox.Objects = nil
	s.poRows = nil
	if err != nil {
		s.poMsg.SetText(fmt.Sprintf("Could not read purchase order %s from IFS. %s", d.ComparePO, advice(err)))
		s.poMsg.Importance = widget.DangerImportance
		s.linesBox.Add(s.poMsg)
		if len(d.Lines) > 0 {
			s.linesBox.Add(widget.NewLabel("What the engine recorded when it failed:"))
			s.linesBox.Add(contextGrid(d.Lines))
		}
		s.linesBox.Refresh()
		return
	}
	rows := MatchPO(d.InvoiceLines, po, d.Units)
	s.poRows = rows
	n := 0
	for _, r := range rows {
		if r.Differs() {
			n++
		}
	}
	sum := fmt.Sprintf("Purchase order %s in IFS (%s, %s) against invoice %s: ", po.OrderNo, orDash(po.State), orDash(po.Currency), d.BusinessKey)
	switch n {
	case 0:
		sum += "every line matches."
	case 1:
		sum += "1 line differs (highlighted)."
	default:
		sum += fmt.Sprintf("%d lines differ (highlighted).", n)
	}
	s.poMsg.SetText(sum)
	s.poMsg.Importance = widget.MediumImportance
	group := func(t string) *widget.Label {
		l := widget.NewLabelWithStyle(t, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	table := container.NewVBox(
		container.New(&columnsLayout{widths: groupWidths}, widget.NewLabel(""), group("IFS PO"), group("Invoice"), widget.NewLabel("")),
		poRow(headerCells(), true))
	for _, r := range rows {
		table.Add(poRow(rowCells(r), false))
	}
	s.linesBox.Add(s.poMsg)
	s.linesBox.Add(container.NewHScroll(container.NewThemeOverride(table, compactTheme{})))
	s.linesBox.Refresh()
}

// Comparison is the side-by-side rows the pane shows, nil while the PO is
// being read or could not be; for tests.
func (s *Screen) Comparison() []LineMatch { return s.poRows }

// ComparisonMessage is the line above the side-by-side table (loading,
// summary, or why IFS could not be read).
func (s *Screen) ComparisonMessage() string {
	if s.poMsg == nil {
		return ""
	}
	return s.poMsg.Text
}

type cell struct {
	text string
	imp  widget.Importance
	mark bool // a difference: coloured background and bold
}

func headerCells() []cell {
	out := make([]cell, len(poColumns))
	for i, c := range poColumns {
		out[i] = cell{text: c.title}
	}
	return out
}

func rowCells(r LineMatch) []cell {
	diff := func(text string, differs bool) cell {
		if differs {
			return cell{text: text, imp: widget.DangerImportance, mark: true}
		}
		return cell{text: text}
	}
	part := r.PO.PartNo
	if part == "" {
		part = firstOf(r.Invoice.BuyerPart, r.Invoice.VendorPart, r.PO.VendorPartNo)
	}
	desc := firstOf(r.PO.Description, r.Invoice.Description)
	line := firstOf(r.PO.LineNo, r.Invoice.LineNo)
	c := []cell{{text: orDash(line)}, {text: orDash(part)}, {text: orDash(desc)}}
	po := []cell{{text: "—"}, {text: "—"}, {text: "—"}}
	inv := []cell{{text: "—"}, {text: "—"}, {text: "—"}}
	if r.State != NotOnPO {
		po = []cell{{text: r.PO.Quantity.String()}, {text: r.PO.Unit}, {text: r.PO.UnitPrice.String()}}
	}
	if r.State != NotInvoiced {
		inv = []cell{
			diff(r.Invoice.Qty.String(), r.QtyDiffers),
			diff(r.Invoice.Unit, r.UnitDiffers),
			diff(r.Invoice.Price.String(), r.PriceDiffers),
		}
	}
	if r.State == Matched {
		for i, d := range []bool{r.QtyDiffers, r.UnitDiffers, r.PriceDiffers} {
			if d {
				po[i].mark = true
			}
		}
	}
	var st cell
	switch r.State {
	case NotOnPO:
		st = cell{text: "no PO line", imp: widget.DangerImportance, mark: true}
	case NotInvoiced:
		st = cell{text: "not invoiced", imp: widget.WarningImportance}
	default:
		var what []string
		for _, x := range []struct {
			d bool
			w string
		}{{r.QtyDiffers, "qty"}, {r.UnitDiffers, "unit"}, {r.PriceDiffers, "price"}} {
			if x.d {
				what = append(what, x.w)
			}
		}
		if len(what) == 0 {
			st = cell{text: "matches", imp: widget.SuccessImportance}
		} else {
			st = cell{text: "≠ " + strings.Join(what, ", "), imp: widget.DangerImportance}
		}
	}
	c = append(c, po...)
	c = append(c, inv...)
	return append(c, st)
}

// poRow lays cells out at the columns' fixed widths: a plain grid would give
// the description as little room as the unit.
func poRow(cells []cell, header bool) fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, len(cells))
	for i, c := range cells {
		l := widget.NewLabel(c.text)
		l.Truncation = fyne.TextTruncateEllipsis
		l.Importance = c.imp
		l.TextStyle.Bold = c.mark || header
		if i >= 3 && i <= 8 && (i-3)%3 != 1 {
			l.Alignment = fyne.TextAlignTrailing // numbers line up
		}
		if c.mark {
			bg := canvas.NewRectangle(markColour())
			objs[i] = container.NewStack(bg, l)
		} else {
			objs[i] = l
		}
	}
	return container.New(&columnsLayout{widths: poWidths}, objs...)
}

// markColour is the theme's error colour made faint, so highlighted text
// stays readable in light and dark themes.
func markColour() color.Color {
	r, g, b, _ := theme.Color(theme.ColorNameError).RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x30}
}

// columnsLayout places its objects side by side at fixed widths.
type columnsLayout struct{ widths []float32 }

func (c *columnsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	for i, o := range objs {
		w := c.widths[i]
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w
	}
}

func (c *columnsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		w += c.widths[i]
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(w, h)
}

// compactTheme is the app's current theme with less padding inside labels,
// so ten columns fit the detail pane; colours and fonts follow the app's
// theme, light or dark, as it changes.
type compactTheme struct{}

func (compactTheme) base() fyne.Theme {
	if a := fyne.CurrentApp(); a != nil && a.Settings().Theme() != nil {
		return a.Settings().Theme()
	}
	return theme.DefaultTheme()
}

func (t compactTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.base().Color(n, v)
}
func (t compactTheme) Font(s fyne.TextStyle) fyne.Resource     { return t.base().Font(s) }
func (t compactTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base().Icon(n) }
func (t compactTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameInnerPadding {
		return 3
	}
	return t.base().Size(n)
}

// contextGrid is the failing attribute as the engine recorded it: shown when
// there is no PO to read, or IFS could not be reached.
func contextGrid(lines []LineDiff) fyne.CanvasObject {
	grid := container.NewGridWithColumns(4, bold("Line"), bold("Field"), bold("Invoice"), bold("IFS PO"))
	for _, ln := range lines {
		for _, c := range ln.Cells {
			inv, po := widget.NewLabel(c.Invoice), widget.NewLabel(c.PO)
			field := widget.NewLabel(c.Label)
			if c.Differs {
				inv.Importance, po.Importance = widget.DangerImportance, widget.DangerImportance
				inv.TextStyle.Bold, po.TextStyle.Bold = true, true
				field.SetText(c.Label + " ≠")
			}
			grid.Add(widget.NewLabel(ln.Line))
			grid.Add(field)
			grid.Add(inv)
			grid.Add(po)
		}
	}
	return grid
}

func firstOf(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
