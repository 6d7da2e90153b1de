package exceptions

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/ui/docview"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// Page and cache sizes: a page is a screenful or two; 20 pages bound memory
// however far the clerk scrolls.
const (
	pageSize = 100
	maxPages = 20
)

// columns are the queue's columns: the sort key where the store can order
// by it (NoSort otherwise), and the text of a row's cell.
var columns = []struct {
	title string
	key   SortKey
	width float32
	text  func(r Row, now time.Time) string
}{
	{"Reason", ByReason, 160, func(r Row, _ time.Time) string { return r.ReasonLabel }},
	{"Supplier", BySupplier, 150, func(r Row, _ time.Time) string { return orDash(firstOf(r.SupplierName, r.Supplier)) }},
	{"Document", ByDocument, 120, func(r Row, _ time.Time) string { return r.BusinessKey }},
	{"Amount", ByAmount, 115, func(r Row, _ time.Time) string { return strings.TrimSpace(r.Amount.String() + " " + r.Currency) }},
	{"Age", ByAge, 100, func(r Row, now time.Time) string { return uikit.Age(now, r.Received) }},
	{"PO", NoSort, 80, func(r Row, _ time.Time) string { return orDash(r.PONumber) }},
	{"Invoice date", NoSort, 100, func(r Row, _ time.Time) string { return day(r.InvoiceDate) }},
	{"Due", NoSort, 100, func(r Row, _ time.Time) string { return day(r.DueDate) }},
	{"Partner", ByPartner, 150, func(r Row, _ time.Time) string { return firstOf(r.PartnerName, r.Partner) }},
}

// Params are the screen's collaborators besides its Source.
type Params struct {
	Runner *uikit.Runner
	Now    func() time.Time // age reference; time.Now when nil
	// OnChanged is called (on the UI goroutine) after the clerk changed the
	// queue, so the shell can refresh counts and the tray.
	OnChanged func()
}

// Screen is the exception queue with its detail pane.
type Screen struct {
	widget.BaseWidget

	ctx context.Context
	src Source
	p   Params
	// One loader per fetch: the newest request wins, quitting cancels.
	reasonsL, detailL, poL *uikit.Loader

	pager   *pager
	content fyne.CanvasObject

	table     *widget.Table
	reasonSel *widget.Select
	// wantReason is a reason asked for (ShowReason) before the list had it.
	wantReason string
	reasons    []ReasonCount
	search     *uikit.ShortcutEntry
	countLbl   *widget.Label
	listErr    *uikit.ErrorLabel

	selRow int
	cur    *Detail
	opened bool // the first exception was shown once the queue loaded
	picked bool // the clerk chose a row: stop opening the first one for them
	auto   bool // the current selection is the automatic one

	detail      *fyne.Container
	emptyDetail fyne.CanvasObject
	emptyTitle  *widget.Label
	emptyBody   *widget.Label
	titleLbl    *widget.Label
	messageLbl  *widget.Label
	fixLbl      *widget.Label
	resultLbl   *widget.Label
	detailErr   *uikit.ErrorLabel
	replayBtn   *widget.Button
	replayAll   *widget.Button
	mapBox      *fyne.Container
	glBox       *fyne.Container
	glLbl       *widget.Label
	corrBox     *fyne.Container
	corrLbl     *widget.Label
	reapplyBtn  *widget.Button
	glAccount   *uikit.ShortcutEntry
	glCost      *uikit.ShortcutEntry
	mapSel      *widget.Select
	mapEntry    *uikit.ShortcutEntry
	mapBtn      *widget.Button
	ignoreEntry *uikit.ShortcutEntry
	ignoreBtn   *widget.Button
	// The decisions on a mismatch: one comment, a follow-up date for a
	// hold, another PO for a re-reference.
	decideBox     *fyne.Container
	decisionLbl   *widget.Label
	toleranceLbl  *widget.Label
	decideComment *uikit.ShortcutEntry
	decideUntil   *uikit.ShortcutEntry
	decidePO      *uikit.ShortcutEntry
	decideBtns    map[string]*widget.Button
	previewBox    *fyne.Container
	previewLbl    *widget.Label
	previewList   *widget.Label
	confirmBtn    *widget.Button
	parsedBox     *fyne.Container
	rawLbl        *widget.Label
	linesBox      *fyne.Container
	poMsg         *widget.Label // the comparison's state line: loading, IFS unreachable, summary
	poSeq         int           // bumped per opened exception: late PO answers are dropped
	poRows        []LineMatch   // the comparison shown, for tests
	tabs          *container.AppTabs
	head          *fyne.Container
	body          *fyne.Container
}

// New builds the screen; call Reload to fetch the first page. A nil src
// gives the honest "no engine" state.
func New(ctx context.Context, src Source, p Params) *Screen {
	if p.Runner == nil {
		p.Runner = uikit.NewRunner()
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	s := &Screen{ctx: ctx, src: src, p: p, selRow: -1}
	s.reasonsL, s.detailL, s.poL = uikit.NewLoader(ctx, p.Runner), uikit.NewLoader(ctx, p.Runner), uikit.NewLoader(ctx, p.Runner)
	s.ExtendBaseWidget(s)
	if src == nil {
		s.content = uikit.NoEngine("Exceptions")
		return s
	}
	s.pager = newPager(ctx, src, p.Runner, pageSize, maxPages)
	s.pager.onLoaded = s.onLoaded
	s.pager.onReset = func() {
		// Row numbers change with a reload; the detail pane keeps showing
		// the exception it shows, but no row claims to be it.
		if s.table != nil {
			s.table.UnselectAll()
		}
		s.selRow = -1
		if !s.picked {
			s.opened = false // reopen the (new) first row after the reload
		}
	}
	s.pager.onError = func(err error) { s.listErr.SetError("load exceptions", err) }
	s.build()
	return s
}

// CreateRenderer implements fyne.Widget.
func (s *Screen) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(s.content) }

func (s *Screen) build() {
	s.listErr = uikit.NewErrorLabel()
	s.countLbl = widget.NewLabel("")
	s.reasonSel = widget.NewSelect([]string{"All reasons"}, nil)
	s.reasonSel.SetSelectedIndex(0)
	s.search = uikit.NewShortcutEntry(s.Shortcuts)
	s.search.SetPlaceHolder("Filter by partner, supplier, invoice or PO number (Ctrl+F)")

	s.table = widget.NewTableWithHeaders(
		func() (int, int) { return s.pager.count, len(columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		s.updateCell,
	)
	s.table.ShowHeaderColumn = false
	s.table.CreateHeader = func() fyne.CanvasObject {
		b := widget.NewButton("", nil)
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		return b
	}
	s.table.UpdateHeader = s.updateHeader
	for i, c := range columns {
		s.table.SetColumnWidth(i, c.width)
	}
	s.table.OnSelected = func(id widget.TableCellID) {
		if !s.auto {
			s.picked = true
		}
		s.selectRow(id.Row)
	}

	s.reasonSel.OnChanged = func(string) { s.applyFilter() }
	s.search.OnChanged = func(string) { s.applyFilter() }
	top := container.NewBorder(nil, nil, s.reasonSel, nil, s.search)
	// The count and totals line sits under the filter and truncates: with
	// several currencies it would otherwise widen the window.
	s.countLbl.Truncation = fyne.TextTruncateEllipsis
	list := container.NewBorder(container.NewVBox(top, s.countLbl, s.listErr), nil, nil, nil, s.table)

	s.buildDetail()
	split := container.NewHSplit(list, s.detail)
	split.Offset = 0.55
	s.content = split
}

func (s *Screen) buildDetail() {
	s.titleLbl = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.titleLbl.Wrapping = fyne.TextWrapWord
	s.messageLbl = widget.NewLabel("")
	s.messageLbl.Wrapping = fyne.TextWrapWord
	s.fixLbl = widget.NewLabel("")
	s.fixLbl.Wrapping = fyne.TextWrapWord
	s.fixLbl.Importance = widget.WarningImportance
	s.resultLbl = widget.NewLabel("")
	s.resultLbl.Importance = widget.SuccessImportance
	s.resultLbl.Wrapping = fyne.TextWrapWord
	s.resultLbl.Hide()
	s.detailErr = uikit.NewErrorLabel()

	s.replayBtn = widget.NewButtonWithIcon("Replay (Ctrl+R)", theme.MediaReplayIcon(), s.Replay)
	s.replayBtn.Importance = widget.HighImportance
	s.replayAll = widget.NewButtonWithIcon("Replay all like this… (Ctrl+Shift+R)", theme.ViewRefreshIcon(), s.PreviewReplayAll)

	s.mapSel = widget.NewSelect(nil, func(v string) {
		if i := strings.Index(v, " — "); i > 0 {
			s.mapEntry.SetText(v[:i])
		}
	})
	s.mapSel.PlaceHolder = "Suggested suppliers"
	s.mapEntry = uikit.NewShortcutEntry(s.Shortcuts)
	s.mapEntry.SetPlaceHolder("IFS supplier id (Ctrl+M)")
	s.mapEntry.OnSubmitted = func(string) { s.MapAndReplay() }
	s.mapBtn = widget.NewButtonWithIcon("Map and replay", theme.ConfirmIcon(), s.MapAndReplay)
	s.mapBtn.Importance = widget.HighImportance
	s.mapBox = container.NewVBox(
		widget.NewLabelWithStyle("Fix the mapping here", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.mapSel,
		container.NewBorder(nil, nil, nil, s.mapBtn, s.mapEntry),
	)
	s.mapBox.Hide()

	s.glLbl = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.glAccount = uikit.NewShortcutEntry(s.Shortcuts)
	s.glAccount.SetPlaceHolder("account")
	s.glCost = uikit.NewShortcutEntry(s.Shortcuts)
	s.glCost.SetPlaceHolder("cost centre")
	s.glCost.OnSubmitted = func(string) { s.AddGLRuleAndReplay() }
	glBtn := widget.NewButtonWithIcon("Add rule and replay", theme.ConfirmIcon(), s.AddGLRuleAndReplay)
	glBtn.Importance = widget.HighImportance
	s.glBox = container.NewVBox(s.glLbl, container.NewBorder(nil, nil, nil, glBtn, container.NewGridWithColumns(2, s.glAccount, s.glCost)))
	s.glBox.Hide()

	s.corrLbl = widget.NewLabel("")
	s.corrLbl.Wrapping = fyne.TextWrapWord
	updBtn := widget.NewButtonWithIcon("Update the IFS invoice", theme.UploadIcon(), func() { s.UpdateIFS(false) })
	updBtn.Importance = widget.HighImportance
	s.reapplyBtn = widget.NewButtonWithIcon("Apply over the changes in IFS", theme.WarningIcon(), func() { s.UpdateIFS(true) })
	s.reapplyBtn.Importance = widget.DangerImportance
	s.corrBox = container.NewVBox(
		widget.NewLabelWithStyle("A corrected invoice: compare the versions (tab below)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.corrLbl, container.NewHBox(updBtn, s.reapplyBtn))
	s.corrBox.Hide()

	s.buildDecisions()

	s.ignoreEntry = uikit.NewShortcutEntry(s.Shortcuts)
	s.ignoreEntry.SetPlaceHolder("Why ignore it? (required, audited) (Ctrl+I)")
	s.ignoreEntry.OnSubmitted = func(string) { s.Ignore() }
	s.ignoreBtn = widget.NewButtonWithIcon("Ignore", theme.VisibilityOffIcon(), s.Ignore)

	s.previewLbl = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.previewLbl.Wrapping = fyne.TextWrapWord
	s.previewList = widget.NewLabel("")
	s.previewList.Wrapping = fyne.TextWrapWord
	s.confirmBtn = widget.NewButtonWithIcon("Replay them", theme.ConfirmIcon(), s.ConfirmReplayAll)
	s.confirmBtn.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { s.previewBox.Hide(); s.body.Refresh() })
	s.previewBox = container.NewVBox(s.previewLbl, s.previewList, container.NewHBox(s.confirmBtn, cancel))
	s.previewBox.Hide()

	s.parsedBox = container.NewStack()
	s.rawLbl = widget.NewLabel("")
	s.rawLbl.TextStyle = fyne.TextStyle{Monospace: true}
	side := container.NewHSplit(container.NewVScroll(s.parsedBox), container.NewScroll(s.rawLbl))
	side.Offset = 0.55
	s.linesBox = container.NewVBox()
	s.tabs = container.NewAppTabs(
		container.NewTabItem("Invoice ⇄ raw EDI", side),
		container.NewTabItem("Invoice vs IFS PO", container.NewVScroll(s.linesBox)),
	)

	s.head = container.NewVBox(
		s.titleLbl, s.messageLbl, s.fixLbl,
		s.mapBox, s.glBox, s.corrBox,
		container.NewHBox(s.replayBtn, s.replayAll),
		s.decideBox,
		container.NewBorder(nil, nil, nil, s.ignoreBtn, s.ignoreEntry),
		s.previewBox, s.resultLbl, s.detailErr,
	)
	s.body = container.NewBorder(s.head, nil, nil, nil, s.tabs)
	s.emptyTitle = widget.NewLabelWithStyle("No exception selected", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	s.emptyBody = widget.NewLabel("Pick a row (arrow keys and Space, or a click) to see why it failed and how to fix it.")
	s.emptyBody.Alignment = fyne.TextAlignCenter
	s.emptyBody.Wrapping = fyne.TextWrapWord
	s.emptyDetail = container.NewCenter(container.NewVBox(container.NewCenter(widget.NewIcon(theme.InfoIcon())), s.emptyTitle, s.emptyBody))
	s.detail = container.NewStack(s.emptyDetail, s.body)
	s.body.Hide()
}

// Reload refetches the reasons and the rows with the current filter.
func (s *Screen) Reload() {
	if s.src == nil {
		return
	}
	s.pager.reset(s.filter())
	uikit.Load(s.reasonsL, s.src.Reasons, func(rs []ReasonCount, err error) {
		if err != nil {
			s.listErr.SetError("load exception reasons", err)
			return
		}
		s.setReasons(rs)
	})
}

func (s *Screen) setReasons(rs []ReasonCount) {
	s.reasons = rs
	opts := []string{"All reasons"}
	for _, r := range rs {
		opts = append(opts, fmt.Sprintf("%s (%d)", r.Label, r.Count))
	}
	idx := s.reasonSel.SelectedIndex()
	cb := s.reasonSel.OnChanged
	s.reasonSel.OnChanged = nil
	s.reasonSel.SetOptions(opts)
	if idx < 0 || idx >= len(opts) {
		idx = 0
	}
	if want := s.wantReason; want != "" {
		s.wantReason = ""
		for i, r := range rs {
			if r.Reason == want {
				idx = i + 1
			}
		}
		s.reasonSel.SetSelectedIndex(idx)
		s.reasonSel.OnChanged = cb
		s.applyFilter()
		return
	}
	s.reasonSel.SetSelectedIndex(idx)
	s.reasonSel.OnChanged = cb
}

func (s *Screen) filter() Filter {
	f := s.pager.filter
	f.Text = strings.TrimSpace(s.search.Text)
	f.Reason = ""
	if i := s.reasonSel.SelectedIndex(); i > 0 && i-1 < len(s.reasons) {
		f.Reason = s.reasons[i-1].Reason
	}
	return f
}

func (s *Screen) applyFilter() {
	if s.pager == nil {
		return
	}
	s.table.UnselectAll()
	s.selRow = -1
	s.pager.reset(s.filter())
	s.table.ScrollToTop()
}

// SortBy orders the queue by column key, toggling the direction when it already is.
func (s *Screen) SortBy(k SortKey) {
	f := s.filter()
	if f.Sort == k {
		f.Desc = !f.Desc
	} else {
		f.Sort, f.Desc = k, false
	}
	s.pager.filter = f
	s.applyFilter()
}

func (s *Screen) onLoaded() {
	s.listErr.SetError("", nil)
	text := countText(s.pager.count, s.pager.totals)
	if f := s.pager.filter; f.Text != "" || f.Reason != "" {
		// "0 open" under a search reads as an empty queue; it is an empty match.
		text = "Filtered: " + text
		if s.pager.count == 0 {
			text = "No open exception matches the filter"
		}
	}
	s.countLbl.SetText(text)
	if s.pager.count == 0 && s.cur == nil {
		if f := s.pager.filter; f.Text == "" && f.Reason == "" {
			s.emptyTitle.SetText("No open exceptions")
			s.emptyBody.SetText("Every document reached its final state. New problems appear here, with the fix they need.")
		} else {
			s.emptyTitle.SetText("Nothing matches the filter")
			s.emptyBody.SetText("Clear the filter to see every open exception.")
		}
	} else if s.cur == nil {
		s.emptyTitle.SetText("No exception selected")
		s.emptyBody.SetText("Pick a row (arrow keys and Space, or a click) to see why it failed and how to fix it.")
	}
	s.table.Refresh()
	// The clerk's home opens on the first exception, so the pane is never
	// empty while there is work.
	if !s.opened && s.selRow < 0 && s.pager.count > 0 {
		if _, ok := s.pager.row(0); ok {
			s.opened = true
			s.auto = true
			s.Select(0)
			s.auto = false
			return
		}
	}
	// The clerk may have selected a row whose page was not loaded yet.
	if s.selRow >= 0 && (s.cur == nil) {
		if _, ok := s.pager.row(s.selRow); ok {
			s.selectRow(s.selRow)
		}
	}
}

func (s *Screen) updateHeader(id widget.TableCellID, o fyne.CanvasObject) {
	b := o.(*widget.Button)
	if id.Col < 0 || id.Col >= len(columns) {
		b.SetText("")
		return
	}
	c := columns[id.Col]
	t := c.title
	if s.pager.filter.Sort == c.key {
		if s.pager.filter.Desc {
			t += " ▼"
		} else {
			t += " ▲"
		}
	}
	b.SetText(t)
	if c.key == NoSort {
		b.OnTapped = nil
		return
	}
	b.OnTapped = func() { s.SortBy(c.key) }
}

func (s *Screen) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	r, ok := s.pager.row(id.Row)
	l.Alignment = fyne.TextAlignLeading
	if !ok {
		l.SetText("…")
		return
	}
	c := columns[id.Col]
	if c.key == ByAmount {
		l.Alignment = fyne.TextAlignTrailing
	}
	l.SetText(c.text(r, s.p.Now()))
}

// day is a calendar date as the clerk reads it; "—" when unknown.
func day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2006-01-02")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// CountText is the count line above the queue, with the totals.
func (s *Screen) CountText() string { return s.countLbl.Text }

// Count is the number of rows the table currently shows.
func (s *Screen) Count() int {
	if s.pager == nil {
		return 0
	}
	return s.pager.count
}

// Select selects table row i (as a click or Space would).
func (s *Screen) Select(i int) {
	if !s.auto {
		s.picked = true
	}
	s.table.Select(widget.TableCellID{Row: i, Col: 0})
	s.table.ScrollToLeading() // the reason column first, whatever the selection scrolled
}

func (s *Screen) selectRow(i int) {
	s.selRow = i
	s.cur = nil
	r, ok := s.pager.row(i)
	if !ok {
		return // onLoaded selects it when its page arrives
	}
	uikit.Load(s.detailL, func(ctx context.Context) (Detail, error) { return s.src.Detail(ctx, r.ID) }, func(d Detail, err error) {
		if s.selRow != i {
			return
		}
		if err != nil {
			s.setDetailErr("load exception "+strconv.FormatInt(r.ID, 10), err)
			return
		}
		s.showDetail(&d)
	})
}

func (s *Screen) showDetail(d *Detail) {
	s.cur = d
	s.emptyDetail.Hide()
	s.detail.Objects[1].Show()
	s.setDetailErr("", nil)
	s.resultLbl.Hide()
	s.previewBox.Hide()
	s.titleLbl.SetText(fmt.Sprintf("%s · %s · %s", d.ReasonLabel, d.Partner, d.BusinessKey))
	s.messageLbl.SetText(d.Message)
	s.fixLbl.SetText("What to do: " + d.Fix)
	if d.PartnerKey != "" {
		opts := make([]string, 0, len(d.Suggestions))
		for _, sg := range d.Suggestions {
			opts = append(opts, fmt.Sprintf("%s — %s (%s)", sg.SupplierID, sg.Name, sg.Why))
		}
		s.mapSel.SetOptions(opts)
		s.mapSel.ClearSelected()
		s.mapEntry.SetText("")
		if len(d.Suggestions) > 0 {
			s.mapEntry.SetText(d.Suggestions[0].SupplierID)
		}
		s.mapBox.Show()
	} else {
		s.mapBox.Hide()
	}
	if d.GLFix != nil {
		s.glLbl.SetText(fmt.Sprintf("Add a GL rule here: supplier %s, charge %s", d.GLFix.SupplierID, d.GLFix.ChargeCode))
		s.glAccount.SetText("")
		s.glCost.SetText("")
		s.glBox.Show()
	} else {
		s.glBox.Hide()
	}
	if c := d.Correction; c != nil {
		n := 0
		for _, f := range c.Fields {
			if f.Differs {
				n++
			}
		}
		text := fmt.Sprintf("%d field(s) of IFS invoice %d would change; each row is read with its ETag and written with If-Match.", n, c.IFSInvoiceID)
		if len(c.Conflicts) > 0 {
			text += "\nChanged in IFS meanwhile:\n• " + strings.Join(c.Conflicts, "\n• ")
			s.reapplyBtn.Show()
		} else {
			s.reapplyBtn.Hide()
		}
		s.corrLbl.SetText(text)
		s.corrBox.Show()
	} else {
		s.corrBox.Hide()
	}
	s.ignoreEntry.SetText("")
	s.showDecisions(d)

	fields := make([]docview.Field, len(d.Parsed))
	for i, f := range d.Parsed {
		fields[i] = docview.Field{Name: f.Name, Value: f.Value}
	}
	s.parsedBox.Objects = []fyne.CanvasObject{docview.View(d.ParsedJSON, fields)}
	s.parsedBox.Refresh()
	s.rawLbl.SetText(segmentLines(d.RawEDI))

	s.linesBox.Objects = nil
	s.poSeq++
	switch {
	case d.Correction != nil:
		s.linesBox.Add(correctionGrid(d.Correction))
	case d.ComparePO != "":
		s.poMsg = widget.NewLabel("Reading purchase order " + d.ComparePO + " from IFS…")
		s.poMsg.Wrapping = fyne.TextWrapWord
		s.linesBox.Add(s.poMsg)
		s.fetchPO(d, s.poSeq)
	case len(d.Lines) == 0:
		s.linesBox.Add(widget.NewLabel("No IFS purchase order lines to compare for this exception."))
	default:
		s.linesBox.Add(contextGrid(d.Lines))
	}
	s.linesBox.Refresh()
	if d.POFirst || len(d.Lines) > 0 || d.Correction != nil {
		s.tabs.SelectIndex(1)
	} else {
		s.tabs.SelectIndex(0)
	}
	s.body.Refresh()
}

// stillFailing finds "N still failing" in a replay-all summary.
var stillFailing = regexp.MustCompile(`(\d+) still failing`)

// outcomeImportance colours an action's outcome by what it says, so a
// failure is never shown in green: "still failing" (one, or a count above
// zero) is a warning, "failed"/"refused" is danger, a request queued for
// the team's engine is neutral, anything else succeeded.
func outcomeImportance(msg string) widget.Importance {
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "failed:") || strings.Contains(low, "refused"):
		return widget.DangerImportance
	case strings.Contains(low, "queued for the team's engine"):
		return widget.MediumImportance
	}
	if m := stillFailing.FindStringSubmatch(low); m != nil {
		if m[1] != "0" {
			return widget.WarningImportance
		}
		return widget.SuccessImportance
	}
	if strings.Contains(low, "still failing") || strings.Contains(low, "still open") {
		return widget.WarningImportance
	}
	return widget.SuccessImportance
}

func bold(t string) *widget.Label {
	return widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// segmentLines puts each X12 segment on its own line when the raw file came as one line.
func segmentLines(raw string) string {
	if strings.Contains(raw, "\n") || !strings.Contains(raw, "~") {
		return raw
	}
	return strings.ReplaceAll(strings.TrimRight(raw, "~"), "~", "~\n") + "~"
}

// Current is the exception the detail pane shows, or nil.
func (s *Screen) Current() *Detail { return s.cur }

func (s *Screen) done(what string, msg string, err error) {
	if err != nil {
		s.setDetailErr(what, err)
		return
	}
	s.setDetailErr("", nil)
	s.picked = true // keep the outcome in view: no automatic reopening
	s.resultLbl.Importance = outcomeImportance(msg)
	s.resultLbl.SetText(msg)
	s.resultLbl.Show()
	s.table.UnselectAll()
	s.selRow = -1
	s.pager.reset(s.filter())
	s.Reload()
	s.body.Refresh()
	if s.p.OnChanged != nil {
		s.p.OnChanged()
	}
}

// Replay re-runs the selected exception.
func (s *Screen) Replay() {
	d := s.cur
	if d == nil {
		return
	}
	s.p.Runner.Go(func() {
		out, err := s.src.Replay(s.ctx, d.ID)
		fyne.Do(func() { s.done("replay "+d.BusinessKey, d.BusinessKey+": "+out, err) })
	})
}

// UpdateIFS applies the selected corrected invoice to the IFS invoice;
// reapply writes the supplier's values over fields changed in IFS meanwhile.
func (s *Screen) UpdateIFS(reapply bool) {
	d := s.cur
	if d == nil || d.Correction == nil {
		return
	}
	s.p.Runner.Go(func() {
		out, err := s.src.UpdateIFS(s.ctx, d.ID, reapply)
		fyne.Do(func() { s.done("update the IFS invoice for "+d.BusinessKey, d.BusinessKey+": "+out, err) })
	})
}

// correctionGrid shows the three versions of a corrected invoice; rows the
// update writes are bold, rows someone edited in IFS are marked.
func correctionGrid(c *Correction) fyne.CanvasObject {
	g := container.NewGridWithColumns(4, bold("Field"), bold("Earlier (posted)"), bold("Corrected (supplier)"), bold("IFS now"))
	for _, f := range c.Fields {
		now := f.IFSNow
		if f.Edited {
			now += " (edited in IFS)"
		}
		cells := []string{f.Field, f.Earlier, f.Corrected, now}
		for _, t := range cells {
			l := widget.NewLabel(t)
			l.Truncation = fyne.TextTruncateEllipsis
			if f.Differs {
				l.TextStyle = fyne.TextStyle{Bold: true}
				l.Importance = widget.WarningImportance
			}
			g.Add(l)
		}
	}
	return g
}

// PreviewReplayAll shows what replaying every exception with the selected reason would do.
func (s *Screen) PreviewReplayAll() {
	d := s.cur
	if d == nil {
		return
	}
	s.p.Runner.Go(func() {
		pv, err := s.src.PreviewReplayAll(s.ctx, d.Reason)
		fyne.Do(func() {
			if err != nil {
				s.setDetailErr("preview replay", err)
				return
			}
			s.previewLbl.SetText(fmt.Sprintf("Replay %d exceptions with reason “%s”:", len(pv.Items), d.ReasonLabel))
			var b strings.Builder
			for i, it := range pv.Items {
				if i == 12 {
					fmt.Fprintf(&b, "… and %d more", len(pv.Items)-i)
					break
				}
				fmt.Fprintf(&b, "%s: %s\n", it.BusinessKey, it.Outcome)
			}
			s.previewList.SetText(strings.TrimRight(b.String(), "\n"))
			s.confirmBtn.SetText(fmt.Sprintf("Replay %d", len(pv.Items)))
			s.previewBox.Show()
			s.body.Refresh()
		})
	})
}

// ConfirmReplayAll replays every exception with the selected reason (after the preview).
func (s *Screen) ConfirmReplayAll() {
	d := s.cur
	if d == nil {
		return
	}
	s.previewBox.Hide()
	s.p.Runner.Go(func() {
		o, err := s.src.ReplayAll(s.ctx, d.Reason)
		fyne.Do(func() {
			s.done("replay all", fmt.Sprintf("“%s”: %s", d.ReasonLabel, o.Summary()), err)
		})
	})
}

// Ignore closes the selected exception with the typed comment.
func (s *Screen) Ignore() {
	d := s.cur
	if d == nil {
		return
	}
	comment := strings.TrimSpace(s.ignoreEntry.Text)
	if comment == "" {
		s.setDetailErr("ignore", fmt.Errorf("a comment is required, so the audit trail says why"))
		return
	}
	s.p.Runner.Go(func() {
		err := s.src.Ignore(s.ctx, d.ID, comment)
		fyne.Do(func() { s.done("ignore "+d.BusinessKey, d.BusinessKey+" ignored: "+comment, err) })
	})
}

// MapAndReplay maps the exception's partner to the entered supplier, then replays it.
func (s *Screen) MapAndReplay() {
	d := s.cur
	if d == nil || d.PartnerKey == "" {
		return
	}
	sup := strings.TrimSpace(s.mapEntry.Text)
	if sup == "" {
		s.setDetailErr("map partner", fmt.Errorf("enter or pick an IFS supplier id"))
		return
	}
	s.p.Runner.Go(func() {
		err := s.src.MapPartner(s.ctx, d.PartnerKey, sup)
		if err != nil {
			fyne.Do(func() { s.setDetailErr("map "+d.PartnerKey+" to "+sup, err) })
			return
		}
		out, err := s.src.Replay(s.ctx, d.ID)
		fyne.Do(func() {
			s.done("replay "+d.BusinessKey, fmt.Sprintf("Mapped %s to supplier %s. %s: %s", d.PartnerKey, sup, d.BusinessKey, out), err)
		})
	})
}

// AddGLRuleAndReplay adds the GL rule typed in the detail pane, then replays
// the exception (use "replay all like this" for the others it fixes).
func (s *Screen) AddGLRuleAndReplay() {
	d := s.cur
	if d == nil || d.GLFix == nil {
		return
	}
	acct, cc := strings.TrimSpace(s.glAccount.Text), strings.TrimSpace(s.glCost.Text)
	if acct == "" {
		s.setDetailErr("add the GL rule", fmt.Errorf("enter the account to code charge %s to", d.GLFix.ChargeCode))
		return
	}
	fix := *d.GLFix
	s.p.Runner.Go(func() {
		err := s.src.AddGLRule(s.ctx, fix.SupplierID, fix.ChargeCode, acct, cc)
		if err != nil {
			fyne.Do(func() { s.setDetailErr("add the GL rule", err) })
			return
		}
		out, err := s.src.Replay(s.ctx, d.ID)
		fyne.Do(func() {
			s.done("replay "+d.BusinessKey, fmt.Sprintf("GL rule added: %s %s → %s %s. %s: %s", fix.SupplierID, fix.ChargeCode, acct, cc, d.BusinessKey, out), err)
		})
	})
}

// SetGLCoding types the account and cost centre of the GL fix.
func (s *Screen) SetGLCoding(account, costCentre string) {
	s.glAccount.SetText(account)
	s.glCost.SetText(costCentre)
}

func (s *Screen) focus(o fyne.Focusable) {
	if c := fyne.CurrentApp().Driver().CanvasForObject(s); c != nil {
		c.Focus(o)
	}
}

func (s *Screen) move(delta int) {
	if s.pager == nil || s.pager.count == 0 {
		return
	}
	i := s.selRow + delta
	if i < 0 {
		i = 0
	}
	if i >= s.pager.count {
		i = s.pager.count - 1
	}
	s.table.ScrollTo(widget.TableCellID{Row: i, Col: 0})
	s.Select(i)
}

// Shortcuts are the keyboard commands of the queue.
func (s *Screen) Shortcuts() []uikit.Shortcut {
	if s.src == nil {
		return nil
	}
	return []uikit.Shortcut{
		{Desc: "Replay the selected exception", Key: fyne.KeyR, Mod: fyne.KeyModifierShortcutDefault, Run: s.Replay},
		{Desc: "Replay all like this (preview)", Key: fyne.KeyR, Mod: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift, Run: s.PreviewReplayAll},
		{Desc: "Ignore with a comment", Key: fyne.KeyI, Mod: fyne.KeyModifierShortcutDefault, Run: func() { s.focus(s.ignoreEntry) }},
		{Desc: "Filter the queue", Key: fyne.KeyF, Mod: fyne.KeyModifierShortcutDefault, Run: func() { s.focus(s.search) }},
		{Desc: "Map the partner", Key: fyne.KeyM, Mod: fyne.KeyModifierShortcutDefault, Run: func() { s.focus(s.mapEntry) }},
		{Desc: "Next exception", Key: fyne.KeyDown, Mod: fyne.KeyModifierShortcutDefault, Run: func() { s.move(1) }},
		{Desc: "Previous exception", Key: fyne.KeyUp, Mod: fyne.KeyModifierShortcutDefault, Run: func() { s.move(-1) }},
	}
}

// ScrollTo scrolls the table so row i is visible (rows load as they appear).
func (s *Screen) ScrollTo(i int) { s.table.ScrollTo(widget.TableCellID{Row: i, Col: 0}) }

// Status returns the last action's outcome and the error shown in place, for tests.
func (s *Screen) Status() (result, errText string) {
	if s.resultLbl == nil {
		return "", ""
	}
	if s.resultLbl.Visible() {
		result = s.resultLbl.Text
	}
	if s.detailErr.Visible() {
		errText = s.detailErr.Text
	} else if s.listErr.Visible() {
		errText = s.listErr.Text
	}
	return result, errText
}

// SetSearch types a filter into the search box.
func (s *Screen) SetSearch(text string) { s.search.SetText(text) }

// SetReason filters to one reason code ("" for all); it reports whether the code is known.
func (s *Screen) SetReason(code string) bool {
	if code == "" {
		s.reasonSel.SetSelectedIndex(0)
		return true
	}
	for i, r := range s.reasons {
		if r.Reason == code {
			s.reasonSel.SetSelectedIndex(i + 1)
			return true
		}
	}
	return false
}

// ShowReason shows the open exceptions with one reason code ("" all), as a
// click on a Dashboard count asks: the search is cleared so the list is
// what was counted. A reason the list has not loaded yet is selected when
// it arrives.
func (s *Screen) ShowReason(code string) {
	if s.src == nil {
		return
	}
	s.search.SetText("")
	if s.SetReason(code) {
		s.applyFilter()
		return
	}
	s.wantReason = code
	s.Reload()
}

// SetIgnoreComment types the ignore comment.
func (s *Screen) SetIgnoreComment(c string) { s.ignoreEntry.SetText(c) }

// SetSupplier types the supplier id to map the partner to.
func (s *Screen) SetSupplier(id string) { s.mapEntry.SetText(id) }

// setDetailErr shows (or clears) the detail pane's error and lays the pane out again.
func (s *Screen) setDetailErr(doing string, err error) {
	s.detailErr.SetError(doing, err)
	s.body.Refresh()
}

// countText is the queue's count with the total of its amounts per
// currency: "12 open · 4123.50 USD + 99.00 EUR". Beyond two currencies it
// says how many more, so the line never widens the window.
func countText(n int, totals []Total) string {
	out := fmt.Sprintf("%d open", n)
	for i, t := range totals {
		if i == 2 {
			if more := len(totals) - 2; more == 1 {
				out += " + 1 more currency"
			} else {
				out += fmt.Sprintf(" + %d more currencies", more)
			}
			break
		}
		sep := " + "
		if i == 0 {
			sep = " · "
		}
		out += sep + strings.TrimSpace(t.Amount.String()+" "+t.Currency)
	}
	return out
}
