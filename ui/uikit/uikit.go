// Package uikit holds the small pieces every ml-connector screen shares: the
// runner that keeps engine work off the UI goroutine, the in-place error label,
// honest empty states and the formatting of ages and amounts.
package uikit

import (
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Runner starts background work (engine queries, keychain calls) off the UI
// goroutine. Screens never call the engine from a Fyne callback directly: they
// hand the call to a Runner and apply the result in one fyne.Do.
//
// A manual Runner (NewManualRunner) queues the work instead of starting a
// goroutine, so a headless test decides when it runs (Drain) and every widget
// change happens on the test goroutine: deterministic and race-free.
type Runner struct {
	mu     sync.Mutex
	manual bool
	queue  []func()
	wg     sync.WaitGroup
}

// NewRunner returns a Runner that starts one goroutine per task.
func NewRunner() *Runner { return &Runner{} }

// NewManualRunner returns a Runner whose tasks run only when Drain is called.
func NewManualRunner() *Runner { return &Runner{manual: true} }

// Go runs f off the UI goroutine (or queues it, for a manual Runner).
func (r *Runner) Go(f func()) {
	if r == nil {
		go f()
		return
	}
	if r.manual {
		r.mu.Lock()
		r.queue = append(r.queue, f)
		r.mu.Unlock()
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		f()
	}()
}

// Drain runs queued tasks until none is left (manual), or waits for the
// started goroutines to finish (default). Tasks may queue further tasks.
func (r *Runner) Drain() {
	if !r.manual {
		r.wg.Wait()
		return
	}
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.mu.Unlock()
			return
		}
		f := r.queue[0]
		r.queue = r.queue[1:]
		r.mu.Unlock()
		f()
	}
}

// Pending reports how many tasks a manual Runner has queued.
func (r *Runner) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue)
}

// ErrorLabel shows a failure in place, in the danger colour, and hides itself
// when there is nothing to say: errors never become a wall of dialogs.
type ErrorLabel struct {
	widget.Label
}

// NewErrorLabel returns a hidden, wrapping danger label.
func NewErrorLabel() *ErrorLabel {
	l := &ErrorLabel{}
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.ExtendBaseWidget(l)
	l.Hide()
	return l
}

// SetError shows err prefixed with what was being done and followed by the
// advice for its kind (Advice), or hides the label when err is nil.
func (l *ErrorLabel) SetError(doing string, err error) {
	if err == nil {
		l.SetText("")
		l.Hide()
		return
	}
	l.SetText(errorText(doing, err))
	l.Show()
}

// Empty is an honest empty state: a title saying what is (not) there and a
// line saying why or what to do, centred in the space a list would take.
func Empty(title, body string) fyne.CanvasObject {
	t := widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	b := widget.NewLabel(body)
	b.Alignment = fyne.TextAlignCenter
	b.Wrapping = fyne.TextWrapWord
	icon := widget.NewIcon(theme.InfoIcon())
	return container.NewCenter(container.NewVBox(container.NewCenter(icon), t, b))
}

// NoEngine is the empty state of a screen whose data source is missing: the
// app was started without a sync engine behind it.
func NoEngine(what string) fyne.CanvasObject {
	return Empty("No engine connected", what+" appear here once the sync engine runs. Start ml-connector with a data directory, or try `ml-connector demo`.")
}

// Age formats how long ago t was relative to now, coarsely, as a clerk reads it.
func Age(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in " + Duration(-d)
	case d < time.Minute:
		return "just now"
	default:
		return Duration(d) + " ago"
	}
}

// Duration formats d as "45 s", "12 min", "3 h", "2 d".
func Duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
	}
}

// When formats an absolute time in loc as "2006-01-02 15:04", or "—" when unset.
func When(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("2006-01-02 15:04")
}
