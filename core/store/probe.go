package store

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Probe is what a connection test of a team database found, before the
// desk switches to it. It changes nothing on the server.
type Probe struct {
	Server  string // "PostgreSQL 15.8 …" as the server names itself
	Schema  int    // the highest migration applied; 0 for an empty database
	Latest  int    // the highest migration this build has
	Trigram bool   // pg_trgm is installed or can be (listed in pg_available_extensions)
	TLS     bool   // the connection is encrypted
}

// Verdict says in words whether the desk may switch to the database.
func (p Probe) Verdict() string {
	switch {
	case p.Schema > p.Latest:
		return fmt.Sprintf("a newer release of ml-connector set this database up (schema %d, this one knows %d): update this desk first", p.Schema, p.Latest)
	case !p.Trigram:
		return "the pg_trgm extension is not available on this server: ask the database administrator to install it (postgresql-contrib)"
	case p.Schema == 0:
		return "an empty database: the first desk or server to use it sets it up"
	case p.Schema < p.Latest:
		return fmt.Sprintf("a team database at schema %d: this release brings it to %d when it opens it", p.Schema, p.Latest)
	}
	return "a team database this release knows"
}

// OK reports whether the verdict allows switching.
func (p Probe) OK() bool { return p.Schema <= p.Latest && p.Trigram }

// ProbeURL connects to a PostgreSQL team database with the options given
// (WithPassword) and reports what it found, without migrating or writing
// anything: a connection test an admin can run before switching a desk.
// Errors are classified as OpenURL's (a wrong password is KindAuth).
func ProbeURL(ctx context.Context, loc string, opts ...Option) (Probe, error) {
	var p Probe
	if !IsPostgresURL(loc) {
		return p, fmt.Errorf("probe %s: not a postgres:// URL: %w", loc, ErrInvalid)
	}
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	shown := RedactURL(loc)
	cfg, err := pgxpool.ParseConfig(loc)
	if err != nil {
		return p, fmt.Errorf("probe %s: %w", shown, ErrInvalid)
	}
	if o.password != "" {
		cfg.ConnConfig.Password = o.password
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return p, fmt.Errorf("probe %s: %w", shown, classifyConnect(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	p.TLS = isTLS(conn)
	if err := conn.QueryRow(ctx, `SELECT version()`).Scan(&p.Server); err != nil {
		return p, fmt.Errorf("probe %s: %w", shown, err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return p, fmt.Errorf("probe %s: %w", shown, err)
	}
	if exists {
		if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&p.Schema); err != nil {
			return p, fmt.Errorf("probe %s: %w", shown, err)
		}
	}
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')`).Scan(&p.Trigram); err != nil {
		return p, fmt.Errorf("probe %s: %w", shown, err)
	}
	ms, err := loadMigrations(postgresDialect)
	if err != nil {
		return p, err
	}
	p.Latest = len(ms)
	return p, nil
}

// isTLS reports whether the connection's socket is a TLS connection.
func isTLS(conn *pgx.Conn) bool {
	_, ok := conn.PgConn().Conn().(*tls.Conn)
	return ok
}
