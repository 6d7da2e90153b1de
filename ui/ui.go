// Package ui is the ml-connector desktop app: the main window with one screen
// per job (Dashboard, Exceptions, Documents, Mappings, Connections,
// Schedules), the system tray, and desktop notifications.
//
// ui is a client of the engine: it reads through small interfaces declared by
// each screen package (consumer side) and follows the engine's typed events
// (core/events). It never talks HTTP or SQL, and never imports
// fyne.io/fyne/v2/app, so it builds and tests without cgo; cmd/ml-connector
// creates the app and window and passes them to New.
package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/assets"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/ui/connections"
	"github.com/ml-connector/ifs-cleo/ui/dashboard"
	"github.com/ml-connector/ifs-cleo/ui/documents"
	"github.com/ml-connector/ifs-cleo/ui/exceptions"
	"github.com/ml-connector/ifs-cleo/ui/mappings"
	"github.com/ml-connector/ifs-cleo/ui/schedules"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// Control starts and pauses syncing (the tray's Sync now and Pause/Resume).
type Control interface {
	SyncNow(ctx context.Context) error
	SetPaused(ctx context.Context, paused bool) error
	Paused(ctx context.Context) (bool, error)
}

// EventBus is where the engine publishes its typed events (*events.Bus).
type EventBus interface {
	Subscribe(mask events.Type, size int) *events.Subscription
}

// Params are the app's collaborators. A nil source gives that screen an
// honest "no engine" state; nothing is faked.
type Params struct {
	Dashboard   dashboard.Source
	Exceptions  exceptions.Source
	Documents   documents.Source
	Mappings    mappings.Source
	Connections connections.Source
	// Database, when set, lets the admin choose this desk's own file or a
	// team database on the Connections screen (not in the demo).
	Database  connections.DatabaseSource
	Schedules schedules.Source
	Control   Control
	Events    EventBus

	// Demo, when set, is shown as a banner (e.g. "Demo: sandboxes on
	// 127.0.0.1, secrets in memory only") and in the title.
	Demo string

	// Ctx is the app's context: it ends when the app quits, which cancels
	// the screens' fetches in flight and drops their results. Default:
	// never ends.
	Ctx    context.Context
	Runner *uikit.Runner    // default: one goroutine per task
	Now    func() time.Time // default: time.Now
	Loc    *time.Location   // default: time.Local
	// NotifyAfter batches new-exception notifications: one notification per
	// window rather than one per document. Default 15 s.
	NotifyAfter time.Duration
	// NoTray skips the system tray, for desktops without a session bus:
	// there the tray cannot show, and Fyne's tray crashes on quit. Closing
	// the window then quits, since nothing else could bring it back.
	NoTray bool
}

// Screen indices, in navigation order.
const (
	ScreenDashboard = iota
	ScreenExceptions
	ScreenDocuments
	ScreenMappings
	ScreenConnections
	ScreenSchedules
)

// State is what the tray icon shows.
type State int

// Tray states.
const (
	StateOK        State = iota // everything reached its final state
	StateSyncing                // a flow is running
	StateAttention              // open exceptions, a stale poller or a failed run
)

func (s State) String() string { return [...]string{"ok", "syncing", "attention"}[s] }

// UI is the running desktop app.
type UI struct {
	app fyne.App
	win fyne.Window
	p   Params
	ctx context.Context
	// keys are every keyboard command the window obeys, for F1.
	keys []uikit.Shortcut

	tabs   *container.AppTabs
	status *widget.Label
	errLbl *uikit.ErrorLabel

	Dashboard   *dashboard.Screen
	Exceptions  *exceptions.Screen
	Documents   *documents.Screen
	Mappings    *mappings.Screen
	Connections *connections.Screen
	Schedules   *schedules.Screen

	desk      desktop.App
	menu      *fyne.Menu
	syncItem  *fyne.MenuItem
	pauseItem *fyne.MenuItem
	paused    bool

	// welcome is the first-run choice while it is on screen.
	welcome dialog.Dialog
	// title is the window's title without the open-exception count.
	title string

	state   State
	running map[string]bool
	stale   map[string]bool
	failed  map[string]string
	open    int

	dirty        map[int]bool
	newCount     int
	newReasons   map[string]int
	firstNew     time.Time
	staleNotices map[string]bool
}

// New builds the window content, the tray and the shortcuts. It does not
// touch the engine: call Start for that.
func New(a fyne.App, w fyne.Window, p Params) *UI {
	if p.Runner == nil {
		p.Runner = uikit.NewRunner()
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Loc == nil {
		p.Loc = time.Local
	}
	if p.NotifyAfter <= 0 {
		p.NotifyAfter = 15 * time.Second
	}
	if p.Ctx == nil {
		p.Ctx = context.Background()
	}
	u := &UI{app: a, win: w, p: p, ctx: p.Ctx,
		running: map[string]bool{}, stale: map[string]bool{}, failed: map[string]string{},
		dirty: map[int]bool{}, newReasons: map[string]int{}, staleNotices: map[string]bool{}}

	a.SetIcon(assets.Icon)
	w.SetIcon(assets.Icon)
	title := "ml-connector"
	if p.Demo != "" {
		title += " (demo)"
	}
	u.title = title
	w.SetTitle(title)
	u.build()
	u.buildTray()
	return u
}

func (u *UI) build() {
	ctx := u.p.Ctx
	changed := func() { u.markDirty(ScreenDashboard, ScreenExceptions) }
	dp := dashboard.Params{Runner: u.p.Runner, Now: u.p.Now, Loc: u.p.Loc}
	if u.p.Control != nil {
		dp.SyncNow, dp.TogglePause = u.SyncNow, u.TogglePause
	}
	// Every count, reason and day's bar opens the list it counts.
	dp.Open = u.drill
	u.Dashboard = dashboard.New(ctx, u.p.Dashboard, dp)
	u.Exceptions = exceptions.New(ctx, u.p.Exceptions, exceptions.Params{Runner: u.p.Runner, Now: u.p.Now, OnChanged: func() { u.refreshOpen(); u.markDirty(ScreenDashboard) }})
	u.Documents = documents.New(ctx, u.p.Documents, documents.Params{Runner: u.p.Runner, Loc: u.p.Loc, Window: u.win})
	u.Mappings = mappings.New(ctx, u.p.Mappings, mappings.Params{Runner: u.p.Runner, Window: u.win, Loc: u.p.Loc, OnChanged: changed})
	u.Connections = connections.New(ctx, u.p.Connections, connections.Params{Runner: u.p.Runner, Now: u.p.Now, Database: u.p.Database, OnTested: func(ok bool) {
		if ok {
			u.status.SetText("Connection tested.")
			u.markDirty(ScreenDashboard, ScreenExceptions, ScreenSchedules)
		}
	}})
	u.Schedules = schedules.New(ctx, u.p.Schedules, schedules.Params{Runner: u.p.Runner, Now: u.p.Now, Loc: u.p.Loc, OnChanged: func() { u.markDirty(ScreenDashboard) }})

	u.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Dashboard", theme.HomeIcon(), u.Dashboard),
		container.NewTabItemWithIcon("Exceptions", theme.WarningIcon(), u.Exceptions),
		container.NewTabItemWithIcon("Documents", theme.DocumentIcon(), u.Documents),
		container.NewTabItemWithIcon("Mappings", theme.ListIcon(), u.Mappings),
		container.NewTabItemWithIcon("Connections", theme.ComputerIcon(), u.Connections),
		container.NewTabItemWithIcon("Schedules", theme.HistoryIcon(), u.Schedules),
	)
	u.tabs.SetTabLocation(container.TabLocationLeading)
	u.tabs.OnSelected = func(*container.TabItem) { u.reload(u.tabs.SelectedIndex()) }

	u.status = widget.NewLabel("")
	u.errLbl = uikit.NewErrorLabel()
	var top fyne.CanvasObject = container.NewVBox()
	if u.p.Demo != "" {
		banner := widget.NewLabel("DEMO  " + u.p.Demo)
		banner.Importance = widget.WarningImportance
		banner.TextStyle.Bold = true
		banner.Wrapping = fyne.TextWrapWord
		top = banner
	}
	// Every keyboard command is discoverable: F1 or this button lists them.
	keysBtn := widget.NewButtonWithIcon("Keyboard (F1)", theme.HelpIcon(), u.ShowShortcuts)
	keysBtn.Importance = widget.LowImportance
	bottom := container.NewBorder(nil, nil, keysBtn, u.status, u.errLbl)
	u.win.SetContent(container.NewBorder(top, bottom, nil, nil, u.tabs))

	c := u.win.Canvas()
	u.keys = nil
	for i := range u.tabs.Items {
		i := i
		u.keys = append(u.keys, uikit.Shortcut{Desc: "Go to " + u.tabs.Items[i].Text, Key: fyne.KeyName(fmt.Sprint(i + 1)), Mod: fyne.KeyModifierAlt, Run: func() { u.Show(i) }})
	}
	u.keys = append(u.keys,
		uikit.Shortcut{Desc: "Sync now", Key: fyne.KeyS, Mod: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift, Run: u.SyncNow},
		uikit.Shortcut{Desc: "Reload this screen", Key: fyne.KeyF5, Run: func() { u.reload(u.tabs.SelectedIndex()) }},
		uikit.Shortcut{Desc: "Show these keyboard shortcuts", Key: fyne.KeyF1, Run: u.ShowShortcuts},
	)
	u.keys = append(u.keys, u.Exceptions.Shortcuts()...)
	uikit.Register(c, u.keys)
}

// ShortcutsText lists every keyboard command, one "keys — what" a line,
// as the F1 dialog shows them.
func (u *UI) ShortcutsText() string {
	var b strings.Builder
	for _, k := range u.keys {
		fmt.Fprintf(&b, "%s — %s\n", k.Label(), k.Desc)
	}
	return b.String()
}

// ShowShortcuts opens the list of keyboard commands (F1).
func (u *UI) ShowShortcuts() {
	grid := container.NewGridWithColumns(2)
	for _, k := range u.keys {
		key := widget.NewLabel(k.Label())
		key.TextStyle.Monospace = true
		grid.Add(key)
		grid.Add(widget.NewLabel(k.Desc))
	}
	note := widget.NewLabel("Screen keys (Alt+number) and the queue's keys also work while typing in a field.")
	note.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Keyboard shortcuts", "Close", container.NewBorder(nil, note, nil, nil, container.NewVScroll(grid)), u.win)
	d.Resize(fyne.NewSize(560, 560))
	d.Show()
}

func (u *UI) buildTray() {
	open := fyne.NewMenuItem("Open ml-connector", func() { u.win.Show(); u.win.RequestFocus() })
	u.syncItem = fyne.NewMenuItem("Sync now", u.SyncNow)
	u.pauseItem = fyne.NewMenuItem("Pause syncing", u.TogglePause)
	quit := fyne.NewMenuItem("Quit", func() { u.app.Quit() })
	quit.IsQuit = true
	if u.p.Control == nil {
		u.syncItem.Disabled = true
		u.pauseItem.Disabled = true
	}
	u.menu = fyne.NewMenu("ml-connector", open, u.syncItem, u.pauseItem, fyne.NewMenuItemSeparator(), quit)
	desk, ok := u.app.(desktop.App)
	if !ok || u.p.NoTray {
		return // no tray: closing the window quits, or the app would be unreachable
	}
	u.desk = desk
	desk.SetSystemTrayMenu(u.menu)
	desk.SetSystemTrayIcon(assets.TrayOK)
	desk.SetSystemTrayWindow(u.win)
	u.win.SetCloseIntercept(func() { u.win.Hide() }) // keep syncing in the tray
}

// Start loads every screen and follows the engine's events until ctx ends.
// Call it once, on the UI goroutine, before or after the window shows.
func (u *UI) Start(ctx context.Context) {
	u.ctx = ctx
	for i := range u.tabs.Items {
		u.reload(i)
	}
	u.refreshOpen()
	if u.p.Control != nil {
		u.p.Runner.Go(func() {
			paused, err := u.p.Control.Paused(ctx)
			fyne.Do(func() {
				if err == nil {
					u.setPaused(paused)
				}
			})
		})
	}
	if u.p.Events == nil {
		return
	}
	sub := u.p.Events.Subscribe(events.AllEvents, 0)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		defer sub.Unsubscribe()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.C():
				if !ok {
					return
				}
				fyne.Do(func() { u.Handle(ev) })
			case <-tick.C:
				fyne.Do(u.Tick)
			}
		}
	}()
}

// drill shows the list behind a Dashboard count, reason or bar.
func (u *UI) drill(d dashboard.Drill) {
	if d.Exceptions {
		u.Show(ScreenExceptions)
		u.Exceptions.ShowReason(d.Reason)
		return
	}
	u.Show(ScreenDocuments)
	u.Documents.ShowKind(d.DocKind, d.From, d.To)
}

// Show switches to screen i (ScreenDashboard …).
func (u *UI) Show(i int) {
	if i >= 0 && i < len(u.tabs.Items) {
		u.tabs.SelectIndex(i)
	}
}

// Selected is the screen shown.
func (u *UI) Selected() int { return u.tabs.SelectedIndex() }

func (u *UI) reload(i int) {
	switch i {
	case ScreenDashboard:
		u.Dashboard.Reload()
	case ScreenExceptions:
		u.Exceptions.Reload()
	case ScreenDocuments:
		u.Documents.Reload()
	case ScreenMappings:
		u.Mappings.Reload()
	case ScreenConnections:
		u.Connections.Reload()
	case ScreenSchedules:
		u.Schedules.Reload()
	}
}

func (u *UI) markDirty(screens ...int) {
	for _, s := range screens {
		u.dirty[s] = true
	}
}

// refreshOpen recounts the open exceptions for the tab title and the tray.
func (u *UI) refreshOpen() {
	if u.p.Exceptions == nil {
		return
	}
	ctx := u.ctx
	u.p.Runner.Go(func() {
		n, err := u.p.Exceptions.Count(ctx, exceptions.Filter{})
		fyne.Do(func() {
			if err != nil {
				return // the exceptions screen shows its own error in place
			}
			u.open = n
			title := "Exceptions"
			if n > 0 {
				title = fmt.Sprintf("Exceptions (%d)", n)
			}
			u.tabs.Items[ScreenExceptions].Text = title
			u.tabs.Refresh()
			// The count in the window title shows in the taskbar, so a
			// clerk sees the queue grow or shrink from another window.
			if n > 0 {
				u.win.SetTitle(fmt.Sprintf("%s — %d open exceptions", u.title, n))
			} else {
				u.win.SetTitle(u.title)
			}
			u.updateState()
		})
	})
}

// SyncNow asks the engine to run every flow now.
func (u *UI) SyncNow() {
	if u.p.Control == nil {
		return
	}
	ctx := u.ctx
	u.status.SetText("Starting a sync…")
	u.p.Runner.Go(func() {
		err := u.p.Control.SyncNow(ctx)
		fyne.Do(func() {
			u.errLbl.SetError("start a sync", err)
			if err == nil {
				u.status.SetText("Sync requested.")
			} else {
				u.status.SetText("")
			}
		})
	})
}

// TogglePause pauses or resumes every schedule.
func (u *UI) TogglePause() {
	if u.p.Control == nil {
		return
	}
	want := !u.paused
	ctx := u.ctx
	u.p.Runner.Go(func() {
		err := u.p.Control.SetPaused(ctx, want)
		fyne.Do(func() {
			u.errLbl.SetError("pause or resume syncing", err)
			if err == nil {
				u.setPaused(want)
				u.markDirty(ScreenSchedules, ScreenDashboard)
			}
		})
	})
}

func (u *UI) setPaused(p bool) {
	u.paused = p
	u.Dashboard.SetPaused(p)
	if p {
		u.pauseItem.Label = "Resume syncing"
		u.status.SetText("Syncing is paused.")
	} else {
		u.pauseItem.Label = "Pause syncing"
		u.status.SetText("")
	}
	u.menu.Refresh()
	if u.desk != nil {
		u.desk.SetSystemTrayMenu(u.menu)
	}
}

// State is the connector state the tray shows.
func (u *UI) State() State { return u.state }

func (u *UI) updateState() {
	st := StateOK
	switch {
	case len(u.running) > 0:
		st = StateSyncing
	case u.open > 0 || len(u.stale) > 0 || len(u.failed) > 0:
		st = StateAttention
	}
	if st == u.state {
		return
	}
	u.state = st
	if u.desk != nil {
		u.desk.SetSystemTrayIcon(map[State]fyne.Resource{StateOK: assets.TrayOK, StateSyncing: assets.TraySyncing, StateAttention: assets.TrayAttention}[st])
	}
}

// Handle applies one engine event. It runs on the UI goroutine and makes no
// engine call itself: screens that need fresh data are marked and reloaded
// by the next Tick, so a burst of events costs one query per screen.
func (u *UI) Handle(ev events.Event) {
	switch ev.Type {
	case events.RunStarted, events.RunProgress:
		if d, ok := ev.Data.(events.RunData); ok {
			u.running[d.Flow] = true
			u.Dashboard.SetProgress(d.Flow, true, d.Done, d.Total)
		}
	case events.RunFinished:
		if d, ok := ev.Data.(events.RunData); ok {
			delete(u.running, d.Flow)
			u.Dashboard.SetProgress(d.Flow, false, d.Done, d.Total)
			if d.Err != "" {
				u.failed[d.Flow] = d.Err
			} else {
				delete(u.failed, d.Flow)
				delete(u.stale, d.Flow)
				delete(u.staleNotices, d.Flow)
			}
		}
		u.markDirty(ScreenDashboard)
		u.refreshOpen()
	case events.DocumentChanged:
		u.markDirty(ScreenDashboard)
	case events.ExceptionRaised:
		if d, ok := ev.Data.(events.ExceptionData); ok {
			if u.newCount == 0 {
				u.firstNew = u.p.Now()
			}
			u.newCount++
			u.newReasons[d.Reason]++
		}
		u.markDirty(ScreenDashboard, ScreenExceptions)
	case events.ExceptionResolved:
		u.markDirty(ScreenDashboard, ScreenExceptions)
	case events.HeartbeatStale:
		if d, ok := ev.Data.(events.HeartbeatData); ok {
			u.stale[d.Poller] = true
			if !u.staleNotices[d.Poller] {
				u.staleNotices[d.Poller] = true
				body := fmt.Sprintf("The %s poller has not succeeded for %s.", d.Poller, uikit.Duration(d.StaleFor))
				if d.LastSuccess.IsZero() {
					body = fmt.Sprintf("The %s poller has never succeeded.", d.Poller)
				}
				u.app.SendNotification(fyne.NewNotification("ml-connector: syncing has stalled", body+" Check Connections."))
			}
		}
		u.markDirty(ScreenDashboard)
	case events.SchedulerChanged:
		if d, ok := ev.Data.(events.SchedulerData); ok && d.Flow == "" {
			u.setPaused(d.Paused)
		}
		u.markDirty(ScreenSchedules, ScreenDashboard)
	case events.ConnectionStatus:
		if d, ok := ev.Data.(events.ConnectionData); ok {
			if d.OK {
				delete(u.failed, "connection "+d.Connection)
			} else {
				u.failed["connection "+d.Connection] = d.Detail
			}
		}
	}
	u.updateState()
}

// Tick reloads the screens events marked, and sends the batched
// new-exceptions notification once NotifyAfter has passed since the first.
func (u *UI) Tick() {
	if len(u.dirty) > 0 {
		for s := range u.dirty {
			// The queue is the clerk's working view: reload it only when shown,
			// so the selection does not jump under their hands.
			if s == ScreenExceptions && u.tabs.SelectedIndex() != ScreenExceptions {
				continue
			}
			u.reload(s)
			delete(u.dirty, s)
		}
		u.refreshOpen()
	}
	if u.newCount > 0 && u.p.Now().Sub(u.firstNew) >= u.p.NotifyAfter {
		u.app.SendNotification(fyne.NewNotification(plural(u.newCount, "new exception"), reasonsText(u.newReasons)))
		u.newCount = 0
		u.newReasons = map[string]int{}
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func reasonsText(m map[string]int) string {
	type rc struct {
		r string
		n int
	}
	var list []rc
	for r, n := range m {
		list = append(list, rc{r, n})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n || list[i].n == list[j].n && list[i].r < list[j].r })
	var parts []string
	for _, x := range list {
		parts = append(parts, fmt.Sprintf("%s: %d", strings.ReplaceAll(x.r, "_", " "), x.n))
	}
	return strings.Join(parts, ", ") + ". Open the exception queue to fix them."
}

// ReloadAll refetches every screen and the open count, e.g. after the
// engine started behind the bridge. Call it on the UI goroutine.
func (u *UI) ReloadAll() {
	for i := range u.tabs.Items {
		u.reload(i)
	}
	u.refreshOpen()
}

// SetError shows an app-level failure in the status line (nil clears it).
func (u *UI) SetError(doing string, err error) { u.errLbl.SetError(doing, err) }

// SetStatus shows a short note in the status line.
func (u *UI) SetStatus(text string) { u.status.SetText(text) }
