// Package schedules is the screen for the flows' cron schedules: each spec
// with a plain-language preview and its next run times (parsed with
// robfig/cron, as the engine's scheduler does), and pause/resume per flow.
package schedules

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// Schedule is one flow's schedule.
type Schedule struct {
	Flow   string // "pos", "invoices", "reference"
	Label  string // "Purchase orders out"
	Spec   string // cron expression
	Paused bool
}

// Source is what the screen needs from the engine (called off the UI goroutine).
type Source interface {
	List(ctx context.Context) ([]Schedule, error)
	SetSpec(ctx context.Context, flow, spec string) error
	SetPaused(ctx context.Context, flow string, paused bool) error
}

// Params are the screen's collaborators besides its Source.
type Params struct {
	Runner *uikit.Runner
	Now    func() time.Time
	Loc    *time.Location // the zone schedules run in; time.Local when nil
	// OnChanged is called on the UI goroutine after a schedule or pause state changed.
	OnChanged func()
}

// Screen lists the schedules.
type Screen struct {
	widget.BaseWidget
	ctx     context.Context
	load    *uikit.Loader
	src     Source
	p       Params
	content fyne.CanvasObject
	errLbl  *uikit.ErrorLabel
	list    *fyne.Container
	rows    map[string]*row
}

type row struct {
	sch     Schedule
	entry   *widget.Entry
	preview *widget.Label
	save    *widget.Button
	pause   *widget.Button
	state   *widget.Label
}

// New builds the screen; call Reload to fill it.
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
	s := &Screen{ctx: ctx, src: src, p: p, rows: map[string]*row{}}
	s.load = uikit.NewLoader(ctx, p.Runner)
	s.ExtendBaseWidget(s)
	if src == nil {
		s.content = uikit.NoEngine("Schedules")
		return s
	}
	s.errLbl = uikit.NewErrorLabel()
	s.list = container.NewVBox()
	help := widget.NewLabel("Five-field cron (minute hour day-of-month month day-of-week) or @every 2m, @daily … Times are " + p.Loc.String() + ". A run is skipped while the previous one of the same flow is still going.")
	help.Wrapping = fyne.TextWrapWord
	s.content = container.NewBorder(container.NewVBox(help, s.errLbl), nil, nil, nil, container.NewVScroll(s.list))
	return s
}

// CreateRenderer implements fyne.Widget.
func (s *Screen) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(s.content) }

// Reload fetches the schedules.
func (s *Screen) Reload() {
	if s.src == nil {
		return
	}
	uikit.Load(s.load, s.src.List, func(list []Schedule, err error) {
		if err != nil {
			s.errLbl.SetError("load the schedules", err)
			return
		}
		s.errLbl.SetError("", nil)
		s.show(list)
	})
}

func (s *Screen) show(list []Schedule) {
	s.list.Objects = nil
	s.rows = map[string]*row{}
	if len(list) == 0 {
		s.list.Add(widget.NewLabel("No flows to schedule yet."))
	}
	for _, sch := range list {
		r := &row{sch: sch}
		s.rows[sch.Flow] = r
		r.entry = widget.NewEntry()
		r.entry.SetText(sch.Spec)
		r.preview = widget.NewLabel("")
		r.preview.Wrapping = fyne.TextWrapWord
		r.state = widget.NewLabel("")
		r.entry.OnChanged = func(string) { s.preview(r) }
		r.entry.OnSubmitted = func(string) { s.saveSpec(r) }
		r.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { s.saveSpec(r) })
		r.pause = widget.NewButton("", func() { s.TogglePause(r.sch.Flow) })
		s.setPausedLook(r)
		s.preview(r)
		card := widget.NewCard(sch.Label, "",
			container.NewVBox(
				container.NewBorder(nil, nil, nil, container.NewHBox(r.save, r.pause), r.entry),
				r.preview, r.state))
		s.list.Add(card)
	}
	s.content.Refresh() // the scroll must learn its content's new size
}

func (s *Screen) setPausedLook(r *row) {
	if r.sch.Paused {
		r.pause.SetText("Resume")
		r.pause.SetIcon(theme.MediaPlayIcon())
		r.state.SetText("Paused: this flow does not run until resumed.")
		r.state.Importance = widget.WarningImportance
	} else {
		r.pause.SetText("Pause")
		r.pause.SetIcon(theme.MediaPauseIcon())
		r.state.SetText("Running on schedule.")
		r.state.Importance = widget.SuccessImportance
	}
	r.state.Refresh()
}

// preview is pure (no engine call), so it runs on every keystroke.
func (s *Screen) preview(r *row) {
	spec := r.entry.Text
	desc, err := Describe(spec)
	if err != nil {
		r.preview.SetText("Not a valid schedule: " + err.Error())
		r.preview.Importance = widget.DangerImportance
		r.save.Disable()
		r.preview.Refresh()
		return
	}
	next, _ := NextRuns(spec, s.p.Now().In(s.p.Loc), 3)
	var ts []string
	for _, t := range next {
		ts = append(ts, t.Format("Mon 02 Jan 15:04"))
	}
	r.preview.SetText(fmt.Sprintf("Runs %s. Next: %s", desc, strings.Join(ts, ", ")))
	r.preview.Importance = widget.MediumImportance
	r.save.Enable()
	r.preview.Refresh()
}

func (s *Screen) saveSpec(r *row) {
	spec := strings.TrimSpace(r.entry.Text)
	if _, err := Describe(spec); err != nil {
		return
	}
	flow := r.sch.Flow
	s.p.Runner.Go(func() {
		err := s.src.SetSpec(s.ctx, flow, spec)
		fyne.Do(func() {
			if err != nil {
				s.errLbl.SetError("save the schedule of "+r.sch.Label, err)
				return
			}
			s.errLbl.SetError("", nil)
			r.sch.Spec = spec
			r.state.SetText("Saved.")
			if s.p.OnChanged != nil {
				s.p.OnChanged()
			}
		})
	})
}

// SetSpec types spec into a flow's entry and saves it.
func (s *Screen) SetSpec(flow, spec string) {
	if r, ok := s.rows[flow]; ok {
		r.entry.SetText(spec)
		s.saveSpec(r)
	}
}

// TogglePause pauses a running flow or resumes a paused one.
func (s *Screen) TogglePause(flow string) {
	r, ok := s.rows[flow]
	if !ok {
		return
	}
	want := !r.sch.Paused
	s.p.Runner.Go(func() {
		err := s.src.SetPaused(s.ctx, flow, want)
		fyne.Do(func() {
			if err != nil {
				s.errLbl.SetError("pause or resume "+r.sch.Label, err)
				return
			}
			s.errLbl.SetError("", nil)
			r.sch.Paused = want
			s.setPausedLook(r)
			if s.p.OnChanged != nil {
				s.p.OnChanged()
			}
		})
	})
}

// Preview returns the preview text of a flow, for tests.
func (s *Screen) Preview(flow string) string {
	if r, ok := s.rows[flow]; ok {
		return r.preview.Text
	}
	return ""
}

// TypeSpec types into a flow's entry without saving.
func (s *Screen) TypeSpec(flow, spec string) {
	if r, ok := s.rows[flow]; ok {
		r.entry.SetText(spec)
	}
}
