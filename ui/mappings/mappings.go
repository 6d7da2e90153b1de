// Package mappings is the screen for the reference mappings the engine
// applies: EDI partners ↔ IFS suppliers (with suggested matches to confirm),
// GL coding rules, unit-of-measure conversions and per-supplier tolerances,
// each exportable to and importable from CSV, plus the change history.
package mappings

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// Kinds of tabular mappings.
const (
	GL         = "gl"
	UoM        = "uom"
	Tolerances = "tolerances"
)

var kindTitles = map[string]string{GL: "GL coding rules", UoM: "Unit-of-measure conversions", Tolerances: "Tolerances"}

// Suggestion is a proposed IFS supplier for a partner.
type Suggestion struct {
	SupplierID, Name, Why string
}

// PartnerMapping is one EDI partner and the IFS supplier it maps to.
type PartnerMapping struct {
	PartnerKey   string // "ZZ:ACME01"
	PartnerName  string
	SupplierID   string // "" when unmapped
	SupplierName string
	Suggestions  []Suggestion
	// SelfBilling: we create this supplier's invoices in IFS and send them
	// to it as 810s (the invoices-out flow).
	SelfBilling bool
	// NetworkSupplierID is the IFS supplier id Cleo's partner record holds;
	// without a mapping the engine uses it, so the partner is not unmapped.
	NetworkSupplierID string
	// Waiting counts the partner's open exceptions that wait for a mapping.
	Waiting int
}

// Change is one entry of the mapping history.
type Change struct {
	Time  time.Time
	Actor string
	What  string
}

// Source is what the screen needs from the engine (called off the UI goroutine).
type Source interface {
	Partners(ctx context.Context) ([]PartnerMapping, error)
	MapPartner(ctx context.Context, partnerKey, supplierID string) error
	// SetSelfBilling marks a mapped partner self-billing (810s out) or not.
	SetSelfBilling(ctx context.Context, partnerKey string, on bool) error
	// Table returns a tabular mapping (GL, UoM or Tolerances) with its header.
	Table(ctx context.Context, kind string) (header []string, rows [][]string, err error)
	ExportCSV(ctx context.Context, kind string) ([]byte, error)
	// PreviewCSV checks a CSV file against the IFS reference data and says
	// what importing it (replacing the table) would add, change and
	// delete; nothing is written.
	PreviewCSV(ctx context.Context, kind string, data []byte) (ImportPlan, error)
	// ImportCSV applies a previewed file, replacing the table; it deletes
	// only when confirmDeletes is the number of deletions the preview showed.
	// It returns the rows imported.
	ImportCSV(ctx context.Context, kind string, data []byte, confirmDeletes int) (int, error)
	History(ctx context.Context) ([]Change, error)
	// Reference lists the IFS suppliers, accounts and cost centres valid
	// today, for the pickers of the inline editors.
	Reference(ctx context.Context) (Reference, error)
	// SaveGLRule adds or changes one GL coding rule (checked against IFS).
	SaveGLRule(ctx context.Context, r GLRule) error
	// DeleteGLRule removes one GL coding rule.
	DeleteGLRule(ctx context.Context, supplierID, chargeCode string) error
	// SaveTolerance sets a supplier's (or the company default's) tolerance
	// and its two- or three-way matching.
	SaveTolerance(ctx context.Context, t Tolerance) error
}

// Option is one choice of a picker: the IFS value and its label with the IFS name.
type Option struct {
	Value string // "S100", "6100"
	Label string // "S100 — Acme Fasteners"
}

// Reference holds the pickers' choices.
type Reference struct {
	Suppliers   []Option
	Accounts    []Option
	CostCentres []Option
}

// GLRule is one coding rule as the inline editor edits it.
type GLRule struct {
	SupplierID string // "*" for every supplier
	ChargeCode string // SAC code, or NONPO for lines without a PO line
	Account    string
	CostCentre string
}

// Tolerance is a supplier's tolerance as the inline editor edits it.
type Tolerance struct {
	SupplierID string // "*" for the company default
	PricePct   string
	QtyPct     string
	Absolute   string
	ThreeWay   bool // never invoice more than IFS shows received
}

// ImportPlan is what an import would do.
type ImportPlan struct {
	Adds, Changes, Deletes []string // mapping keys
	Unchanged              int
}

// Params are the screen's collaborators besides its Source.
type Params struct {
	Runner *uikit.Runner
	Window fyne.Window // parent of the CSV file dialogs; nil disables them
	Loc    *time.Location
	// OnChanged is called on the UI goroutine after a mapping changed (the
	// exception queue may now replay).
	OnChanged func()
}

// Screen is the mappings screen.
type Screen struct {
	widget.BaseWidget
	ctx     context.Context
	src     Source
	p       Params
	content fyne.CanvasObject
	load    *uikit.Loader

	errLbl   *uikit.ErrorLabel
	okLbl    *widget.Label
	partners *fyne.Container
	pscroll  *container.Scroll
	tables   map[string]*tableView
	history  *fyne.Container
	hscroll  *container.Scroll
	entries  map[string]*widget.Entry
	checks   map[string]*widget.Check // self-billing checkboxes by partner key
	top      *fyne.Container

	ref      Reference
	gl       *glEditor
	tol      *tolEditor
	preview  *fyne.Container
	prevLbl  *widget.Label
	applyBtn *widget.Button
	pending  *pendingImport
}

// pendingImport is a previewed CSV file waiting for the user's Apply.
type pendingImport struct {
	kind string
	data []byte
	plan ImportPlan
}

type tableView struct {
	header []string
	rows   [][]string
	table  *widget.Table
}

// New builds the screen; call Reload to fill it.
func New(ctx context.Context, src Source, p Params) *Screen {
	if p.Runner == nil {
		p.Runner = uikit.NewRunner()
	}
	if p.Loc == nil {
		p.Loc = time.Local
	}
	s := &Screen{ctx: ctx, src: src, p: p, tables: map[string]*tableView{}, entries: map[string]*widget.Entry{}}
	s.load = uikit.NewLoader(ctx, p.Runner)
	s.ExtendBaseWidget(s)
	if src == nil {
		s.content = uikit.NoEngine("Partner, GL, unit and tolerance mappings")
		return s
	}
	s.errLbl = uikit.NewErrorLabel()
	s.okLbl = widget.NewLabel("")
	s.okLbl.Importance = widget.SuccessImportance
	s.okLbl.Hide()
	s.partners = container.NewVBox()
	s.pscroll = container.NewVScroll(s.partners)
	s.history = container.NewVBox()
	s.hscroll = container.NewVScroll(s.history)
	tabs := container.NewAppTabs(container.NewTabItem("Partners and suppliers", s.pscroll))
	for _, k := range []string{GL, UoM, Tolerances} {
		tabs.Append(container.NewTabItem(kindTitles[k], s.tableTab(k)))
	}
	tabs.Append(container.NewTabItem("History", s.hscroll))
	s.buildPreview()
	s.top = container.NewVBox(s.errLbl, s.okLbl, s.preview)
	s.content = container.NewBorder(s.top, nil, nil, nil, tabs)
	return s
}

// CreateRenderer implements fyne.Widget.
func (s *Screen) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(s.content) }

func (s *Screen) tableTab(kind string) fyne.CanvasObject {
	tv := &tableView{}
	tv.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(tv.rows), len(tv.header) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			if id.Row < len(tv.rows) && id.Col < len(tv.rows[id.Row]) {
				o.(*widget.Label).SetText(tv.rows[id.Row][id.Col])
			}
		})
	tv.table.ShowHeaderColumn = false
	tv.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if id.Col >= 0 && id.Col < len(tv.header) {
			l.SetText(tv.header[id.Col])
			l.TextStyle.Bold = true
		}
	}
	s.tables[kind] = tv
	exp := widget.NewButtonWithIcon("Export CSV…", theme.DocumentSaveIcon(), func() { s.exportDialog(kind) })
	imp := widget.NewButtonWithIcon("Import CSV…", theme.FolderOpenIcon(), func() { s.importDialog(kind) })
	if s.p.Window == nil {
		exp.Disable()
		imp.Disable()
	}
	help := widget.NewLabel("Edit here, or in a spreadsheet: export, change, import. An import is checked against IFS, previewed, and recorded in the history.")
	help.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(help, container.NewHBox(exp, imp))
	switch kind {
	case GL:
		s.gl = s.newGLEditor(tv)
		top.Add(s.gl.box)
	case Tolerances:
		s.tol = s.newTolEditor(tv)
		top.Add(s.tol.box)
	}
	return container.NewBorder(top, nil, nil, nil, tv.table)
}

// table is one tabular mapping as loaded.
type table struct {
	h []string
	r [][]string
}

// loaded is everything the screen shows, fetched together.
type loaded struct {
	partners []PartnerMapping
	tabs     map[string]table
	hist     []Change
	ref      Reference
}

func (s *Screen) fetch(ctx context.Context) (loaded, error) {
	var l loaded
	var err error
	if l.partners, err = s.src.Partners(ctx); err != nil {
		return l, err
	}
	l.tabs = map[string]table{}
	for _, k := range []string{GL, UoM, Tolerances} {
		var t table
		if t.h, t.r, err = s.src.Table(ctx, k); err != nil {
			return l, err
		}
		l.tabs[k] = t
	}
	if l.hist, err = s.src.History(ctx); err != nil {
		return l, err
	}
	l.ref, err = s.src.Reference(ctx)
	return l, err
}

// Reload fetches every mapping.
func (s *Screen) Reload() {
	if s.src == nil {
		return
	}
	uikit.Load(s.load, s.fetch, func(l loaded, err error) {
		if err != nil {
			s.setErr("load the mappings", err)
			return
		}
		s.setErr("", nil)
		s.ref = l.ref
		s.gl.setReference(l.ref)
		s.tol.setReference(l.ref)
		s.showPartners(l.partners)
		for k, t := range l.tabs {
			tv := s.tables[k]
			tv.header, tv.rows = t.h, t.r
			for i := range t.h {
				tv.table.SetColumnWidth(i, 160)
			}
			tv.table.Refresh()
		}
		s.history.Objects = nil
		if len(l.hist) == 0 {
			s.history.Add(widget.NewLabel("No mapping changes yet."))
		}
		for _, c := range l.hist {
			s.history.Add(widget.NewLabel(fmt.Sprintf("%s  %s  %s", c.Time.In(s.p.Loc).Format("2006-01-02 15:04"), c.Actor, c.What)))
		}
		s.hscroll.Refresh()
	})
}

func (s *Screen) setErr(doing string, err error) {
	s.errLbl.SetError(doing, err)
	if err != nil {
		s.okLbl.Hide()
	}
	s.content.Refresh()
}

func (s *Screen) setOK(msg string) {
	s.okLbl.SetText(msg)
	s.okLbl.Show()
	s.content.Refresh()
}

func (s *Screen) showPartners(ps []PartnerMapping) {
	s.partners.Objects = nil
	s.entries = map[string]*widget.Entry{}
	s.checks = map[string]*widget.Check{}
	if len(ps) == 0 {
		s.partners.Add(widget.NewLabel("No trading partners yet: they arrive with the reference-data sync from Cleo."))
	}
	if msg := unmappedText(ps); msg != "" {
		l := widget.NewLabel(msg)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		s.partners.Add(l)
	}
	for _, p := range ps {
		p := p
		name := widget.NewLabelWithStyle(p.PartnerKey+"  "+p.PartnerName, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		cur := widget.NewLabel("→ " + p.SupplierID + " " + p.SupplierName)
		switch {
		case p.SupplierID == "" && p.NetworkSupplierID != "":
			cur.SetText("→ " + p.NetworkSupplierID + " (from the partner's record in Cleo; confirm to map it here)")
		case p.SupplierID == "":
			cur.SetText("→ not mapped")
			cur.Importance = widget.DangerImportance
		}
		if p.Waiting > 0 {
			cur.SetText(cur.Text + fmt.Sprintf(" · %d waiting in the exception queue", p.Waiting))
			cur.Importance = widget.DangerImportance
		}
		e := widget.NewEntry()
		e.SetPlaceHolder("IFS supplier id")
		s.entries[p.PartnerKey] = e
		var opts []string
		for _, sg := range p.Suggestions {
			opts = append(opts, fmt.Sprintf("%s — %s (%s)", sg.SupplierID, sg.Name, sg.Why))
		}
		sel := widget.NewSelect(opts, func(v string) {
			if i := strings.Index(v, " — "); i > 0 {
				e.SetText(v[:i])
			}
		})
		sel.PlaceHolder = fmt.Sprintf("%d suggestions", len(opts))
		if len(opts) == 1 {
			sel.PlaceHolder = "1 suggestion"
		}
		if len(opts) == 0 {
			sel.Disable()
		}
		btn := widget.NewButtonWithIcon("Confirm", theme.ConfirmIcon(), func() { s.MapPartner(p.PartnerKey, e.Text) })
		sb := widget.NewCheck("Self-billing: we send its invoices as 810s", nil)
		sb.SetChecked(p.SelfBilling)
		sb.OnChanged = func(on bool) { s.SetSelfBilling(p.PartnerKey, on) }
		if p.SupplierID == "" {
			sb.Disable()
		}
		s.checks[p.PartnerKey] = sb
		s.partners.Add(container.NewGridWithColumns(2, container.NewVBox(name, cur, sb), container.NewVBox(sel, container.NewBorder(nil, nil, nil, btn, e))))
		s.partners.Add(widget.NewSeparator())
	}
	s.pscroll.Refresh()
}

// unmappedText is the warning above the partners, counted the way the
// engine decides: a partner whose Cleo record holds an IFS supplier id is
// not unmapped, and only open exceptions are said to wait.
func unmappedText(ps []PartnerMapping) string {
	unmapped, waitingPartners, waiting := 0, 0, 0
	for _, p := range ps {
		if p.SupplierID == "" && p.NetworkSupplierID == "" {
			unmapped++
		}
		if p.Waiting > 0 {
			waitingPartners++
			waiting += p.Waiting
		}
	}
	if unmapped == 0 && waiting == 0 {
		return ""
	}
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	msg := plural(unmapped, "partner has", "partners have") + " no IFS supplier"
	switch {
	case waiting > 0:
		msg += fmt.Sprintf("; %s of %s wait%s in the exception queue until mapped.", plural(waiting, "invoice", "invoices"),
			plural(waitingPartners, "partner", "partners"), map[bool]string{true: "s", false: ""}[waiting == 1])
	case unmapped == 1:
		msg += "; none of its invoices is waiting."
	default:
		msg += "; none of their invoices is waiting."
	}
	return msg
}

// MapPartner confirms partnerKey ↔ supplierID.
func (s *Screen) MapPartner(partnerKey, supplierID string) {
	supplierID = strings.TrimSpace(supplierID)
	if supplierID == "" {
		s.setErr("map "+partnerKey, fmt.Errorf("enter or pick an IFS supplier id"))
		return
	}
	s.p.Runner.Go(func() {
		err := s.src.MapPartner(s.ctx, partnerKey, supplierID)
		fyne.Do(func() {
			if err != nil {
				s.setErr("map "+partnerKey+" to "+supplierID, err)
				return
			}
			s.setErr("", nil)
			s.setOK(fmt.Sprintf("Mapped %s to %s. Replay its exceptions from the Exceptions screen (replay all like this).", partnerKey, supplierID))
			s.Reload()
			if s.p.OnChanged != nil {
				s.p.OnChanged()
			}
		})
	})
}

// SetSelfBilling marks partnerKey self-billing or not; on failure the
// checkbox goes back to what is stored.
func (s *Screen) SetSelfBilling(partnerKey string, on bool) {
	s.p.Runner.Go(func() {
		err := s.src.SetSelfBilling(s.ctx, partnerKey, on)
		fyne.Do(func() {
			if err != nil {
				s.setErr("self-billing for "+partnerKey, err)
				s.Reload()
				return
			}
			s.setErr("", nil)
			if on {
				s.setOK(fmt.Sprintf("%s is self-billing: its IFS invoices go out as 810s with the next invoices-out run.", partnerKey))
			} else {
				s.setOK(fmt.Sprintf("%s is no longer self-billing: no more 810s are sent to it.", partnerKey))
			}
			if s.p.OnChanged != nil {
				s.p.OnChanged()
			}
		})
	})
}

// SelfBillingCheck returns the self-billing checkbox of a partner (tests).
func (s *Screen) SelfBillingCheck(partnerKey string) *widget.Check { return s.checks[partnerKey] }

// Import reads CSV from r, checks it and shows what it would change; the
// user applies it with ApplyImport (deletions need that confirmation).
func (s *Screen) Import(kind string, r io.Reader) {
	data, err := io.ReadAll(r)
	if err != nil {
		s.setErr("read the CSV file", err)
		return
	}
	s.p.Runner.Go(func() {
		plan, err := s.src.PreviewCSV(s.ctx, kind, data)
		fyne.Do(func() {
			if err != nil {
				s.setErr("import "+kindTitles[kind], err)
				return
			}
			s.setErr("", nil)
			s.showPreview(&pendingImport{kind: kind, data: data, plan: plan})
		})
	})
}

// Export writes a tabular mapping as CSV to w, then calls done on the UI goroutine.
func (s *Screen) Export(kind string, w io.Writer, done func(error)) {
	s.p.Runner.Go(func() {
		data, err := s.src.ExportCSV(s.ctx, kind)
		if err == nil {
			_, err = io.Copy(w, bytes.NewReader(data))
		}
		fyne.Do(func() {
			if err != nil {
				s.setErr("export "+kindTitles[kind], err)
			} else {
				s.setErr("", nil)
				s.setOK("Exported " + kindTitles[kind] + ".")
			}
			if done != nil {
				done(err)
			}
		})
	})
}

func (s *Screen) exportDialog(kind string) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		s.Export(kind, wc, func(error) { wc.Close() })
	}, s.p.Window)
	d.SetFileName(kind + ".csv")
	d.Show()
}

func (s *Screen) importDialog(kind string) {
	dialog.ShowFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		defer rc.Close()
		s.Import(kind, rc)
	}, s.p.Window)
}

// Status returns the success and error texts shown, for tests.
func (s *Screen) Status() (ok, errText string) {
	if s.okLbl != nil && s.okLbl.Visible() {
		ok = s.okLbl.Text
	}
	if s.errLbl != nil && s.errLbl.Visible() {
		errText = s.errLbl.Text
	}
	return ok, errText
}

// Rows returns a tabular mapping as shown, for tests.
func (s *Screen) Rows(kind string) [][]string { return s.tables[kind].rows }
