// Package docview shows a document's parsed form the way an AP clerk reads
// it: an invoice as a header, a lines table and its charges; an
// acknowledgement as "accepted / rejected" with its problems in words; a
// purchase order as its number, purpose and lines. The exceptions and
// documents screens both use it, so a document looks the same everywhere.
//
// The input is the engine's stored parsed form (JSON). Anything this package
// does not recognise falls back to the generic labelled fields the caller
// already has, so nothing the engine stored is ever hidden.
package docview

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// Field is one labelled value of the generic (fallback) view.
type Field struct{ Name, Value string }

// MaxLines is the most document lines the table shows; a larger document
// says how many it left out (the raw EDI still has them all).
const MaxLines = 500

// form is the engine's stored parsed form: the screens decode the type the
// engine writes (engine.DecodeParsed), not a copy of it.
type form = engine.ParsedForm

// Kind reports which readable view parsed gets: "810", "997", "850", or ""
// for the generic fallback (empty, unparseable or unknown content).
func Kind(parsed []byte) string {
	f, ok := decode(parsed)
	if !ok {
		return ""
	}
	switch {
	case f.Invoice != nil:
		return "810"
	case f.Ack != nil:
		return "997"
	case f.PO != nil:
		return "850"
	}
	return ""
}

func decode(parsed []byte) (form, bool) {
	if len(parsed) == 0 {
		return form{}, false
	}
	f, err := engine.DecodeParsed(parsed)
	return f, err == nil
}

// View builds the readable view of parsed, or the generic form of fields
// when parsed is not an 810, 997 or 850 the engine stored. Call it on the
// UI goroutine (it creates widgets).
func View(parsed []byte, fields []Field) fyne.CanvasObject {
	f, ok := decode(parsed)
	var parts []fyne.CanvasObject
	switch {
	case ok && f.Invoice != nil:
		parts = invoiceView(f)
	case ok && f.Ack != nil:
		parts = ackView(f)
	case ok && f.PO != nil:
		parts = poView(f)
	default:
		return Generic(fields)
	}
	return container.NewVBox(parts...)
}

// Generic is the labelled-fields view: one bold name and its value per row.
func Generic(fields []Field) fyne.CanvasObject {
	box := container.New(layout.NewFormLayout())
	for _, f := range fields {
		v := widget.NewLabel(f.Value)
		v.Wrapping = fyne.TextWrapWord
		box.Add(widget.NewLabelWithStyle(f.Name, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
		box.Add(v)
	}
	return box
}

func heading(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// pairs lays out name/value pairs, skipping empty values.
func pairs(kv ...string) *fyne.Container {
	box := container.New(layout.NewFormLayout())
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		// Not wrapped: values are short, and a wrapped label in a narrow
		// form column breaks "INV-100004" one letter per line.
		v := widget.NewLabel(kv[i+1])
		box.Add(widget.NewLabelWithStyle(kv[i], fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
		box.Add(v)
	}
	return box
}

// table lays out a header row and rows in columns as wide as their widest
// cell, inside a horizontal scroll: a narrow pane scrolls the table instead
// of widening the screen or truncating every cell to "…". The columns in
// right (amounts, quantities) align right.
func table(head []string, right map[int]bool, grow int, rows [][]string) fyne.CanvasObject {
	align := func(i int) fyne.TextAlign {
		if right[i] {
			return fyne.TextAlignTrailing
		}
		return fyne.TextAlignLeading
	}
	g := container.New(&columns{n: len(head), grow: grow})
	for i, h := range head {
		g.Add(widget.NewLabelWithStyle(h, align(i), fyne.TextStyle{Bold: true}))
	}
	for _, r := range rows {
		for i, c := range r {
			g.Add(widget.NewLabelWithStyle(c, align(i), fyne.TextStyle{}))
		}
	}
	return container.NewHScroll(g)
}

// columns is a grid whose columns are as wide as their widest cell; spare
// width goes to column grow (the free text) so the table spans the pane.
type columns struct{ n, grow int }

func (c *columns) widths(objs []fyne.CanvasObject) ([]float32, []float32) {
	w := make([]float32, c.n)
	h := make([]float32, (len(objs)+c.n-1)/c.n)
	for i, o := range objs {
		m := o.MinSize()
		w[i%c.n] = max(w[i%c.n], m.Width)
		h[i/c.n] = max(h[i/c.n], m.Height)
	}
	return w, h
}

// MinSize implements fyne.Layout.
func (c *columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w, h := c.widths(objs)
	var s fyne.Size
	for _, x := range w {
		s.Width += x
	}
	for _, y := range h {
		s.Height += y
	}
	return s
}

// Layout implements fyne.Layout.
func (c *columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w, h := c.widths(objs)
	if extra := size.Width - c.MinSize(objs).Width; extra > 0 && c.grow < c.n {
		w[c.grow] += extra
	}
	var y float32
	for r, rh := range h {
		var x float32
		for col := 0; col < c.n && r*c.n+col < len(objs); col++ {
			o := objs[r*c.n+col]
			o.Move(fyne.NewPos(x, y))
			o.Resize(fyne.NewSize(w[col], rh))
			x += w[col]
		}
		y += rh
	}
}

// lineHead are the columns of a document's lines; numbers align right.
var (
	lineHead  = []string{"Line", "Buyer part", "Vendor part", "Description", "Qty", "Unit", "Unit price", "Extension"}
	lineRight = map[int]bool{4: true, 6: true, 7: true}
)

// problems lists the parser's errors and warnings, if any.
func problems(f form) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for _, e := range f.Errors {
		l := widget.NewLabel("Error: " + e)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.DangerImportance
		out = append(out, l)
	}
	for _, w := range f.Warnings {
		l := widget.NewLabel("Warning: " + w)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		out = append(out, l)
	}
	return out
}

func amount(d money.Decimal, cur string) string {
	if !d.Valid() {
		return "invalid amount"
	}
	return strings.TrimSpace(d.String() + " " + cur)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// day is t as a calendar date, or "" when it was not sent. Document dates
// are dates, not instants: no zone conversion.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// Extension is quantity × unit price, exact, rounded to cents when the
// product carries more places (prices with 4 decimals).
func Extension(qty, price money.Decimal) money.Decimal {
	e := qty.Mul(price)
	if e.Valid() && e.Scale() > 2 {
		e = e.Round(2)
	}
	return e
}

// ChargeText is a SAC code with its meaning, e.g. "D240 freight".
func ChargeText(code, desc string) string {
	w := x12.ChargeCodeText[strings.ToUpper(code)]
	switch {
	case w != "" && desc != "" && !strings.EqualFold(w, desc):
		return code + " " + w + " (" + desc + ")"
	case w != "":
		return code + " " + w
	case desc != "":
		return code + " " + desc
	}
	return code
}

func invoiceView(f form) []fyne.CanvasObject {
	inv := f.Invoice
	title := "Invoice " + inv.Number
	if inv.CreditMemo {
		title = "Credit memo " + inv.Number
	}
	out := []fyne.CanvasObject{heading(title)}
	out = append(out, problems(f)...)
	out = append(out, pairs(
		"Invoice number", inv.Number,
		"Invoice date", day(inv.Date),
		"PO number", inv.PONumber,
		"Currency", inv.Currency,
		"Total", amount(inv.Total, inv.Currency),
		"Tax", amount(inv.Tax, inv.Currency),
		"Credit memo", yesNo(inv.CreditMemo)))
	out = append(out, heading(fmt.Sprintf("Lines (%d)", len(inv.Lines))))
	rows := make([][]string, 0, min(len(inv.Lines), MaxLines))
	for i, l := range inv.Lines {
		if i == MaxLines {
			break
		}
		rows = append(rows, []string{l.LineNumber, l.BuyerPart, l.VendorPart, l.Description, l.Quantity.String(), l.UOM,
			l.UnitPrice.String(), amount(Extension(l.Quantity, l.UnitPrice), "")})
	}
	out = append(out, table(lineHead, lineRight, 3, rows))
	if n := len(inv.Lines) - MaxLines; n > 0 {
		out = append(out, widget.NewLabel(fmt.Sprintf("… and %d more lines (see the raw EDI)", n)))
	}
	if len(inv.Charges) > 0 {
		out = append(out, heading("Charges and allowances"))
		var rows [][]string
		for _, c := range inv.Charges {
			kind, sign := "charge", "+"
			if c.Allowance {
				kind, sign = "allowance", "−"
			}
			rows = append(rows, []string{ChargeText(c.Code, c.Description), kind, sign + amount(c.Amount.Abs(), inv.Currency)})
		}
		out = append(out, table([]string{"Code", "Kind", "Amount"}, map[int]bool{2: true}, 0, rows))
	}
	if si := f.IFSResult; si != nil {
		out = append(out, heading("Posted in IFS"), ifsPairs(si))
	} else if si := f.Payload; si != nil {
		out = append(out, heading("Would post to IFS"), ifsPairs(si))
	}
	return out
}

func ifsPairs(si *domain.SupplierInvoice) *fyne.Container {
	id := ""
	if si.InvoiceID != 0 {
		id = fmt.Sprint(si.InvoiceID)
	}
	return pairs(
		"IFS invoice id", id,
		"Supplier", si.SupplierID,
		"Company", si.Company,
		"Invoice number", si.InvoiceNo,
		"PO reference", si.PORef,
		"Gross", amount(si.GrossAmount, si.Currency),
		"State", si.State,
	)
}

func ackView(f form) []fyne.CanvasObject {
	a := f.Ack
	out := []fyne.CanvasObject{heading("Acknowledgement (997)")}
	out = append(out, problems(f)...)
	words := "No status given (AK9 missing)"
	if a.Status != "" {
		words = capital(engine.AckStatusWords(a.Status))
	}
	status := widget.NewLabelWithStyle(words, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	switch strings.ToUpper(a.Status) {
	case "A":
		status.Importance = widget.SuccessImportance
	case "R":
		status.Importance = widget.DangerImportance
	default:
		status.Importance = widget.WarningImportance
	}
	out = append(out, status, pairs(
		"Acknowledges", functionalWords(a.FunctionalID),
		"Group control number", a.GroupControlNumber,
	))
	if len(a.Sets) == 0 {
		return out
	}
	out = append(out, heading(fmt.Sprintf("Transaction sets (%d)", len(a.Sets))))
	for _, s := range a.Sets {
		l := widget.NewLabel(fmt.Sprintf("Set %s: %s", s.ControlNumber, engine.AckStatusWords(s.Status)))
		if strings.ToUpper(s.Status) == "R" {
			l.Importance = widget.DangerImportance
		}
		out = append(out, l)
		for _, p := range s.Problems {
			pl := widget.NewLabel("    • " + engine.AckProblemWords(p))
			pl.Wrapping = fyne.TextWrapWord
			out = append(out, pl)
		}
	}
	return out
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// functionalWords names a GS01 functional id, e.g. "PO (purchase orders)".
func functionalWords(id string) string {
	w := map[string]string{"PO": "purchase orders", "IN": "invoices", "FA": "acknowledgements", "PR": "PO acknowledgements", "SH": "ship notices"}[strings.ToUpper(id)]
	if w == "" {
		return id
	}
	return id + " (" + w + ")"
}

// PurposeWords renders a BEG01 purpose code in plain words.
func PurposeWords(code string) string {
	switch code {
	case "00":
		return "original"
	case "05":
		return "replace"
	case "01":
		return "cancel"
	case "":
		return ""
	}
	return "code " + code
}

func poView(f form) []fyne.CanvasObject {
	p := f.PO
	o := p.Order
	out := []fyne.CanvasObject{heading("Purchase order " + o.OrderNo)}
	out = append(out, problems(f)...)
	sup := o.SupplierID
	if p.Supplier.Name != "" {
		sup = strings.TrimSpace(o.SupplierID + " " + p.Supplier.Name)
	}
	out = append(out, pairs(
		"PO number", o.OrderNo,
		"Purpose", PurposeWords(p.Purpose),
		"Order date", day(o.OrderDate),
		"Supplier", sup,
		"Buyer", p.BuyerName,
		"Currency", o.Currency,
	))
	out = append(out, heading(fmt.Sprintf("Lines (%d)", len(o.Lines))))
	rows := make([][]string, 0, min(len(o.Lines), MaxLines))
	for i, l := range o.Lines {
		if i == MaxLines {
			break
		}
		rows = append(rows, []string{l.LineNo, l.PartNo, l.VendorPartNo, l.Description, l.Quantity.String(), l.Unit,
			l.UnitPrice.String(), amount(Extension(l.Quantity, l.UnitPrice), "")})
	}
	out = append(out, table(lineHead, lineRight, 3, rows))
	if n := len(o.Lines) - MaxLines; n > 0 {
		out = append(out, widget.NewLabel(fmt.Sprintf("… and %d more lines (see the raw EDI)", n)))
	}
	return out
}
