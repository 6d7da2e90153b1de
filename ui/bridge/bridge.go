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

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/cli"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/ifs"
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
}

// Bridge is the engine as the desktop app sees it.
type Bridge struct {
	cfg Config

	mu      sync.Mutex
	eng     *engine.Engine
	sched   *engine.Scheduler
	release func()
	runCtx  context.Context
	cancel  context.CancelFunc
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
	return &Bridge{cfg: cfg}
}

// Start builds the engine and starts the scheduler when the stored
// settings are complete; otherwise it returns nil and waits for the admin.
// Runs use a context that outlives ctx's cancellation only through Close.
func (b *Bridge) Start(ctx context.Context) error {
	b.mu.Lock()
	b.runCtx, b.cancel = context.WithCancel(context.WithoutCancel(ctx))
	b.mu.Unlock()
	err := b.rebuild(ctx)
	if errors.Is(err, ErrNotConfigured) {
		return nil
	}
	return err
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
func (b *Bridge) rebuild(ctx context.Context) error {
	eng, release, err := b.build(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopLocked()
	if err != nil {
		return err
	}
	sched := engine.NewScheduler(eng)
	runCtx := b.runCtx
	if runCtx == nil {
		runCtx = context.Background()
	}
	if err := sched.Start(runCtx); err != nil {
		release()
		return err
	}
	b.eng, b.sched, b.release = eng, sched, release
	return nil
}

// build makes the engine from the stored settings and secrets, as the CLI's
// sync and run commands do.
func (b *Bridge) build(ctx context.Context) (*engine.Engine, func(), error) {
	st := b.cfg.Store
	set, err := st.Settings(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range []string{cli.SettingIFSURL, cli.SettingIFSClientID, cli.SettingIFSCompany, cli.SettingCleoURL, cli.SettingCleoUser} {
		if set[k] == "" {
			return nil, nil, fmt.Errorf("%w (%s is empty)", ErrNotConfigured, k)
		}
	}
	if t := set[SettingCleoTransport]; t != "" && t != "rest" {
		return nil, nil, fmt.Errorf("the Cleo transport %q is not available in the desktop app yet: use rest", t)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ifsSecret, err := b.cfg.Secrets.Get(sctx, cli.SecretIFSClient)
	if err != nil {
		return nil, nil, fmt.Errorf("IFS client secret: %w", err)
	}
	cleoPass, err := b.cfg.Secrets.Get(sctx, cli.SecretCleoPassword)
	if err != nil {
		return nil, nil, fmt.Errorf("Cleo password: %w", err)
	}
	ic, err := ifs.New(ifs.Config{BaseURL: set[cli.SettingIFSURL], TokenURL: set[cli.SettingIFSTokenURL], Realm: set[cli.SettingIFSRealm],
		ClientID: set[cli.SettingIFSClientID], ClientSecret: ifsSecret, Company: set[cli.SettingIFSCompany], Logger: b.cfg.Logger})
	if err != nil {
		return nil, nil, fmt.Errorf("IFS connection: %w", err)
	}
	cc, err := cleo.NewREST(cleo.RESTConfig{BaseURL: set[cli.SettingCleoURL], Username: set[cli.SettingCleoUser], Password: cleoPass})
	if err != nil {
		return nil, nil, fmt.Errorf("Cleo connection: %w", err)
	}
	send997 := set[cli.SettingSend997] != "false"
	ourQual, ourID := set[cli.SettingOurQual], set[cli.SettingOurID]
	if ourID == "" {
		if ps, err := st.Partners(ctx); err == nil {
			for _, p := range ps {
				if p.OurID != "" {
					ourQual, ourID = p.OurQualifier, p.OurID
					break
				}
			}
		}
	}
	if ourQual == "" {
		ourQual = "ZZ"
	}
	eng, err := engine.New(engine.Params{Store: st, IFS: &engine.IFSClient{C: ic, Company: set[cli.SettingIFSCompany]},
		Cleo: engine.CleoTransport{T: cc}, EDI: engine.X12Codec{}, Bus: b.cfg.Bus, Logger: b.cfg.Logger,
		Company: set[cli.SettingIFSCompany], Us: engine.Identity{Qualifier: ourQual, ID: ourID}, Send997: &send997})
	if err != nil {
		cc.Close()
		return nil, nil, err
	}
	return eng, func() { cc.Close() }, nil
}

// Params returns the desktop app's sources, all backed by this bridge.
func (b *Bridge) Params() ui.Params {
	return ui.Params{
		Dashboard:   &dashboardSource{b},
		Exceptions:  &exceptionSource{b},
		Documents:   &documentSource{b},
		Mappings:    &mappingSource{b},
		Connections: &connectionSource{b},
		Schedules:   &scheduleSource{b},
		Control:     &control{b},
		Events:      b.cfg.Bus,
		Loc:         b.cfg.Loc,
	}
}

// control implements ui.Control.
type control struct{ b *Bridge }

func (c *control) SyncNow(context.Context) error {
	_, s, err := c.b.engine()
	if err != nil {
		return err
	}
	s.SyncNow()
	return nil
}

func (c *control) SetPaused(ctx context.Context, paused bool) error {
	_, s, err := c.b.engine()
	if err != nil {
		return err
	}
	return s.SetPaused(ctx, "", paused)
}

func (c *control) Paused(context.Context) (bool, error) {
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
