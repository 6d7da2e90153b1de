package schedules_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ml-connector/ifs-cleo/ui/internal/uitest"
	"github.com/ml-connector/ifs-cleo/ui/schedules"
	"github.com/ml-connector/ifs-cleo/ui/uifake"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

func TestScreen(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	src := uifake.NewSchedules()
	run := uikit.NewManualRunner()
	changed := 0
	s := schedules.New(context.Background(), src, schedules.Params{Runner: run, Now: func() time.Time { return uifake.Epoch }, Loc: time.UTC, OnChanged: func() { changed++ }})
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	if p := s.Preview("pos"); p != "Runs every 5 minutes. Next: Fri 27 Nov 09:35, Fri 27 Nov 09:40, Fri 27 Nov 09:45" {
		t.Fatalf("preview %q", p)
	}
	uitest.AssertImage(t, "schedules.png", w.Canvas().Capture())

	s.TypeSpec("pos", "every five minutes")
	if p := s.Preview("pos"); !strings.HasPrefix(p, "Not a valid schedule") {
		t.Fatalf("preview %q", p)
	}
	s.SetSpec("pos", "61 * * * *")
	run.Drain()
	if src.Items[0].Spec != "*/5 * * * *" {
		t.Fatal("an invalid spec reached the engine")
	}
	s.SetSpec("invoices", "*/10 * * * *")
	s.TogglePause("reference")
	run.Drain()
	if src.Items[1].Spec != "*/10 * * * *" || src.Items[2].Paused || changed != 2 {
		t.Fatalf("engine state %+v, changed %d", src.Items, changed)
	}
	src.Err = errors.New("scheduler stopped")
	s.TogglePause("pos")
	run.Drain()
	if !strings.Contains(test.RenderToMarkup(w.Canvas()), "Could not pause or resume Purchase orders out: scheduler stopped") {
		t.Fatal("error not shown in place")
	}
}
