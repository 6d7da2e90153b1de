// Package documents is the search screen over every document the connector
// handled (POs out, invoices and acknowledgements in): find by PO number,
// invoice number, partner and date; see its audit timeline and its raw and
// parsed forms; export the evidence pack for an auditor.
package documents

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/ui/docview"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// Query selects documents. Zero fields do not filter.
type Query struct {
	Text     string // PO number, invoice number or partner
	Kind     string // a Kinds key: which documents, in words ("" all)
	From, To time.Time
}

// Kind is a set of documents a clerk names in words. The Documents screen's
// "Show" list offers them, the Dashboard's counts count them and a click on
// a count opens its kind, so a count and its list always agree.
type Kind struct {
	Key       string   // stable: "invoices-posted"
	Label     string   // "Invoices posted to IFS"
	Type      string   // "810", "850", "997"; "" any
	Direction string   // "inbound", "outbound"; "" either
	Statuses  []string // any of these; none: any status
}

// Kinds are the document kinds, in the order the "Show" list offers them.
var Kinds = []Kind{
	{Key: "", Label: "All documents"},
	{Key: "invoices-received", Label: "Invoices received", Type: "810", Direction: "inbound"},
	{Key: "invoices-posted", Label: "Invoices posted to IFS", Type: "810", Direction: "inbound", Statuses: []string{"posted"}},
	{Key: "invoices-exception", Label: "Invoices needing attention", Type: "810", Direction: "inbound", Statuses: []string{"exception"}},
	{Key: "invoices-sent", Label: "Self-billing invoices sent", Type: "810", Direction: "outbound"},
	{Key: "pos-sent", Label: "Purchase orders sent", Type: "850", Direction: "outbound", Statuses: []string{"sent", "acknowledged"}},
	{Key: "pos-acknowledged", Label: "Purchase orders acknowledged", Type: "850", Direction: "outbound", Statuses: []string{"acknowledged"}},
	{Key: "pos-exception", Label: "Purchase orders needing attention", Type: "850", Direction: "outbound", Statuses: []string{"exception"}},
	{Key: "acks", Label: "Acknowledgments (997)", Type: "997"},
}

// KindOf returns the kind with key ("" or an unknown key: all documents).
func KindOf(key string) Kind {
	for _, k := range Kinds {
		if k.Key == key {
			return k
		}
	}
	return Kinds[0]
}

// Row is one document in the result list.
type Row struct {
	ID          int64
	Type        string
	Direction   string // "inbound" or "outbound"
	Partner     string
	BusinessKey string
	Status      string
	Reason      string
	Time        time.Time
	// Delivery is what the network says about an outbound file (pending,
	// delivered, failed, stuck) and TransferID its transfer; empty when
	// it was never asked.
	Delivery   string
	TransferID string
	// DeliveryDetail is the network's own words about it.
	DeliveryDetail string
	// PartnerName is the partner's name in Cleo, SupplierID and
	// SupplierName the IFS supplier (empty when not known yet).
	PartnerName  string
	SupplierID   string
	SupplierName string
	// Amount is the document's total as a decimal string ("1234.50"),
	// empty when it has none (a 997).
	Amount   string
	Currency string
}

// TypeWords is the document's type and direction in words, as the
// Documents table shows it: "Invoice received", "PO sent", "997 received".
func (r Row) TypeWords() string {
	in := r.Direction == "inbound"
	name := map[string]string{"810": "Invoice", "850": "PO", "997": "997"}[r.Type]
	if name == "" {
		name = r.Type
	}
	if in {
		return name + " received"
	}
	return name + " sent"
}

// columns are the Documents table's columns, in order.
var columns = []struct {
	title string
	width float32
	text  func(r Row, loc *time.Location) string
}{
	{"Date", 130, func(r Row, loc *time.Location) string { return r.Time.In(loc).Format("2006-01-02 15:04") }},
	{"Document", 130, func(r Row, _ *time.Location) string { return r.TypeWords() }},
	{"Number", 120, func(r Row, _ *time.Location) string { return r.BusinessKey }},
	{"Status", 120, func(r Row, _ *time.Location) string {
		if r.Delivery != "" && r.Delivery != "delivered" {
			return r.Status + " · delivery " + r.Delivery
		}
		return r.Status
	}},
	{"Amount", 110, func(r Row, _ *time.Location) string { return strings.TrimSpace(r.Amount + " " + r.Currency) }},
	{"Supplier", 150, func(r Row, _ *time.Location) string { return nameOr(r.SupplierName, r.SupplierID) }},
	{"Partner", 150, func(r Row, _ *time.Location) string { return nameOr(r.PartnerName, r.Partner) }},
}

// nameOr is "name (id)", the id alone without a name, "—" without either.
func nameOr(name, id string) string {
	switch {
	case name != "" && id != "":
		return name + " (" + id + ")"
	case id != "":
		return id
	case name != "":
		return name
	}
	return "—"
}

// Field is one labelled value of the parsed document.
type Field struct{ Name, Value string }

// Event is one entry of the audit trail.
type Event struct {
	Time   time.Time
	Actor  string // "system" or the OS user
	Action string
	Detail string // the raw JSON, shown on demand
	// Summary is the event in words (evidence.Sentence); empty falls back
	// to the action.
	Summary string
}

// Detail is one document with its audit trail.
type Detail struct {
	Row
	RawEDI string
	Parsed []Field // the generic view, shown when ParsedJSON is not a document docview knows
	// ParsedJSON is the engine's stored parsed form, shown readably (ui/docview).
	ParsedJSON []byte
	Timeline   []Event
	ChainOK    bool // the audit hash chain verifies
}

// Source is what the screen needs from the engine (called off the UI goroutine).
type Source interface {
	Search(ctx context.Context, q Query, limit int) ([]Row, error)
	Document(ctx context.Context, id int64) (Detail, error)
	// ExportEvidence writes the evidence pack (zip) and returns its path.
	ExportEvidence(ctx context.Context, id int64) (string, error)
}

// Limit is the most rows one search shows.
const Limit = 500

// Params are the screen's collaborators besides its Source.
type Params struct {
	Runner *uikit.Runner
	Loc    *time.Location
	// Window is the parent of the re-coding dialog; nil hides the button.
	Window fyne.Window
}

// Screen is the document search.
type Screen struct {
	widget.BaseWidget
	ctx context.Context
	// searchL and detailL load the list and the detail: the newest request wins.
	searchL, detailL *uikit.Loader
	src              Source
	p                Params
	content          fyne.CanvasObject

	text     *widget.Entry
	typ      *widget.Select
	from, to *widget.Entry
	errLbl   *uikit.ErrorLabel
	note     *widget.Label
	list     *widget.Table
	rows     []Row

	cur       *Detail
	detail    *fyne.Container
	empty     fyne.CanvasObject
	title     *widget.Label
	status    *widget.Label
	exportLbl *widget.Label
	recode    *widget.Button // shown on posted inbound invoices when the source can re-code
	// notice is shown (in exportLbl) when document noticeID is shown next.
	notice    string
	noticeID  int64
	detailErr *uikit.ErrorLabel
	timeline  *fyne.Container
	rawJSON   *widget.Check // the timeline shows each event's JSON too
	parsed    *fyne.Container
	raw       *widget.Label
	head      *fyne.Container
	body      *fyne.Container
	tabs      *container.AppTabs
}

// New builds the screen; call Reload to run the first search.
func New(ctx context.Context, src Source, p Params) *Screen {
	if p.Runner == nil {
		p.Runner = uikit.NewRunner()
	}
	if p.Loc == nil {
		p.Loc = time.Local
	}
	s := &Screen{ctx: ctx, src: src, p: p}
	s.searchL, s.detailL = uikit.NewLoader(ctx, p.Runner), uikit.NewLoader(ctx, p.Runner)
	s.ExtendBaseWidget(s)
	if src == nil {
		s.content = uikit.NoEngine("Documents")
		return s
	}
	s.build()
	return s
}

// CreateRenderer implements fyne.Widget.
func (s *Screen) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(s.content) }

func (s *Screen) build() {
	s.text = widget.NewEntry()
	s.text.SetPlaceHolder("PO number, invoice number or partner")
	s.text.OnSubmitted = func(string) { s.Reload() }
	var kinds []string
	for _, k := range Kinds {
		kinds = append(kinds, k.Label)
	}
	s.typ = widget.NewSelect(kinds, nil)
	s.typ.SetSelectedIndex(0)
	s.from = widget.NewEntry()
	s.from.SetPlaceHolder("from YYYY-MM-DD")
	s.to = widget.NewEntry()
	s.to.SetPlaceHolder("to YYYY-MM-DD")
	search := widget.NewButtonWithIcon("Search", theme.SearchIcon(), s.Reload)
	search.Importance = widget.HighImportance
	s.errLbl = uikit.NewErrorLabel()
	s.note = widget.NewLabel("")

	// A table, one column per fact, every cell truncated (the full text
	// is in the detail pane): a long partner name never widens the window.
	s.list = widget.NewTableWithHeaders(
		func() (int, int) { return len(s.rows), len(columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			if id.Row < 0 || id.Row >= len(s.rows) || id.Col < 0 || id.Col >= len(columns) {
				return
			}
			o.(*widget.Label).SetText(columns[id.Col].text(s.rows[id.Row], s.p.Loc))
		},
	)
	s.list.ShowHeaderColumn = false
	s.list.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Row < 0 && id.Col >= 0 && id.Col < len(columns) {
			l := o.(*widget.Label)
			l.SetText(columns[id.Col].title)
			l.TextStyle.Bold = true
		}
	}
	for i, c := range columns {
		s.list.SetColumnWidth(i, c.width)
	}
	s.list.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(s.rows) {
			s.open(s.rows[id.Row].ID)
		}
	}

	bar := container.NewVBox(s.text, container.NewGridWithColumns(4, s.typ, s.from, s.to, search))
	left := container.NewBorder(container.NewVBox(bar, s.errLbl, s.note), nil, nil, nil, s.list)

	s.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.status = widget.NewLabel("")
	s.exportLbl = widget.NewLabel("")
	s.exportLbl.Wrapping = fyne.TextWrapWord
	s.exportLbl.Importance = widget.SuccessImportance
	s.exportLbl.Hide()
	s.detailErr = uikit.NewErrorLabel()
	export := widget.NewButtonWithIcon("Export evidence pack", theme.DownloadIcon(), s.Export)
	s.recode = widget.NewButtonWithIcon("Re-code GL…", theme.DocumentCreateIcon(), s.askRecode)
	s.recode.Hide()
	s.timeline = container.NewVBox()
	s.parsed = container.NewStack()
	s.raw = widget.NewLabel("")
	s.raw.TextStyle.Monospace = true
	s.rawJSON = widget.NewCheck("Raw JSON", func(bool) {
		if s.cur != nil {
			s.showTimeline(s.cur)
		}
	})
	s.tabs = container.NewAppTabs(
		container.NewTabItem("Audit timeline", container.NewBorder(container.NewHBox(s.rawJSON), nil, nil, nil, container.NewVScroll(s.timeline))),
		container.NewTabItem("Parsed", container.NewVScroll(s.parsed)),
		container.NewTabItem("Raw EDI", container.NewScroll(s.raw)),
	)
	s.head = container.NewVBox(s.title, s.status, container.NewHBox(export, s.recode), s.exportLbl, s.detailErr)
	s.body = container.NewBorder(s.head, nil, nil, nil, s.tabs)
	s.empty = uikit.Empty("No document selected", "Search, then pick a document to see its audit timeline.")
	s.detail = container.NewStack(s.empty, s.body)
	s.body.Hide()
	split := container.NewHSplit(left, s.detail)
	split.Offset = 0.6 // the table's columns first; the detail wraps
	s.content = split
	// Choosing what to show searches at once (set last: the first
	// selection above must not search a half-built screen).
	s.typ.OnChanged = func(string) { s.Reload() }
}

func parseDay(e *widget.Entry, loc *time.Location) (time.Time, error) {
	t := strings.TrimSpace(e.Text)
	if t == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation("2006-01-02", t, loc)
}

// Query returns the search the form describes.
func (s *Screen) Query() (Query, error) {
	q := Query{Text: strings.TrimSpace(s.text.Text)}
	if i := s.typ.SelectedIndex(); i > 0 && i < len(Kinds) {
		q.Kind = Kinds[i].Key
	}
	var err error
	if q.From, err = parseDay(s.from, s.p.Loc); err != nil {
		return q, fmt.Errorf("the from date must look like 2026-11-27")
	}
	if q.To, err = parseDay(s.to, s.p.Loc); err != nil {
		return q, fmt.Errorf("the to date must look like 2026-11-27")
	}
	if !q.To.IsZero() {
		q.To = q.To.AddDate(0, 0, 1) // the whole "to" day
	}
	return q, nil
}

// Reload runs the search.
func (s *Screen) Reload() {
	if s.src == nil {
		return
	}
	q, err := s.Query()
	if err != nil {
		s.errLbl.SetError("search", err)
		return
	}
	uikit.Load(s.searchL, func(ctx context.Context) ([]Row, error) { return s.src.Search(ctx, q, Limit) }, func(rows []Row, err error) {
		if err != nil {
			s.errLbl.SetError("search documents", err)
			return
		}
		s.errLbl.SetError("", nil)
		s.rows = rows
		switch {
		case len(rows) == 0 && q == (Query{}):
			s.note.SetText("No documents yet: they appear after the first sync.")
		case len(rows) == 0:
			s.note.SetText("No document matches.")
		case len(rows) >= Limit:
			s.note.SetText(fmt.Sprintf("Showing the newest %d; narrow the search to see older ones.", Limit))
		default:
			s.note.SetText(fmt.Sprintf("%d documents", len(rows)))
		}
		s.list.UnselectAll()
		s.list.Refresh()
		s.list.ScrollToTop()
	})
}

// Search types text and runs the search.
func (s *Screen) Search(text string) {
	s.text.SetText(text)
	s.Reload()
}

// Rows are the current results.
func (s *Screen) Rows() []Row { return s.rows }

// Open shows the document in row i (as selecting it in the table does).
func (s *Screen) Open(i int) { s.list.Select(widget.TableCellID{Row: i, Col: 0}) }

func (s *Screen) open(id int64) {
	uikit.Load(s.detailL, func(ctx context.Context) (Detail, error) { return s.src.Document(ctx, id) }, func(d Detail, err error) {
		if err != nil {
			s.setDetailErr(fmt.Sprintf("load document %d", id), err)
			return
		}
		s.show(&d)
	})
}

// showTimeline lists the audit events as sentences with who and when; the
// "Raw JSON" switch adds each event's recorded detail.
func (s *Screen) showTimeline(d *Detail) {
	s.timeline.Objects = nil
	for _, e := range d.Timeline {
		text := e.Summary
		if text == "" {
			text = e.Action
		}
		l := widget.NewLabel(fmt.Sprintf("%s  %s  %s", e.Time.In(s.p.Loc).Format("2006-01-02 15:04:05"), e.Actor, text))
		l.Wrapping = fyne.TextWrapWord
		s.timeline.Add(l)
		if s.rawJSON.Checked && e.Detail != "" {
			r := widget.NewLabel(e.Action + " " + e.Detail)
			r.TextStyle.Monospace = true
			r.Wrapping = fyne.TextWrapBreak
			r.Importance = widget.LowImportance
			s.timeline.Add(r)
		}
	}
	s.timeline.Refresh()
}

func (s *Screen) show(d *Detail) {
	s.cur = d
	s.empty.Hide()
	s.detail.Objects[1].Show()
	s.setDetailErr("", nil)
	s.exportLbl.Hide()
	if s.notice != "" && s.noticeID == d.ID {
		s.exportLbl.SetText(s.notice)
		s.exportLbl.Show()
	}
	s.notice, s.noticeID = "", 0
	if s.recodable(d) && s.p.Window != nil {
		s.recode.Show()
	} else {
		s.recode.Hide()
	}
	s.title.SetText(fmt.Sprintf("%s %s · %s", d.TypeWords(), d.BusinessKey, nameOr(d.PartnerName, d.Partner)))
	st := "Status: " + d.Status
	if d.Reason != "" {
		st += " (" + d.Reason + ")"
	}
	if d.Delivery != "" {
		st += " · delivery: " + d.Delivery
		if d.TransferID != "" {
			st += " (Cleo transfer " + d.TransferID + ")"
		}
		if d.Delivery == "failed" || d.Delivery == "stuck" {
			st += ": " + d.DeliveryDetail
		}
	}
	if d.ChainOK {
		st += " · audit chain verified"
	} else {
		st += " · AUDIT CHAIN BROKEN: the trail was altered"
	}
	s.status.SetText(st)
	s.status.Importance = widget.MediumImportance
	if !d.ChainOK {
		s.status.Importance = widget.DangerImportance
	}
	s.status.Refresh()
	s.showTimeline(d)
	fields := make([]docview.Field, len(d.Parsed))
	for i, f := range d.Parsed {
		fields[i] = docview.Field{Name: f.Name, Value: f.Value}
	}
	s.parsed.Objects = []fyne.CanvasObject{docview.View(d.ParsedJSON, fields)}
	s.parsed.Refresh()
	raw := d.RawEDI
	if !strings.Contains(raw, "\n") && strings.Contains(raw, "~") {
		raw = strings.ReplaceAll(raw, "~", "~\n")
	}
	s.raw.SetText(raw)
	s.body.Refresh()
}

// ShowParsed brings the shown document's parsed (readable) form to the front.
func (s *Screen) ShowParsed() {
	if s.tabs != nil {
		s.tabs.SelectIndex(1)
	}
}

// Current is the document shown, or nil.
func (s *Screen) Current() *Detail { return s.cur }

// Export writes the evidence pack of the shown document and says where.
func (s *Screen) Export() {
	d := s.cur
	if d == nil {
		return
	}
	s.p.Runner.Go(func() {
		path, err := s.src.ExportEvidence(s.ctx, d.ID)
		fyne.Do(func() {
			if err != nil {
				s.setDetailErr("export the evidence pack", err)
				return
			}
			s.exportLbl.SetText("Evidence pack written to " + path)
			s.exportLbl.Show()
			s.body.Refresh()
		})
	})
}

// ExportResult is the text shown after an export, for tests.
func (s *Screen) ExportResult() string {
	if s.exportLbl == nil || !s.exportLbl.Visible() {
		return ""
	}
	return s.exportLbl.Text
}

// ShowKind runs the search for one kind of document created in [from, to)
// (zero: open-ended), as a click on a Dashboard count or bar asks; the text
// box is cleared so the list is what was counted.
func (s *Screen) ShowKind(kind string, from, to time.Time) {
	if s.src == nil {
		return
	}
	idx := 0
	for i, k := range Kinds {
		if k.Key == kind {
			idx = i
		}
	}
	s.text.SetText("")
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(s.p.Loc).Format("2006-01-02")
	}
	s.from.SetText(day(from))
	// The form's "to" is a whole day, included.
	if !to.IsZero() {
		to = to.Add(-time.Nanosecond)
	}
	s.to.SetText(day(to))
	cb := s.typ.OnChanged
	s.typ.OnChanged = nil
	s.typ.SetSelectedIndex(idx)
	s.typ.OnChanged = cb
	s.Reload()
}

// SetDates types the date range.
func (s *Screen) SetDates(from, to string) {
	s.from.SetText(from)
	s.to.SetText(to)
}

// Error is the error shown in place, "" when none.
func (s *Screen) Error() string {
	if s.errLbl != nil && s.errLbl.Visible() {
		return s.errLbl.Text
	}
	if s.detailErr != nil && s.detailErr.Visible() {
		return s.detailErr.Text
	}
	return ""
}

// setDetailErr shows (or clears) the detail pane's error and lays the pane out again.
func (s *Screen) setDetailErr(doing string, err error) {
	s.detailErr.SetError(doing, err)
	s.body.Refresh()
}
