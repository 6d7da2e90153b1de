// Package bridge connects the desktop screens to the engine: it implements
// the small source interfaces each ui package declares, over core/engine,
// core/store and core/secrets, and owns the engine's lifecycle in the app
// (build it from the stored settings when they are complete, rebuild it when
// the admin changes a connection, run the scheduler).
//
// Reads (dashboard, queue, documents, mappings) come from the store and work
// before the connections are set up; actions that need IFS or Cleo (replay,
// tests, schedules) say in place that the connections are missing.
package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/ui"
)

// ErrNotConfigured is what actions return before the connections are complete.
var ErrNotConfigured = errors.New("the connections are not set up yet: fill them in under Connections and test them")

// Config is what the bridge runs on.
type Config struct {
	Store       *store.Store
	Secrets     secrets.Store
	SecretLabel string // where secrets go, in words ("OS keychain", "memory (demo)")
	Bus         *events.Bus
	Logger      *slog.Logger
	Loc         *time.Location // the clerk's zone for days and schedules
	// DataDir is passed to the CLI code that writes evidence packs.
	DataDir string
	// LeaderCapable lets this desk lead a team database's engine (run the
	// flows) when no other process does. Without it a desk on a team
	// database is a client: its flows never run here, whatever the clerk
	// clicks. Ignored on a desk's own SQLite file.
	LeaderCapable bool
	// Node names this process in the team's node list.
	Node store.NodeInfo
	// StoreChoice is how the store was chosen (shown on the Connections
	// screen's database card); empty means the data dir's choice.
	StoreChoice connector.StoreChoice
}

// Bridge is the engine as the desktop app sees it.
type Bridge struct {
	cfg Config

	// rebuildMu serialises rebuilds; mu guards the fields below and is
	// never held while waiting for a run to finish, so screens keep
	// answering while an engine is replaced.
	rebuildMu sync.Mutex
	mu        sync.Mutex
	eng       *engine.Engine
	sched     *engine.Scheduler
	release   func()
	runCtx    context.Context
	cancel    context.CancelFunc
	// leading is true while this desk holds a team database's leader lock.
	leading bool
	// askWait is how long a client desk's action waits for the leader
	// (askWaitDefault; tests shorten it).
	askWait time.Duration

	// certs holds the server certificate each connection's last test saw
	// (by connections.IFS / connections.Cleo), for the expiry warnings.
	// In memory: a restart forgets it until the next test.
	certMu sync.Mutex
	certs  map[string]domain.CertInfo
}

// New returns a bridge; call Start to build the engine when configured.
func New(cfg Config) *Bridge {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Loc == nil {
		cfg.Loc = time.Local
	}
	if cfg.Bus == nil {
		cfg.Bus = events.NewBus()
	}
	if cfg.SecretLabel == "" {
		cfg.SecretLabel = secrets.LabelOf(cfg.Secrets)
	}
	return &Bridge{cfg: cfg, askWait: askWaitDefault}
}

// Start builds the engine and starts the scheduler when the stored
// settings are complete; otherwise it returns nil and waits for the admin.
// Runs use a context that outlives ctx's cancellation only through Close.
func (b *Bridge) Start(ctx context.Context) error {
	b.mu.Lock()
	b.runCtx, b.cancel = context.WithCancel(context.WithoutCancel(ctx))
	b.mu.Unlock()
	err := b.rebuild(ctx)
	switch {
	case b.team() && b.cfg.LeaderCapable:
		go b.leadLoop(b.runCtx)
	case b.team():
		// A client desk: its screens follow what the leader does.
		go engine.FollowTeam(b.runCtx, b.cfg.Bus, b.cfg.Store, teamPoll, b.cfg.Logger, nil)
	}
	if errors.Is(err, ErrNotConfigured) {
		return nil
	}
	return err
}

// team reports whether the store is a team database (no store yet: not).
func (b *Bridge) team() bool { return b.cfg.Store != nil && b.cfg.Store.Backend() == "postgres" }

// Team reports whether this desk works on a team database (PostgreSQL)
// rather than its own file.
func (b *Bridge) Team() bool { return b.team() }

// ErrClient is what actions that run the flows return on a desk that does
// not lead its team database's engine.
var ErrClient = errors.New("this desk is a client of the team database: the flows run in the team's engine")

// mayRunLocked reports (with b.mu held) whether the flows may run in this
// process: always on a desk's own file, only while leading on a team database.
func (b *Bridge) mayRunLocked() error {
	if !b.team() || b.leading {
		return nil
	}
	return ErrClient
}

// mayRun is mayRunLocked for callers without the lock; its refusal names
// the process that leads the team's engine.
func (b *Bridge) mayRun() error {
	b.mu.Lock()
	err := b.mayRunLocked()
	b.mu.Unlock()
	if err == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return fmt.Errorf("%w: it runs at %s", ErrClient, b.cfg.Store.DescribeLeader(ctx))
}

// teamPoll is the safety-net poll of a desk following the team's events;
// PostgreSQL's NOTIFY wakes it first.
const teamPoll = 10 * time.Second

// leadLoop stands by for the team's leader lock, starts the flows while it
// holds it, and stops them the moment the lock's connection fails.
func (b *Bridge) leadLoop(ctx context.Context) {
	origin := b.cfg.Node.Host + " (gui)"
	for {
		// While standing by, the screens follow the leader's events.
		fctx, stopFollowing := context.WithCancel(ctx)
		go engine.FollowTeam(fctx, b.cfg.Bus, b.cfg.Store, teamPoll, b.cfg.Logger, nil)
		l, err := b.cfg.Store.Lead(ctx, b.cfg.Node, nil)
		stopFollowing()
		if err != nil {
			return // ctx ended: the app quits
		}
		b.mu.Lock()
		b.leading = true
		b.mu.Unlock()
		// Now this desk's events go to the others, from before the flows start.
		lctx, stopServing := context.WithCancel(ctx)
		engine.RelayToTeam(lctx, b.cfg.Bus, b.cfg.Store, origin, b.cfg.Logger)
		if err := b.rebuild(ctx); err != nil && !errors.Is(err, ErrNotConfigured) {
			b.cfg.Logger.Error("start the flows as the team's leader", "err", err)
		}
		// The leader executes what clerks ask from the other desks.
		if eng, sched, err := b.engine(); err == nil {
			go eng.ServeRequests(lctx, sched, origin)
		}
		select {
		case <-ctx.Done():
			stopServing()
			l.Release()
			return
		case <-l.Lost():
			stopServing()
			b.mu.Lock()
			b.leading = false
			b.mu.Unlock()
			b.cfg.Logger.Error("lost the team database connection that made this desk the leader: flows stopped")
			_ = b.rebuild(ctx) // stops the flows; the engine stays for reading
			l.Release()
		}
	}
}

// Configured reports whether an engine is running.
func (b *Bridge) Configured() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.eng != nil
}

// Close stops the scheduler (letting the current step finish) and the engine.
func (b *Bridge) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopLocked()
	if b.cancel != nil {
		b.cancel()
	}
}

func (b *Bridge) stopLocked() {
	if b.sched != nil {
		b.eng.Drain()
		select {
		case <-b.sched.Stop().Done():
		case <-time.After(30 * time.Second):
		}
	}
	if b.release != nil {
		b.release()
	}
	b.eng, b.sched, b.release = nil, nil, nil
}

func (b *Bridge) engine() (*engine.Engine, *engine.Scheduler, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.eng == nil {
		return nil, nil, ErrNotConfigured
	}
	return b.eng, b.sched, nil
}

// rebuild replaces the engine with one built from the current settings.
// The old engine stops taking new steps, and the wait for its current step
// (up to 30 s) happens without the bridge's lock: the screens go on reading
// through it until the new one takes over. Only then does the new
// scheduler start, so two engines never run flows side by side.
func (b *Bridge) rebuild(ctx context.Context) error {
	b.rebuildMu.Lock()
	defer b.rebuildMu.Unlock()
	eng, release, err := b.build(ctx)
	b.mu.Lock()
	oldEng, oldSched, oldRelease := b.eng, b.sched, b.release
	runCtx := b.runCtx
	b.mu.Unlock()
	if oldSched != nil {
		oldEng.Drain()
		select {
		case <-oldSched.Stop().Done():
		case <-time.After(30 * time.Second):
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.eng, b.sched, b.release = nil, nil, nil
	if oldRelease != nil {
		oldRelease()
	}
	if err != nil {
		return err
	}
	sched := engine.NewScheduler(eng)
	if runCtx == nil {
		runCtx = context.Background()
	}
	if b.mayRunLocked() == nil {
		if err := sched.Start(runCtx); err != nil {
			release()
			return err
		}
	}
	b.eng, b.sched, b.release = eng, sched, release
	return nil
}

// options are what core/connector builds from.
func (b *Bridge) options() connector.Options {
	return connector.Options{Store: b.cfg.Store, Secrets: b.cfg.Secrets, Logger: b.cfg.Logger, Bus: b.cfg.Bus, SecretTimeout: 10 * time.Second}
}

// build makes the engine from the stored settings and secrets, exactly as
// the CLI's sync and run commands do (core/connector).
func (b *Bridge) build(ctx context.Context) (*engine.Engine, func(), error) {
	c, err := connector.Open(ctx, b.options())
	if err != nil {
		if errors.Is(err, connector.ErrNotConfigured) {
			return nil, nil, fmt.Errorf("%w (%v)", ErrNotConfigured, err)
		}
		return nil, nil, err
	}
	return c.Engine, func() { c.Close() }, nil
}

// Params returns the desktop app's sources, all backed by this bridge.
func (b *Bridge) Params() ui.Params {
	return ui.Params{
		Dashboard:   &dashboardSource{b},
		Exceptions:  &exceptionSource{b},
		Documents:   &documentSource{b},
		Mappings:    &mappingSource{b},
		Connections: &connectionSource{b},
		Database:    &databaseSource{b},
		Schedules:   &scheduleSource{b},
		Control:     &control{b},
		Events:      b.cfg.Bus,
		Loc:         b.cfg.Loc,
	}
}

// control implements ui.Control.
type control struct{ b *Bridge }

func (c *control) SyncNow(ctx context.Context) error {
	if c.b.asClient() {
		// The team's leader runs the flows: ask it to.
		_, err := c.b.ask(ctx, "sync_now", "", nil)
		return err
	}
	_, s, err := c.b.engine()
	if err != nil {
		return err
	}
	if err := c.b.mayRun(); err != nil {
		return err
	}
	s.SyncNow()
	return nil
}

func (c *control) SetPaused(ctx context.Context, paused bool) error {
	if c.b.asClient() {
		kind := "resume"
		if paused {
			kind = "pause"
		}
		_, err := c.b.ask(ctx, kind, "", nil)
		return err
	}
	_, s, err := c.b.engine()
	if err != nil {
		return err
	}
	return s.SetPaused(ctx, "", paused)
}

func (c *control) Paused(ctx context.Context) (bool, error) {
	if c.b.asClient() {
		// The leader's schedules, as it stored them.
		scheds, err := c.b.cfg.Store.Schedules(ctx)
		if err != nil || len(scheds) == 0 {
			return false, err
		}
		all := true
		for _, sc := range scheds {
			all = all && sc.Paused
		}
		return all, nil
	}
	_, s, err := c.b.engine()
	if err != nil {
		return false, nil
	}
	all := true
	for _, i := range s.Schedules() {
		all = all && i.Paused
	}
	return all, nil
}

// flowLabel names a flow for people.
func flowLabel(f string) string {
	switch f {
	case "pos":
		return "Purchase orders out"
	case "invoices":
		return "Invoices in"
	case "reference":
		return "Reference data"
	case "invoices_out":
		return "Self-billing invoices out"
	}
	return f
}

// reasonLabel turns a stable code (PARTNER_NOT_MAPPED) into words (Partner not mapped).
func reasonLabel(code string) string {
	if code == "" {
		return ""
	}
	words := strings.Split(strings.ToLower(code), "_")
	for i, w := range words {
		switch w {
		case "po", "gl", "ifs", "edi", "uom":
			words[i] = strings.ToUpper(w)
		case "ack":
			words[i] = "997"
		}
	}
	s := strings.Join(words, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}
