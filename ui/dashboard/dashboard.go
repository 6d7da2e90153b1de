// Package dashboard is the first screen: per flow the last and next run, the
// heartbeat and the result; counts for today and this week; exceptions by
// reason; overdue 997s; a small chart of documents per day; and progress bars
// while a sync runs.
package dashboard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// FlowStatus is the state of one flow (POs out, invoices in, reference data).
type FlowStatus struct {
	Flow        string // stable code: "pos", "invoices", "reference"
	Label       string // "Purchase orders out"
	LastRun     time.Time
	LastResult  string // "12 sent", "failed: token expired"
	LastOK      bool
	NextRun     time.Time
	LastSuccess time.Time // heartbeat: the last run that succeeded
	Stale       bool      // no success for too long
	Paused      bool
	Running     bool
	Done, Total int // progress of the running sync
}

// Counts are document counts over a period.
type Counts struct {
	Received, Posted, Sent, Acknowledged, Exceptions int
}

// ReasonCount is the number of open exceptions with one reason.
type ReasonCount struct {
	Code  string // the reason code, for the drill-down
	Label string
	Count int
}

// Drill is the list behind a count or a bar: where a click on it leads.
type Drill struct {
	// Exceptions opens the exception queue, filtered to Reason ("" all).
	Exceptions bool
	Reason     string
	// Otherwise the Documents screen shows DocKind (a documents.Kinds key,
	// "" all) created in [From, To) (zero: open-ended).
	DocKind  string
	From, To time.Time
}

// DayCount is the number of documents handled on one day.
type DayCount struct {
	Day               time.Time
	Inbound, Outbound int
}

// TeamStatus is the team database's engine as this desk sees it; nil on a
// desk's own file.
type TeamStatus struct {
	Database    string // the database, without secrets
	ThisDesk    string // "leads the engine", "stands by to lead", "client"
	Leader      string // "svc on srv1 (pid 4242, run)"; empty when nobody leads
	LeaderSince time.Time
	Standbys    []string
}

// Snapshot is everything the dashboard shows.
type Snapshot struct {
	Team  *TeamStatus
	Flows []FlowStatus
	Today Counts
	Week  Counts
	// TodayFrom and WeekFrom start the two periods (local midnight, Monday).
	TodayFrom, WeekFrom time.Time
	ByReason            []ReasonCount
	Overdue997          int
	// DeliveriesFailed and DeliveriesStuck count outbound files the network
	// could not deliver, or has held pending beyond the partner's limit.
	DeliveriesFailed int
	DeliveriesStuck  int
	PerDay           []DayCount // oldest first, e.g. the last 14 days
}

// Source is what the dashboard needs from the engine (called off the UI goroutine).
type Source interface {
	Snapshot(ctx context.Context) (Snapshot, error)
}

// Params are the screen's collaborators besides its Source.
type Params struct {
	Runner *uikit.Runner
	Now    func() time.Time
	Loc    *time.Location // for run times; time.Local when nil
	// SyncNow and TogglePause are the app's "Sync now" and "Pause/Resume
	// all" (also in the tray and on Ctrl+Shift+S); nil hides the buttons.
	SyncNow     func()
	TogglePause func()
	// Open shows the list behind a count, a reason or a day's bar; nil
	// leaves them plain text.
	Open func(Drill)
}

// Screen is the dashboard.
type Screen struct {
	widget.BaseWidget
	ctx     context.Context
	load    *uikit.Loader
	src     Source
	p       Params
	content fyne.CanvasObject

	snap     Snapshot
	loaded   bool
	errLbl   *uikit.ErrorLabel
	team     *widget.Card
	teamBody *widget.Label
	flows    *fyne.Container
	counts   *fyne.Container
	reasons  *fyne.Container
	overdue  *fyne.Container // the overdue 997s and the failed and stuck deliveries
	chart    *BarChart
	health   *widget.Label // the one line: flowing / needs attention / failing
	progress map[string]*widget.ProgressBar
	// started is when each running flow's progress was first seen: its
	// rate is the documents done since then per minute.
	started  map[string]time.Time
	syncBtn  *widget.Button
	pauseBtn *widget.Button
}

// New builds the dashboard; call Reload to fill it.
func New(ctx context.Context, src Source, p Params) *Screen {
	if p.Runner == nil {
		p.Runner = uikit.NewRunner()
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Loc == nil {
		p.Loc = time.Local
	}
	s := &Screen{ctx: ctx, src: src, p: p, progress: map[string]*widget.ProgressBar{}, started: map[string]time.Time{}}
	s.load = uikit.NewLoader(ctx, p.Runner)
	s.ExtendBaseWidget(s)
	if src == nil {
		s.content = uikit.NoEngine("Flows, counts and charts")
		return s
	}
	s.errLbl = uikit.NewErrorLabel()
	s.flows = container.NewVBox(widget.NewLabel("Loading…"))
	s.counts = container.NewGridWithColumns(3)
	s.reasons = container.NewVBox()
	s.overdue = container.NewVBox()
	s.chart = NewBarChart()
	if p.Open != nil {
		s.chart.OnTapped = func(d DayCount) {
			// The whole calendar day, whatever time of it Day carries.
			y, m, dd := d.Day.In(p.Loc).Date()
			from := time.Date(y, m, dd, 0, 0, 0, 0, p.Loc)
			p.Open(Drill{From: from, To: from.AddDate(0, 0, 1)})
		}
	}
	// The chart sits under the reasons, beside the counts, so it is above
	// the fold at 1366×768.
	top := container.NewGridWithColumns(2,
		widget.NewCard("Documents", "", container.NewVBox(s.counts, s.overdue)),
		container.NewVBox(
			widget.NewCard("Open exceptions by reason", "", s.reasons),
			widget.NewCard("Documents per day", "14 days: in (left), out (right); click to list", s.chart),
		),
	)
	s.teamBody = widget.NewLabel("")
	s.teamBody.Wrapping = fyne.TextWrapWord
	s.team = widget.NewCard("Team database", "", s.teamBody)
	s.team.Hide()
	flowsBody := fyne.CanvasObject(s.flows)
	if p.SyncNow != nil && p.TogglePause != nil {
		s.syncBtn = widget.NewButtonWithIcon("Sync now", theme.ViewRefreshIcon(), p.SyncNow)
		s.pauseBtn = widget.NewButtonWithIcon("Pause all", theme.MediaPauseIcon(), p.TogglePause)
		flowsBody = container.NewBorder(container.NewHBox(s.syncBtn, s.pauseBtn), nil, nil, nil, s.flows)
	}
	s.health = widget.NewLabel("")
	s.health.TextStyle.Bold = true
	s.health.Wrapping = fyne.TextWrapWord
	s.content = container.NewVScroll(container.NewVBox(
		s.errLbl,
		s.health,
		s.team,
		widget.NewCard("Flows", "", flowsBody),
		top,
	))
	return s
}

// SetPaused shows whether the schedules are paused on the pause button
// (call on the UI goroutine).
func (s *Screen) SetPaused(paused bool) {
	if s.pauseBtn == nil {
		return
	}
	if paused {
		s.pauseBtn.SetText("Resume all")
		s.pauseBtn.SetIcon(theme.MediaPlayIcon())
	} else {
		s.pauseBtn.SetText("Pause all")
		s.pauseBtn.SetIcon(theme.MediaPauseIcon())
	}
}

// PauseButton returns the pause/resume button (tests); nil without one.
func (s *Screen) PauseButton() *widget.Button { return s.pauseBtn }

// CreateRenderer implements fyne.Widget.
func (s *Screen) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(s.content) }

// Reload fetches a fresh snapshot off the UI goroutine and shows it in one fyne.Do.
func (s *Screen) Reload() {
	if s.src == nil {
		return
	}
	uikit.Load(s.load, s.src.Snapshot, func(snap Snapshot, err error) {
		if err != nil {
			s.errLbl.SetError("load the dashboard", err)
			return
		}
		s.errLbl.SetError("", nil)
		s.show(snap)
	})
}

// Snapshot is the data last shown.
func (s *Screen) Snapshot() Snapshot { return s.snap }

// SetProgress shows (or, when running is false, hides) the progress of a flow's sync.
// It is fed by run events and needs no engine round trip.
// The bar reads "done / total" and, once a second has passed, the rate
// so far ("· 452/min"): at month-end AP wants to know when it will end.
func (s *Screen) SetProgress(flow string, running bool, done, total int) {
	if !running {
		delete(s.started, flow)
	} else if _, ok := s.started[flow]; !ok {
		s.started[flow] = s.p.Now()
	}
	for i := range s.snap.Flows {
		f := &s.snap.Flows[i]
		if f.Flow == flow {
			f.Running, f.Done, f.Total = running, done, total
		}
	}
	if b, ok := s.progress[flow]; ok {
		setBar(b, running, done, total, s.rate(flow, done))
	}
}

// rate is a running flow's documents per minute since it started, "" in
// its first second or before anything is done.
func (s *Screen) rate(flow string, done int) string {
	t0, ok := s.started[flow]
	elapsed := s.p.Now().Sub(t0)
	if !ok || elapsed < time.Second || done <= 0 {
		return ""
	}
	return fmt.Sprintf("%.0f/min", float64(done)/elapsed.Minutes())
}

func setBar(b *widget.ProgressBar, running bool, done, total int, rate string) {
	if !running {
		b.Hide()
		return
	}
	if total > 0 {
		b.Max = float64(total)
		b.SetValue(float64(done))
	} else {
		b.Max = 1
		b.SetValue(0)
	}
	b.TextFormatter = func() string {
		text := fmt.Sprintf("%d so far", done)
		if total > 0 {
			text = fmt.Sprintf("%d / %d", done, total)
		}
		if rate != "" {
			text += " · " + rate
		}
		return text
	}
	b.Show()
	b.Refresh()
}

func (s *Screen) show(snap Snapshot) {
	s.snap, s.loaded = snap, true
	now := s.p.Now()
	text, level := Health(snap)
	s.health.Importance = level
	s.health.SetText(text)
	s.showTeam(snap.Team, now)

	s.flows.Objects = nil
	if len(snap.Flows) == 0 {
		s.flows.Add(widget.NewLabel("No flows are scheduled yet: set up the connections, then the schedules."))
	}
	grid := container.New(flowColumns, bold("Flow"), bold("Last run"), bold("Next run"), bold("Heartbeat"), bold("Sync"))
	s.progress = map[string]*widget.ProgressBar{}
	for _, f := range snap.Flows {
		last := widget.NewLabel("never run")
		if !f.LastRun.IsZero() {
			last.SetText(uikit.Age(now, f.LastRun) + ": " + f.LastResult)
			if !f.LastOK {
				last.Importance = widget.DangerImportance
			}
		}
		last.Truncation = fyne.TextTruncateEllipsis // in a column twice as wide as the others (flowColumns)
		next := widget.NewLabel(uikit.When(f.NextRun, s.p.Loc))
		if f.Paused {
			next.SetText("paused")
			next.Importance = widget.WarningImportance
		}
		hb := widget.NewLabel("no successful run yet")
		if !f.LastSuccess.IsZero() {
			hb.SetText("last good " + uikit.Age(now, f.LastSuccess))
		}
		if f.Stale {
			hb.SetText("STALE: " + hb.Text)
			hb.Importance = widget.DangerImportance
		}
		// Every cell truncates rather than widening the five equal columns
		// (and with them the window) past a 1024-pixel screen.
		next.Truncation, hb.Truncation = fyne.TextTruncateEllipsis, fyne.TextTruncateEllipsis
		name := widget.NewLabel(f.Label)
		name.Truncation = fyne.TextTruncateEllipsis
		bar := widget.NewProgressBar()
		setBar(bar, f.Running, f.Done, f.Total, s.rate(f.Flow, f.Done))
		s.progress[f.Flow] = bar
		grid.Add(name)
		grid.Add(last)
		grid.Add(next)
		grid.Add(hb)
		grid.Add(container.NewStack(widget.NewLabel(idle(f)), bar))
	}
	if len(snap.Flows) > 0 {
		s.flows.Add(grid)
	}
	s.flows.Refresh()

	s.counts.Objects = []fyne.CanvasObject{bold(""), bold("Today"), bold("This week")}
	row := func(name string, a, b int, drill func(from time.Time) Drill) {
		s.counts.Add(widget.NewLabel(name))
		s.counts.Add(s.link(fmt.Sprint(a), drill(snap.TodayFrom)))
		s.counts.Add(s.link(fmt.Sprint(b), drill(snap.WeekFrom)))
	}
	docs := func(kind string) func(time.Time) Drill {
		return func(from time.Time) Drill { return Drill{DocKind: kind, From: from, To: now} }
	}
	row("Invoices received", snap.Today.Received, snap.Week.Received, docs("invoices-received"))
	row("Invoices posted", snap.Today.Posted, snap.Week.Posted, docs("invoices-posted"))
	row("POs sent", snap.Today.Sent, snap.Week.Sent, docs("pos-sent"))
	row("POs acknowledged", snap.Today.Acknowledged, snap.Week.Acknowledged, docs("pos-acknowledged"))
	row("Exceptions", snap.Today.Exceptions, snap.Week.Exceptions, func(time.Time) Drill { return Drill{Exceptions: true} })
	s.counts.Refresh()
	s.overdue.Objects = []fyne.CanvasObject{
		s.alarmLink(fmt.Sprintf("997 acknowledgements overdue: %d", snap.Overdue997), snap.Overdue997, "ACK_OVERDUE"),
		s.alarmLink(fmt.Sprintf("Deliveries failed: %d", snap.DeliveriesFailed), snap.DeliveriesFailed, "DELIVERY_FAILED"),
		s.alarmLink(fmt.Sprintf("Deliveries stuck: %d", snap.DeliveriesStuck), snap.DeliveriesStuck, "DELIVERY_STUCK"),
	}
	s.overdue.Refresh()

	s.reasons.Objects = nil
	if len(snap.ByReason) == 0 {
		s.reasons.Add(widget.NewLabel("None: every document reached its final state."))
	}
	maxN := 1
	for _, r := range snap.ByReason {
		maxN = max(maxN, r.Count)
	}
	for _, r := range snap.ByReason {
		b := widget.NewProgressBar()
		b.Max = float64(maxN)
		b.Value = float64(r.Count)
		n := r.Count
		b.TextFormatter = func() string { return fmt.Sprint(n) }
		s.reasons.Add(container.NewGridWithColumns(2, s.link(r.Label, Drill{Exceptions: true, Reason: r.Code}), b))
	}
	s.reasons.Refresh()
	s.chart.SetData(snap.PerDay)
	s.content.Refresh() // sizes changed: lay the cards out again
}

// flowColumns lays the flows out in rows of five cells, "Last run" (a
// result such as "1 min ago: failed: Cleo returned 503") twice as wide as
// the others, so it fits at 1366 px without wrapping every row.
var flowColumns = &weightedColumns{weights: []float32{1, 2, 1, 1, 1}}

// weightedColumns is a grid whose columns share the width by weight; each
// row is as tall as its tallest cell.
type weightedColumns struct{ weights []float32 }

func (w *weightedColumns) widths(total float32) []float32 {
	var sum float32
	for _, x := range w.weights {
		sum += x
	}
	pad := theme.Padding()
	free := total - pad*float32(len(w.weights)-1)
	out := make([]float32, len(w.weights))
	for i, x := range w.weights {
		out[i] = free * x / sum
	}
	return out
}

// Layout implements fyne.Layout.
func (w *weightedColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	n := len(w.weights)
	ws := w.widths(size.Width)
	y := float32(0)
	for r := 0; r*n < len(objs); r++ {
		row := objs[r*n : min(len(objs), (r+1)*n)]
		h := float32(0)
		for _, o := range row {
			h = max(h, o.MinSize().Height)
		}
		x := float32(0)
		for i, o := range row {
			o.Move(fyne.NewPos(x, y))
			o.Resize(fyne.NewSize(ws[i], h))
			x += ws[i] + theme.Padding()
		}
		y += h + theme.Padding()
	}
}

// MinSize implements fyne.Layout: each column at least its widest cell
// scaled to its weight, each row its tallest cell.
func (w *weightedColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	n := len(w.weights)
	var unit, height float32
	for r := 0; r*n < len(objs); r++ {
		row := objs[r*n : min(len(objs), (r+1)*n)]
		h := float32(0)
		for i, o := range row {
			m := o.MinSize()
			unit = max(unit, m.Width/w.weights[i])
			h = max(h, m.Height)
		}
		height += h
		if r > 0 {
			height += theme.Padding()
		}
	}
	var sum float32
	for _, x := range w.weights {
		sum += x
	}
	return fyne.NewSize(unit*sum+theme.Padding()*float32(n-1), height)
}

// link is a count or name that opens the list behind it (a plain label
// without Params.Open).
func (s *Screen) link(text string, d Drill) fyne.CanvasObject {
	if s.p.Open == nil {
		return widget.NewLabel(text)
	}
	h := widget.NewHyperlink(text, nil)
	h.OnTapped = func() { s.p.Open(d) }
	return h
}

// alarmLink is a problem count: red when there is any, and a link to the
// exceptions that carry it.
func (s *Screen) alarmLink(text string, n int, reason string) fyne.CanvasObject {
	if n == 0 || s.p.Open == nil {
		l := widget.NewLabel(text)
		if n > 0 {
			l.Importance = widget.DangerImportance
		}
		return l
	}
	return container.NewHBox(widget.NewIcon(theme.ErrorIcon()), s.link(text, Drill{Exceptions: true, Reason: reason}))
}

// showTeam says who runs the flows on a team database: the leader (or
// that nobody does, in red, since then nothing is posted), this desk's part
// and the standbys.
func (s *Screen) showTeam(t *TeamStatus, now time.Time) {
	if t == nil {
		s.team.Hide()
		return
	}
	s.team.SetSubTitle(t.Database)
	text := "Engine: nobody leads it now; no flow runs until a leader-capable desk or server starts"
	s.teamBody.Importance = widget.DangerImportance
	if t.Leader != "" {
		text = "Engine: led by " + t.Leader
		if !t.LeaderSince.IsZero() {
			text += ", since " + uikit.When(t.LeaderSince, s.p.Loc) + " (" + uikit.Age(now, t.LeaderSince) + ")"
		}
		s.teamBody.Importance = widget.MediumImportance
	}
	text += ".\nThis desk: " + t.ThisDesk + "."
	if len(t.Standbys) > 0 {
		text += "\nStanding by: " + strings.Join(t.Standbys, "; ") + "."
	}
	s.teamBody.SetText(text)
	s.team.Show()
}

func idle(f FlowStatus) string {
	if f.Running {
		return ""
	}
	return "idle"
}

func bold(t string) *widget.Label {
	return widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// BarChart draws documents per day as pairs of bars (inbound, outbound),
// each with its count above it.
type BarChart struct {
	widget.BaseWidget
	data []DayCount
	// OnTapped, when set, is called with the day under a click.
	OnTapped func(DayCount)
}

// Tapped implements fyne.Tappable: the day whose slot was clicked.
func (c *BarChart) Tapped(ev *fyne.PointEvent) {
	if c.OnTapped == nil || len(c.data) == 0 || c.Size().Width <= 0 {
		return
	}
	i := int(ev.Position.X / (c.Size().Width / float32(len(c.data))))
	if i >= 0 && i < len(c.data) {
		c.OnTapped(c.data[i])
	}
}

// NewBarChart returns an empty chart.
func NewBarChart() *BarChart {
	c := &BarChart{}
	c.ExtendBaseWidget(c)
	return c
}

// SetData replaces the bars.
func (c *BarChart) SetData(d []DayCount) {
	c.data = d
	c.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (c *BarChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	r.rebuild()
	return r
}

type chartRenderer struct {
	c       *BarChart
	objects []fyne.CanvasObject
	in, out []*canvas.Rectangle
	labels  []*canvas.Text
	values  []*canvas.Text // one per bar: inbound, outbound, inbound …
	empty   *canvas.Text
}

func (r *chartRenderer) rebuild() {
	r.objects, r.in, r.out, r.labels, r.values = nil, nil, nil, nil, nil
	th := r.c.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	blue, green := th.Color(theme.ColorNamePrimary, v), th.Color(theme.ColorNameSuccess, v)
	if len(r.c.data) == 0 {
		r.empty = canvas.NewText("No documents yet.", th.Color(theme.ColorNameForeground, v))
		r.objects = append(r.objects, r.empty)
		return
	}
	r.empty = nil
	for _, d := range r.c.data {
		in := canvas.NewRectangle(blue)
		out := canvas.NewRectangle(green)
		lbl := canvas.NewText(d.Day.Format("02"), th.Color(theme.ColorNameForeground, v))
		lbl.TextSize = th.Size(theme.SizeNameCaptionText)
		lbl.Alignment = fyne.TextAlignCenter
		r.in, r.out, r.labels = append(r.in, in), append(r.out, out), append(r.labels, lbl)
		r.objects = append(r.objects, in, out, lbl)
		for _, n := range []int{d.Inbound, d.Outbound} {
			t := ""
			if n > 0 {
				t = fmt.Sprint(n)
			}
			vt := canvas.NewText(t, th.Color(theme.ColorNameForeground, v))
			vt.TextSize = th.Size(theme.SizeNameCaptionText)
			vt.Alignment = fyne.TextAlignCenter
			r.values = append(r.values, vt)
			r.objects = append(r.objects, vt)
		}
	}
}

func (r *chartRenderer) Layout(size fyne.Size) {
	if r.empty != nil {
		r.empty.Move(fyne.NewPos(0, 0))
		return
	}
	n := len(r.c.data)
	if n == 0 {
		return
	}
	maxV := 1
	for _, d := range r.c.data {
		maxV = max(maxV, d.Inbound, d.Outbound)
	}
	labelH := float32(16)
	slot := size.Width / float32(n)
	barW := slot * 0.35
	h := size.Height - labelH
	top := labelH // room for the tallest bar's count above it
	h -= top
	for i, d := range r.c.data {
		x := slot * float32(i)
		hi := h * float32(d.Inbound) / float32(maxV)
		ho := h * float32(d.Outbound) / float32(maxV)
		r.in[i].Resize(fyne.NewSize(barW, hi))
		r.in[i].Move(fyne.NewPos(x+slot*0.1, top+h-hi))
		r.out[i].Resize(fyne.NewSize(barW, ho))
		r.out[i].Move(fyne.NewPos(x+slot*0.1+barW, top+h-ho))
		r.labels[i].Resize(fyne.NewSize(slot, labelH))
		r.labels[i].Move(fyne.NewPos(x, top+h))
		for j, bh := range []float32{hi, ho} {
			vt := r.values[2*i+j]
			vt.Resize(fyne.NewSize(barW, labelH))
			vt.Move(fyne.NewPos(x+slot*0.1+barW*float32(j), top+h-bh-labelH))
		}
	}
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(280, 120) }

func (r *chartRenderer) Refresh() {
	r.rebuild()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *chartRenderer) Destroy()                     {}

// Health is the dashboard's one line, and how it is coloured: a failing
// flow or a team without a leader first (danger), then what needs a
// person (warning: open exceptions, overdue 997s, failed or stuck
// deliveries, paused schedules), else that everything flows (success).
func Health(s Snapshot) (string, widget.Importance) {
	var failing []string
	paused := 0
	for _, f := range s.Flows {
		switch {
		case !f.LastRun.IsZero() && !f.LastOK:
			failing = append(failing, f.Label+" ("+f.LastResult+")")
		case f.Stale:
			failing = append(failing, f.Label+" (no success for too long)")
		}
		if f.Paused {
			paused++
		}
	}
	if s.Team != nil && s.Team.Leader == "" {
		failing = append([]string{"the team's engine (nobody leads it)"}, failing...)
	}
	if len(failing) > 0 {
		return "Failing: " + strings.Join(failing, "; ") + ". Check Connections and the log.", widget.DangerImportance
	}
	open := 0
	for _, r := range s.ByReason {
		open += r.Count
	}
	var need []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			need = append(need, "1 "+one)
		case n > 1:
			need = append(need, fmt.Sprintf("%d %s", n, many))
		}
	}
	add(open, "open exception", "open exceptions")
	add(s.Overdue997, "overdue 997", "overdue 997s")
	add(s.DeliveriesFailed, "failed delivery", "failed deliveries")
	add(s.DeliveriesStuck, "stuck delivery", "stuck deliveries")
	if paused > 0 && paused == len(s.Flows) {
		need = append(need, "every schedule paused")
	} else {
		add(paused, "schedule paused", "schedules paused")
	}
	if len(need) > 0 {
		return "Needs attention: " + strings.Join(need, ", ") + ".", widget.WarningImportance
	}
	if len(s.Flows) == 0 {
		return "Not set up yet: configure the connections, then the schedules.", widget.MediumImportance
	}
	return "Everything is flowing: the last runs succeeded and nothing waits for a person.", widget.SuccessImportance
}
