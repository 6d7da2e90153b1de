package dashboard_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/ui/dashboard"
	"github.com/ml-connector/ifs-cleo/ui/internal/uitest"
	"github.com/ml-connector/ifs-cleo/ui/uifake"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

func newScreen(t *testing.T, src dashboard.Source) (*dashboard.Screen, *uikit.Runner, fyne.Window) {
	run := uikit.NewManualRunner()
	s := dashboard.New(context.Background(), src, dashboard.Params{Runner: run, Now: func() time.Time { return uifake.Epoch }, Loc: time.UTC})
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	return s, run, w
}

func TestGolden(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	s, _, w := newScreen(t, uifake.NewDashboard())
	s.SetProgress("invoices", true, 7, 20)
	uitest.AssertImage(t, "dashboard.png", w.Canvas().Capture())
	m := test.RenderToMarkup(w.Canvas())
	for _, want := range []string{"STALE: last good 47 min ago", "997 acknowledgements overdue: 2", "Partner not mapped", "paused"} {
		if !strings.Contains(m, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

func TestProgressFromEventsWithoutReload(t *testing.T) {
	test.NewTempApp(t)
	s, run, w := newScreen(t, uifake.NewDashboard())
	s.SetProgress("pos", true, 3, 9)
	if run.Pending() != 0 {
		t.Fatal("progress must not query the engine")
	}
	if !strings.Contains(test.RenderToMarkup(w.Canvas()), "3 / 9") {
		t.Fatal("progress bar not shown")
	}
	s.SetProgress("pos", false, 9, 9)
	if strings.Contains(test.RenderToMarkup(w.Canvas()), "3 / 9") {
		t.Fatal("progress bar still shown after the run")
	}
}

// The bar shows the rate since the run started, worked out by hand: 240
// documents in 2 minutes is 120/min; nothing in the first second.
func TestProgressRate(t *testing.T) {
	test.NewTempApp(t)
	now := uifake.Epoch
	run := uikit.NewManualRunner()
	s := dashboard.New(context.Background(), uifake.NewDashboard(), dashboard.Params{Runner: run, Now: func() time.Time { return now }, Loc: time.UTC})
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	s.SetProgress("invoices", true, 0, 400)
	now = now.Add(500 * time.Millisecond)
	s.SetProgress("invoices", true, 3, 400)
	if m := test.RenderToMarkup(w.Canvas()); !strings.Contains(m, "3 / 400<") && !strings.Contains(m, "3 / 400\"") {
		t.Errorf("a rate in the first second:\n%s", m)
	}
	now = uifake.Epoch.Add(2 * time.Minute)
	s.SetProgress("invoices", true, 240, 400)
	if !strings.Contains(test.RenderToMarkup(w.Canvas()), "240 / 400 · 120/min") {
		t.Error("no rate on the bar")
	}
	s.SetProgress("invoices", false, 400, 400)
	now = now.Add(time.Hour)
	s.SetProgress("invoices", true, 60, 0) // the next run starts afresh
	now = now.Add(time.Minute)
	s.SetProgress("invoices", true, 60, 0)
	if !strings.Contains(test.RenderToMarkup(w.Canvas()), "60 so far · 60/min") {
		t.Error("the next run's rate does not start afresh")
	}
}

func TestErrorInPlaceAndEmpty(t *testing.T) {
	test.NewTempApp(t)
	src := &uifake.Dashboard{Err: errors.New("store closed")}
	_, _, w := newScreen(t, src)
	if !strings.Contains(test.RenderToMarkup(w.Canvas()), "Could not load the dashboard: store closed") {
		t.Fatal("error not shown in place")
	}
	src.Err = nil
	s, _, w := newScreen(t, src)
	_ = s
	if !strings.Contains(test.RenderToMarkup(w.Canvas()), "No flows are scheduled yet") {
		t.Fatal("no honest empty state")
	}
}

// On a team database the dashboard says who runs the flows, since when,
// this desk's part and who stands by; with nobody leading it says so in
// words a clerk can act on. On a desk's own file there is no team card.
func TestTeamCard(t *testing.T) {
	test.NewTempApp(t)
	_, _, w := newScreen(t, uifake.NewDashboard())
	if strings.Contains(test.RenderToMarkup(w.Canvas()), "Team database") {
		t.Fatal("team card on a desk's own file")
	}
	src := uifake.NewDashboard()
	src.Snap.Team = &dashboard.TeamStatus{Database: "postgres://ap@db1/mlc", ThisDesk: "client (the flows run in the team's engine)",
		Leader: "svc on srv1 (pid 4242, run)", LeaderSince: uifake.Epoch.Add(-90 * time.Minute),
		Standbys: []string{"bob on desk2 (pid 7, gui)"}}
	_, _, w = newScreen(t, src)
	m := test.RenderToMarkup(w.Canvas())
	for _, want := range []string{"Team database", "postgres://ap@db1/mlc", "Engine: led by svc on srv1 (pid 4242, run), since ",
		"(1 h ago)", "This desk: client (the flows run in the team's engine).", "Standing by: bob on desk2 (pid 7, gui)."} {
		if !strings.Contains(m, want) {
			t.Errorf("team card lacks %q", want)
		}
	}
	src.Snap.Team.Leader, src.Snap.Team.Standbys = "", nil
	_, _, w = newScreen(t, src)
	if m := test.RenderToMarkup(w.Canvas()); !strings.Contains(m, "nobody leads it now") || !strings.Contains(m, `color="error"`) {
		t.Fatalf("no warning without a leader:\n%s", m)
	}
}

// The health line, case by case: the worst state decides its words and colour.
func TestHealthLine(t *testing.T) {
	ran := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	ok := dashboard.FlowStatus{Flow: "invoices", Label: "Invoices in", LastRun: ran, LastOK: true, LastResult: "3 posted"}
	bad := dashboard.FlowStatus{Flow: "pos", Label: "Purchase orders out", LastRun: ran, LastOK: false, LastResult: "failed: token expired"}
	stale := dashboard.FlowStatus{Flow: "reference", Label: "Reference data", LastRun: ran, LastOK: true, Stale: true}
	paused := ok
	paused.Paused = true
	cases := []struct {
		name string
		snap dashboard.Snapshot
		want string
		imp  widget.Importance
	}{
		{"flowing", dashboard.Snapshot{Flows: []dashboard.FlowStatus{ok}},
			"Everything is flowing: the last runs succeeded and nothing waits for a person.", widget.SuccessImportance},
		{"exceptions and deliveries", dashboard.Snapshot{Flows: []dashboard.FlowStatus{ok},
			ByReason: []dashboard.ReasonCount{{Label: "Price variance", Count: 2}, {Label: "GL unmapped", Count: 1}}, Overdue997: 1, DeliveriesStuck: 2},
			"Needs attention: 3 open exceptions, 1 overdue 997, 2 stuck deliveries.", widget.WarningImportance},
		{"all paused", dashboard.Snapshot{Flows: []dashboard.FlowStatus{paused}},
			"Needs attention: every schedule paused.", widget.WarningImportance},
		{"failing wins", dashboard.Snapshot{Flows: []dashboard.FlowStatus{ok, bad, stale}, ByReason: []dashboard.ReasonCount{{Count: 5}}},
			"Failing: Purchase orders out (failed: token expired); Reference data (no success for too long). Check Connections and the log.", widget.DangerImportance},
		{"team without leader", dashboard.Snapshot{Flows: []dashboard.FlowStatus{ok}, Team: &dashboard.TeamStatus{Database: "db"}},
			"Failing: the team's engine (nobody leads it). Check Connections and the log.", widget.DangerImportance},
		{"nothing set up", dashboard.Snapshot{}, "Not set up yet: configure the connections, then the schedules.", widget.MediumImportance},
	}
	for _, c := range cases {
		got, imp := dashboard.Health(c.snap)
		if got != c.want || imp != c.imp {
			t.Errorf("%s: %q (%v), want %q (%v)", c.name, got, imp, c.want, c.imp)
		}
	}
}

// TestDrillTargets: the screen's own wiring hands Params.Open the list
// behind what was clicked: a reason's code, a count's kind and period, a
// day's bar as that day.
func TestDrillTargets(t *testing.T) {
	var got []dashboard.Drill
	run := uikit.NewManualRunner()
	s := dashboard.New(context.Background(), uifake.NewDashboard(), dashboard.Params{Runner: run, Now: func() time.Time { return uifake.Epoch },
		Loc: time.UTC, Open: func(d dashboard.Drill) { got = append(got, d) }})
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	tap := func(text string) {
		t.Helper()
		h := uitest.Hyperlink(s, text)
		if h == nil {
			t.Fatalf("no link %q", text)
		}
		test.TapAt(h, fyne.NewPos(theme.InnerPadding()+2, h.Size().Height/2))
	}
	tap("Price outside tolerance")
	tap("199") // this week's posted invoices
	tap("997 acknowledgements overdue: 2")
	chart := uitest.Find(s, func(*dashboard.BarChart) bool { return true })
	if chart == nil {
		t.Fatal("no chart")
	}
	test.TapAt(chart, fyne.NewPos(chart.Size().Width-2, chart.Size().Height/2)) // the rightmost day: the epoch's
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	want := []dashboard.Drill{
		{Exceptions: true, Reason: "price_mismatch"},
		{DocKind: "invoices-posted", From: uifake.NewDashboard().Snap.WeekFrom, To: uifake.Epoch},
		{Exceptions: true, Reason: "ACK_OVERDUE"},
		{From: day, To: day.AddDate(0, 0, 1)},
	}
	if len(got) != len(want) {
		t.Fatalf("drills %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Exceptions != want[i].Exceptions || got[i].Reason != want[i].Reason || got[i].DocKind != want[i].DocKind ||
			!got[i].From.Equal(want[i].From) || !got[i].To.Equal(want[i].To) {
			t.Errorf("drill %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
