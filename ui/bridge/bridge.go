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
	"strconv"
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
	"github.com/ml-connector/ifs-cleo/ui/connections"
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
	if err := sched.Start(runCtx); err != nil {
		release()
		return err
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

// connSource is the Connections screen's source: every setting of the three
// Cleo transports, stored under core/connector's keys, and a test per
// connection (IFS can be checked before Cleo is filled in). Secrets are
// handled by the embedded connectionSource.
type connSource struct{ *connectionSource }

// Load implements connections.Source.
func (s *connSource) Load(ctx context.Context) (connections.Settings, error) {
	set, err := s.b.cfg.Store.Settings(ctx)
	if err != nil {
		return connections.Settings{}, err
	}
	c := connections.Settings{
		IFS: connections.IFSSettings{URL: set[connector.SettingIFSURL], Realm: set[connector.SettingIFSRealm],
			ClientID: set[connector.SettingIFSClientID], Company: set[connector.SettingIFSCompany], ResourceProfile: set[connector.SettingIFSProfile]},
		Cleo: connections.CleoSettings{Transport: set[connector.SettingCleoTransport], URL: set[connector.SettingCleoURL],
			Host: set[connector.SettingCleoHost], User: set[connector.SettingCleoUser], HostKeyFingerprint: set[connector.SettingCleoHostKey],
			KnownHostsFile: set[connector.SettingCleoKnownHost], Root: set[connector.SettingCleoRoot],
			PerPartner: set[connector.SettingCleoPerPartner] == "true", Partners: set[connector.SettingCleoPartners]},
	}
	if c.Cleo.Transport == connector.TransportFolder && c.Cleo.Root == "" {
		c.Cleo.Root = c.Cleo.URL // the screen once took the folder in the URL field
	}
	return c, nil
}

// Save implements connections.Source; it checks the partner list first so
// a typo is reported in place, not at the next sync.
func (s *connSource) Save(ctx context.Context, c connections.Settings) error {
	if _, err := connector.ParsePartners(c.Cleo.Partners, "", ""); err != nil {
		return fmt.Errorf("partners: %w", err)
	}
	actor := engine.OSUser()
	for k, v := range map[string]string{
		connector.SettingIFSURL: c.IFS.URL, connector.SettingIFSRealm: c.IFS.Realm, connector.SettingIFSClientID: c.IFS.ClientID,
		connector.SettingIFSCompany: c.IFS.Company, connector.SettingIFSProfile: c.IFS.ResourceProfile,
		connector.SettingCleoTransport: c.Cleo.Transport, connector.SettingCleoURL: c.Cleo.URL, connector.SettingCleoHost: c.Cleo.Host,
		connector.SettingCleoUser: c.Cleo.User, connector.SettingCleoHostKey: c.Cleo.HostKeyFingerprint,
		connector.SettingCleoKnownHost: c.Cleo.KnownHostsFile, connector.SettingCleoRoot: c.Cleo.Root,
		connector.SettingCleoPerPartner: strconv.FormatBool(c.Cleo.PerPartner), connector.SettingCleoPartners: c.Cleo.Partners,
	} {
		if err := s.b.cfg.Store.SetSetting(ctx, actor, k, v); err != nil {
			return fmt.Errorf("save %s: %w", k, err)
		}
	}
	return nil
}

// Test checks one connection on its own. When it passes, the engine is
// rebuilt from the saved settings if the other connection is complete too
// (a working engine starts its schedules, and a first setup syncs at once).
func (s *connSource) Test(ctx context.Context, target string) (domain.TestReport, error) {
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	o := s.b.options()
	var rep domain.TestReport
	if target == connections.Cleo {
		rep = connector.TestCleo(tctx, o)
	} else {
		rep = connector.TestIFS(tctx, o)
	}
	s.b.noteCert(target, rep)
	detail := "ok"
	if !rep.OK() {
		detail = "failed"
	}
	s.b.cfg.Bus.Publish(events.ConnectionStatus, events.ConnectionData{Connection: rep.Target, OK: rep.OK(), Detail: detail})
	if !rep.OK() {
		return rep, nil
	}
	wasRunning := s.b.Configured()
	if err := s.b.rebuild(ctx); err != nil {
		// The other connection is not ready: its own test says why.
		s.b.cfg.Logger.Info("engine not started after a connection test", "target", target, "err", err)
		return rep, nil
	}
	if !wasRunning {
		other := connector.TestIFS
		if target != connections.Cleo {
			other = connector.TestCleo
		}
		if other(tctx, o).OK() {
			if _, sched, err := s.b.engine(); err == nil {
				sched.SyncNow() // first working setup: show results now, not at the next cron tick
			}
		}
	}
	return rep, nil
}

// Secrets implements connections.Source: the stored secrets' states, plus
// the server certificates the last tests saw (connections.CertIFS and
// CertCleo), which the screen warns about before they expire.
func (s *connSource) Secrets(ctx context.Context) (map[string]connections.SecretState, error) {
	out, err := s.connectionSource.Secrets(ctx)
	if err != nil {
		return out, err
	}
	s.b.certMu.Lock()
	defer s.b.certMu.Unlock()
	for target, key := range map[string]string{connections.IFS: connections.CertIFS, connections.Cleo: connections.CertCleo} {
		if c, ok := s.b.certs[target]; ok {
			out[key] = connections.SecretState{Set: true, Expires: c.NotAfter, Host: c.Host}
		}
	}
	return out, nil
}

// noteCert remembers the certificate a test saw. A passing test without
// one (plain http, SFTP, a folder) forgets the old one; a failing test
// that never reached TLS keeps it.
func (b *Bridge) noteCert(target string, rep domain.TestReport) {
	b.certMu.Lock()
	defer b.certMu.Unlock()
	switch {
	case !rep.Cert.IsZero():
		if b.certs == nil {
			b.certs = map[string]domain.CertInfo{}
		}
		b.certs[target] = rep.Cert
	case rep.OK():
		delete(b.certs, target)
	}
}

// Params returns the desktop app's sources, all backed by this bridge.
func (b *Bridge) Params() ui.Params {
	return ui.Params{
		Dashboard:   &dashboardSource{b},
		Exceptions:  &exceptionSource{b},
		Documents:   &documentSource{b},
		Mappings:    &mappingSource{b},
		Connections: &connSource{&connectionSource{b}},
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
