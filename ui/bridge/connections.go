package bridge

// The Connections screen's source: the connection settings (core/connector
// owns them: connector.Settings), the secrets, and a test per connection.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/ui/connections"
)

// connectionSource adapts connector.Settings, the secret store and the
// connector's connection tests to the Connections screen.
type connectionSource struct{ b *Bridge }

// Load implements connections.Source.
func (s *connectionSource) Load(ctx context.Context) (connections.Settings, error) {
	set, err := connector.LoadSettings(ctx, s.b.cfg.Store)
	if err != nil {
		return connections.Settings{}, err
	}
	c := connections.Settings{
		IFS: connections.IFSSettings{URL: set.IFS.URL, Realm: set.IFS.Realm, ClientID: set.IFS.ClientID, Company: set.IFS.Company,
			ResourceProfile: set.IFS.Profile},
		Cleo: connections.CleoSettings{Transport: set.Cleo.Transport, URL: set.Cleo.URL, Host: set.Cleo.Host, User: set.Cleo.User,
			HostKeyFingerprint: set.Cleo.HostKey, KnownHostsFile: set.Cleo.KnownHosts, Root: set.Cleo.Root,
			PerPartner: set.Cleo.PerPartner, Partners: set.Cleo.Partners},
	}
	if c.Cleo.Transport == connector.TransportFolder && c.Cleo.Root == "" {
		c.Cleo.Root = c.Cleo.URL // the screen once took the folder in the URL field
	}
	return c, nil
}

// merge lays the fields the screen shows over the stored settings (the
// rest, such as CA bundles and our X12 id, is kept).
func merge(set connector.Settings, c connections.Settings) connector.Settings {
	set.IFS.URL, set.IFS.Realm, set.IFS.ClientID, set.IFS.Company, set.IFS.Profile =
		c.IFS.URL, c.IFS.Realm, c.IFS.ClientID, c.IFS.Company, c.IFS.ResourceProfile
	set.Cleo.Transport, set.Cleo.URL, set.Cleo.Host, set.Cleo.User = c.Cleo.Transport, c.Cleo.URL, c.Cleo.Host, c.Cleo.User
	set.Cleo.HostKey, set.Cleo.KnownHosts, set.Cleo.Root = c.Cleo.HostKeyFingerprint, c.Cleo.KnownHostsFile, c.Cleo.Root
	set.Cleo.PerPartner, set.Cleo.Partners = c.Cleo.PerPartner, c.Cleo.Partners
	return set
}

// Save implements connections.Source: the screen's fields over what is
// stored. A bad partner list is reported in place, not at the next sync.
func (s *connectionSource) Save(ctx context.Context, c connections.Settings) error {
	set, err := connector.LoadSettings(ctx, s.b.cfg.Store)
	if err != nil {
		return err
	}
	return merge(set, c).Save(ctx, s.b.cfg.Store, engine.OSUser())
}

// SetSecret implements connections.Source. Without a usable keychain it
// says what to do; it never falls back to a plain file.
func (s *connectionSource) SetSecret(ctx context.Context, name, value string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := s.b.cfg.Secrets.Set(ctx, name, value)
	if errors.Is(err, secrets.ErrUnavailable) {
		return fmt.Errorf("%s (%w)", secrets.NoKeychainAdvice, err)
	}
	return err
}

// Secrets implements connections.Source: the stored secrets' states, plus
// the server certificates the last tests saw (connections.CertIFS and
// CertCleo), which the screen warns about before they expire.
func (s *connectionSource) Secrets(ctx context.Context) (map[string]connections.SecretState, error) {
	out := map[string]connections.SecretState{}
	for _, n := range []string{connections.SecretIFSClient, connections.SecretCleoPassword, connections.SecretCleoKey} {
		gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := s.b.cfg.Secrets.Get(gctx, n)
		cancel()
		out[n] = connections.SecretState{Set: err == nil && v != ""}
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

// SecretStore names where secrets go, for the screen.
func (s *connectionSource) SecretStore() string { return s.b.cfg.SecretLabel }

// Test checks one connection with what the screen holds (settings over
// the stored ones, typed secrets over the stored ones) without saving
// anything: the configuration in use stays in use until a passing test is
// saved and applied (Apply).
func (s *connectionSource) Test(ctx context.Context, target string, c connections.Settings, typed map[string]string) (domain.TestReport, error) {
	set, err := connector.LoadSettings(ctx, s.b.cfg.Store)
	if err != nil {
		return domain.TestReport{}, err
	}
	cand := merge(set, c)
	if err := cand.Validate(); err != nil {
		return domain.TestReport{}, err
	}
	o := s.b.options()
	o.Override = cand.Map()
	if len(typed) > 0 {
		mem := secrets.NewMemory()
		for k, v := range typed {
			if err := mem.Set(ctx, k, v); err != nil {
				return domain.TestReport{}, err
			}
		}
		o.Secrets = secrets.NewChain(mem, o.Secrets)
	}
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
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
	return rep, nil
}

// Apply starts using what was saved after a passing test: the engine is
// rebuilt when the other connection is complete too (a working engine
// starts its schedules, and a first setup syncs at once).
func (s *connectionSource) Apply(ctx context.Context, target string) (bool, error) {
	wasRunning := s.b.Configured()
	if err := s.b.rebuild(ctx); err != nil {
		// The other connection is not ready: its own test says why.
		s.b.cfg.Logger.Info("engine not started after a connection test", "target", target, "err", err)
		return false, nil
	}
	if !wasRunning {
		tctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		other := connector.TestIFS
		if target != connections.Cleo {
			other = connector.TestCleo
		}
		if other(tctx, s.b.options()).OK() {
			if _, sched, err := s.b.engine(); err == nil && s.b.mayRun() == nil {
				sched.SyncNow() // first working setup: show results now, not at the next cron tick
			}
		}
	}
	return true, nil
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
