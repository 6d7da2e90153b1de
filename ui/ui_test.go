package ui_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/assets"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/ui"
	"github.com/ml-connector/ifs-cleo/ui/internal/uitest"
	"github.com/ml-connector/ifs-cleo/ui/uifake"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// AppFake adds the desktop tray to Fyne's test app, which lacks it.
type AppFake struct {
	fyne.App
	mu            sync.Mutex
	menu          *fyne.Menu
	icon          fyne.Resource
	trayWin       fyne.Window
	notifications []*fyne.Notification
}

var _ desktop.App = (*AppFake)(nil)

func (a *AppFake) SetSystemTrayMenu(m *fyne.Menu)    { a.menu = m }
func (a *AppFake) SetSystemTrayIcon(r fyne.Resource) { a.icon = r }
func (a *AppFake) SetSystemTrayWindow(w fyne.Window) { a.trayWin = w }
func (a *AppFake) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notifications = append(a.notifications, n)
}

type control struct {
	syncs  int
	paused bool
}

func (c *control) SyncNow(context.Context) error { c.syncs++; return nil }
func (c *control) SetPaused(_ context.Context, p bool) error {
	c.paused = p
	return nil
}
func (c *control) Paused(context.Context) (bool, error) { return c.paused, nil }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newUI(t *testing.T, full bool) (*ui.UI, *AppFake, fyne.Window, *uikit.Runner, *control, *clock) {
	a := &AppFake{App: test.NewTempApp(t)}
	test.ApplyTheme(t, test.Theme())
	w := test.NewTempWindow(t, nil)
	w.Resize(uitest.Size)
	run := uikit.NewManualRunner()
	ctl := &control{}
	clk := &clock{t: uifake.Epoch}
	p := ui.Params{Runner: run, Now: clk.now, Loc: time.UTC, NotifyAfter: 10 * time.Second}
	if full {
		p.Dashboard = uifake.NewDashboard()
		p.Exceptions = uifake.NewExceptions(12)
		p.Documents = uifake.NewDocuments(20)
		p.Mappings = uifake.NewMappings()
		p.Connections = uifake.NewConnections()
		p.Schedules = uifake.NewSchedules()
		p.Control = ctl
	}
	u := ui.New(a, w, p)
	u.Start(context.Background())
	run.Drain()
	return u, a, w, run, ctl, clk
}

// newUIWithDatabase is the full fake app on a desk that may choose its
// database (the real app outside the demo).
func newUIWithDatabase(t *testing.T) (*ui.UI, *AppFake, fyne.Window, *uikit.Runner) {
	a := &AppFake{App: test.NewTempApp(t)}
	w := test.NewTempWindow(t, nil)
	w.Resize(uitest.Size)
	run := uikit.NewManualRunner()
	p := ui.Params{Runner: run, Loc: time.UTC, Connections: uifake.NewConnections(), Database: deskDatabase{}}
	u := ui.New(a, w, p)
	u.Start(context.Background())
	run.Drain()
	return u, a, w, run
}

func labels(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		if it.IsSeparator {
			out = append(out, "---")
			continue
		}
		out = append(out, it.Label)
	}
	return out
}

func TestShellTrayAndClose(t *testing.T) {
	u, a, w, run, ctl, _ := newUI(t, true)
	if got := strings.Join(labels(a.menu), "|"); got != "Open ml-connector|Sync now|Pause syncing|---|Quit" {
		t.Fatalf("tray menu %q", got)
	}
	if a.trayWin != w {
		t.Fatal("tray window or window icon not set")
	}
	if u.State() != ui.StateAttention || a.icon != assets.TrayAttention {
		t.Fatalf("12 open exceptions: state %v icon %v", u.State(), a.icon.Name())
	}
	uitest.AssertImage(t, "shell_dashboard.png", w.Canvas().Capture())

	a.menu.Items[1].Action()
	a.menu.Items[2].Action()
	run.Drain()
	if ctl.syncs != 1 || !ctl.paused || a.menu.Items[2].Label != "Resume syncing" {
		t.Fatalf("sync %d paused %v label %q", ctl.syncs, ctl.paused, a.menu.Items[2].Label)
	}
	// The same on the Dashboard, without a tray: the button follows the state.
	pb := u.Dashboard.PauseButton()
	if pb == nil || pb.Text != "Resume all" {
		t.Fatalf("dashboard pause button %+v", pb)
	}
	test.Tap(pb)
	run.Drain()
	if ctl.paused || pb.Text != "Pause all" || a.menu.Items[2].Label != "Pause syncing" {
		t.Fatalf("after the dashboard's Resume all: paused %v, button %q, tray %q", ctl.paused, pb.Text, a.menu.Items[2].Label)
	}
}

func TestEventsDriveTrayProgressAndNotifications(t *testing.T) {
	u, a, w, run, _, clk := newUI(t, true)
	u.Handle(events.Event{Type: events.RunStarted, Data: events.RunData{Flow: "invoices"}})
	u.Handle(events.Event{Type: events.RunProgress, Data: events.RunData{Flow: "invoices", Done: 3, Total: 8}})
	if u.State() != ui.StateSyncing || a.icon != assets.TraySyncing {
		t.Fatalf("state %v", u.State())
	}
	if !strings.Contains(test.RenderToMarkup(w.Canvas()), "3 / 8") {
		t.Fatal("no progress bar on the dashboard")
	}
	for _, r := range []string{"partner_unmapped", "partner_unmapped", "po_closed"} {
		u.Handle(events.Event{Type: events.ExceptionRaised, Data: events.ExceptionData{Reason: r}})
	}
	u.Handle(events.Event{Type: events.RunFinished, Data: events.RunData{Flow: "invoices", Done: 8, Total: 8}})
	u.Tick()
	run.Drain()
	if len(a.notifications) != 0 {
		t.Fatalf("notified before the batch window closed: %v", a.notifications)
	}
	clk.t = clk.t.Add(11 * time.Second)
	u.Tick()
	run.Drain()
	if len(a.notifications) != 1 {
		t.Fatalf("%d notifications, want one batch", len(a.notifications))
	}
	n := a.notifications[0]
	if n.Title != "3 new exceptions" || !strings.HasPrefix(n.Content, "partner unmapped: 2, po closed: 1.") {
		t.Fatalf("notification %q / %q", n.Title, n.Content)
	}
	u.Handle(events.Event{Type: events.HeartbeatStale, Data: events.HeartbeatData{Poller: "invoices", LastSuccess: uifake.Epoch.Add(-25 * time.Minute), StaleFor: 25 * time.Minute}})
	u.Handle(events.Event{Type: events.HeartbeatStale, Data: events.HeartbeatData{Poller: "invoices", StaleFor: 26 * time.Minute}})
	if len(a.notifications) != 2 || !strings.Contains(a.notifications[1].Content, "not succeeded for 25 min") {
		t.Fatalf("stale notifications %d: %+v", len(a.notifications), a.notifications[len(a.notifications)-1])
	}
	if u.State() != ui.StateAttention {
		t.Fatalf("state %v", u.State())
	}
}

func TestNoEngineIsHonest(t *testing.T) {
	u, a, w, _, _, _ := newUI(t, false)
	if !a.menu.Items[1].Disabled || !a.menu.Items[2].Disabled {
		t.Fatal("Sync now and Pause enabled without an engine")
	}
	for i := ui.ScreenDashboard; i <= ui.ScreenSchedules; i++ {
		u.Show(i)
		if !strings.Contains(test.RenderToMarkup(w.Canvas()), "No engine connected") {
			t.Errorf("screen %d lacks the honest empty state", i)
		}
	}
	if u.State() != ui.StateOK {
		t.Fatalf("state %v", u.State())
	}
}

func TestKeyboard(t *testing.T) {
	u, _, w, run, ctl, _ := newUI(t, true)
	sc := w.Canvas().(fyne.Shortcutable)
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.Key2, Modifier: fyne.KeyModifierAlt})
	run.Drain()
	if u.Selected() != ui.ScreenExceptions {
		t.Fatalf("Alt+2 selected screen %d", u.Selected())
	}
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyDown, Modifier: fyne.KeyModifierShortcutDefault})
	run.Drain()
	if u.Exceptions.Current() == nil {
		t.Fatal("Ctrl+Down did not open the first exception")
	}
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault})
	run.Drain()
	if res, _ := u.Exceptions.Status(); !strings.Contains(res, "still fails") {
		t.Fatalf("Ctrl+R: %q", res)
	}
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift})
	run.Drain()
	if ctl.syncs != 1 {
		t.Fatal("Ctrl+Shift+S did not sync")
	}
	// Every command is discoverable: F1 lists them all, screens by name.
	txt := u.ShortcutsText()
	for _, want := range []string{"Alt+1 — Go to Dashboard", "Alt+2 — Go to Exceptions", "Ctrl+Shift+S — Sync now", "F5 — Reload this screen",
		"F1 — Show these keyboard shortcuts", "Ctrl+R — Replay the selected exception", "Ctrl+Shift+R — Replay all like this (preview)", "Ctrl+F — Filter the queue"} {
		if !strings.Contains(txt, want+"\n") {
			t.Errorf("the shortcut list lacks %q:\n%s", want, txt)
		}
	}
	if w.Canvas().Overlays().Top() != nil {
		t.Fatal("an overlay before F1")
	}
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF1})
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("F1 opened no shortcut list")
	}
}

// The app follows the desktop's light or dark variant; both must render.
func TestLightAndDarkVariants(t *testing.T) {
	for _, v := range []struct {
		name string
		th   fyne.Theme
	}{
		//lint:ignore SA1019 the test needs both fixed variants, whatever the user's preference
		{"light", theme.LightTheme()},
		//lint:ignore SA1019 the test needs both fixed variants, whatever the user's preference
		{"dark", theme.DarkTheme()},
	} {
		t.Run(v.name, func(t *testing.T) {
			u, _, w, _, _, _ := newUI(t, true)
			test.ApplyTheme(t, v.th)
			u.Show(ui.ScreenExceptions)
			uitest.AssertImage(t, "exceptions_"+v.name+".png", w.Canvas().Capture())
		})
	}
}

// Every screen fits a 1024×700 window with the fakes' long data: the
// window's minimum size never pushes past a small laptop screen.
func TestEveryScreenFits1024x700(t *testing.T) {
	u, _, w, run, _, _ := newUI(t, true)
	for i, name := range []string{"dashboard", "exceptions", "documents", "mappings", "connections", "schedules"} {
		u.Show(i)
		run.Drain()
		if i == ui.ScreenExceptions {
			u.Exceptions.Select(0)
			run.Drain()
		}
		if m := w.Content().MinSize(); m.Width > 1024 || m.Height > 700 {
			t.Errorf("%s needs %.0f×%.0f", name, m.Width, m.Height)
		}
	}
}

// TestDashboardDrillDown: the app follows a Dashboard click to the list it
// counts, filtered: a reason opens the exception queue on that reason,
// "Invoices posted" today the Documents screen on posted invoices since
// midnight (the screen's own drill targets: dashboard TestDrillTargets).
func TestDashboardDrillDown(t *testing.T) {
	u, _, _, run, _, _ := newUI(t, true)
	run.Drain()
	dash := u.Dashboard
	// "Partner not mapped" → the queue, filtered to partner_unmapped.
	link := uitest.Hyperlink(dash, "Partner not mapped")
	if link == nil {
		t.Fatal("no link on the reason")
	}
	tapLink(link)
	run.Drain()
	if u.Selected() != ui.ScreenExceptions {
		t.Fatalf("screen %d after the reason's link", u.Selected())
	}
	want, err := uifake.NewExceptions(12).Reasons(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := -1
	for _, r := range want {
		if r.Reason == "partner_unmapped" {
			n = r.Count
		}
	}
	if n <= 0 || u.Exceptions.Count() != n {
		t.Fatalf("queue shows %d, the fake holds %d partner_unmapped (%s)", u.Exceptions.Count(), n, u.Exceptions.CountText())
	}
	// Today's "Invoices posted" (31) → posted inbound 810s since midnight.
	u.Show(ui.ScreenDashboard)
	run.Drain()
	if link = uitest.Hyperlink(u.Dashboard, "31"); link == nil {
		t.Fatal("no link on today's posted invoices")
	}
	tapLink(link)
	run.Drain()
	if u.Selected() != ui.ScreenDocuments {
		t.Fatalf("screen %d after the count's link", u.Selected())
	}
	q, err := u.Documents.Query()
	if err != nil || q.Kind != "invoices-posted" || !q.From.Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)) ||
		!q.To.Equal(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)) || q.Text != "" {
		t.Fatalf("documents query %+v %v", q, err)
	}
	rows := u.Documents.Rows()
	if len(rows) == 0 {
		t.Fatal("no posted invoices listed")
	}
	for _, r := range rows {
		if r.Type != "810" || r.Direction != "inbound" || r.Status != "posted" || r.Time.Before(q.From) {
			t.Fatalf("row %+v is not a posted invoice of today", r)
		}
	}
}

// tapLink clicks on a hyperlink's text (a click beside the text is ignored).
func tapLink(h *widget.Hyperlink) {
	test.TapAt(h, fyne.NewPos(theme.InnerPadding()+2, h.Size().Height/2))
}
