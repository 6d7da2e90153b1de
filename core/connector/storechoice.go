package connector

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/locations"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// StorePasswordKey is the secret holding the team database's password: in
// the keychain, or the systemd credential file "store.password". It never
// goes into the store URL, a flag, an environment variable or a file the
// app writes.
const StorePasswordKey = "store.password"

// StoreEnv names the environment variable that chooses the store, like the
// global --store flag.
const StoreEnv = "ML_CONNECTOR_STORE"

// StoreChoice is which database a process uses and why.
type StoreChoice struct {
	Location string // a postgres:// URL without password, or a SQLite file path
	Source   string // "--store", "ML_CONNECTOR_STORE", "team-store.url" or "data dir"
}

// Team reports whether the choice is a team (PostgreSQL) database.
func (c StoreChoice) Team() bool { return store.IsPostgresURL(c.Location) }

// Shown is the location fit for screens and logs.
func (c StoreChoice) Shown() string { return store.RedactURL(c.Location) }

// ChooseStore resolves the store: the --store flag, else $ML_CONNECTOR_STORE,
// else the team database this desk was switched to (the data dir's
// team-store.url), else the data dir's SQLite file. A PostgreSQL URL that
// carries a password is refused: flags and the environment are visible to
// other processes, and the file is plain text.
func ChooseStore(flagValue string, loc locations.Locations) (StoreChoice, error) {
	c := StoreChoice{Location: loc.Get(locations.Database), Source: "data dir"}
	switch {
	case flagValue != "":
		c = StoreChoice{Location: flagValue, Source: "--store"}
	case os.Getenv(StoreEnv) != "":
		c = StoreChoice{Location: os.Getenv(StoreEnv), Source: StoreEnv}
	default:
		b, err := os.ReadFile(loc.Get(locations.TeamStore))
		if err == nil && strings.TrimSpace(string(b)) != "" {
			c = StoreChoice{Location: strings.TrimSpace(string(b)), Source: "team-store.url"}
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			return c, fmt.Errorf("choose store: %w", err)
		}
	}
	if c.Team() {
		if err := checkStoreURL(c.Location); err != nil {
			return c, fmt.Errorf("store from %s: %w", c.Source, err)
		}
	}
	return c, nil
}

// storeURLError is a store URL the app refuses, with its advice.
type storeURLError struct{ msg string }

func (e *storeURLError) Error() string { return e.msg }

// ErrorKind implements domain.Classified.
func (e *storeURLError) ErrorKind() domain.ErrorKind { return domain.KindConfig }

func checkStoreURL(loc string) error {
	u, err := url.Parse(loc)
	if err != nil {
		return &storeURLError{"the team database URL cannot be read; write it as postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full&sslrootcert=CA.pem"}
	}
	_, hasPW := u.User.Password()
	if hasPW || u.Query().Has("password") {
		return &storeURLError{"the team database URL carries a password: remove it from the URL and save the password with " +
			"`ml-connector store password` (OS keychain) or as the systemd credential " + StorePasswordKey}
	}
	return nil
}

// OpenStore opens the chosen store. For a team database the password comes
// from sec (StorePasswordKey); none saved means the server must not ask
// for one (a client certificate, or trust on a test server).
func OpenStore(ctx context.Context, c StoreChoice, sec secrets.Store) (*store.Store, error) {
	if !c.Team() {
		return store.Open(ctx, c.Location)
	}
	var opts []store.Option
	if sec != nil {
		pw, err := sec.Get(ctx, StorePasswordKey)
		switch {
		case err == nil:
			opts = append(opts, store.WithPassword(pw))
		case errors.Is(err, secrets.ErrNotFound):
		default:
			return nil, fmt.Errorf("open team database: read its password: %w", err)
		}
	}
	return store.OpenURL(ctx, c.Location, opts...)
}

// SwitchToTeam records the team database this desk uses from now on (the
// URL only; the password is a secret saved apart). An empty location goes
// back to this desk's own SQLite file.
func SwitchToTeam(loc locations.Locations, location string) error {
	path := loc.Get(locations.TeamStore)
	if location == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if !store.IsPostgresURL(location) {
		return &storeURLError{"a team database is a postgres:// URL"}
	}
	if err := checkStoreURL(location); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(location+"\n"), 0o600)
}

// LeaderCapable reports whether this desk may lead its team database's
// engine when no server does (the data dir's desk-role file says
// "leader-capable"). The usual set-up is a headless `run` on a server as the
// leader and the clerks' desks as clients, so the default is client.
func LeaderCapable(loc locations.Locations) bool {
	b, err := os.ReadFile(loc.Get(locations.DeskRole))
	return err == nil && strings.TrimSpace(string(b)) == "leader-capable"
}

// SetLeaderCapable records this desk's role on a team database.
func SetLeaderCapable(loc locations.Locations, capable bool) error {
	role := "client"
	if capable {
		role = "leader-capable"
	}
	return os.WriteFile(loc.Get(locations.DeskRole), []byte(role+"\n"), 0o600)
}

// TestTeamStore is the connection test of a team database before a desk
// switches to it: the URL is checked as SwitchToTeam checks it (no
// password in it), then the server is probed without changing anything.
func TestTeamStore(ctx context.Context, location, password string) (store.Probe, error) {
	if !store.IsPostgresURL(location) {
		return store.Probe{}, &storeURLError{"a team database is a postgres:// URL"}
	}
	if err := checkStoreURL(location); err != nil {
		return store.Probe{}, err
	}
	var opts []store.Option
	if password != "" {
		opts = append(opts, store.WithPassword(password))
	}
	return store.ProbeURL(ctx, location, opts...)
}

// UseTeamStore switches this desk to a team database from its next start:
// the password (when given) goes to sec under StorePasswordKey, never into a
// file the app writes; the URL and the desk's role go to the data dir.
func UseTeamStore(ctx context.Context, loc locations.Locations, sec secrets.Store, location, password string, leaderCapable bool) error {
	if !store.IsPostgresURL(location) {
		return &storeURLError{"a team database is a postgres:// URL"}
	}
	if err := checkStoreURL(location); err != nil {
		return err
	}
	if password != "" {
		if err := sec.Set(ctx, StorePasswordKey, password); err != nil {
			return fmt.Errorf("save the team database password: %w", err)
		}
	}
	if err := SwitchToTeam(loc, location); err != nil {
		return err
	}
	return SetLeaderCapable(loc, leaderCapable)
}
