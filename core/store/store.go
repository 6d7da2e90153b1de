// Package store is the connector's local memory: every file received, every
// document sent or received with its audit trail, the exception queue,
// versioned mappings, reference-data caches, sync runs, cursors, outbound
// intents, control-number counters, settings and schedules.
//
// It has two backends behind the one Store type. For one desk it is a SQLite
// file (modernc.org/sqlite, pure Go) in WAL mode, written through a single
// connection so that writers never fight over locks and control numbers and
// the audit chain are allocated in a strict order, and read through a
// separate read-only pool so that the GUI's queries never wait for a sync to
// finish writing. For a team it is a PostgreSQL database (pgx through
// pgxpool) where every write transaction first takes one transaction-scoped
// advisory lock: the same strict order, across every process of the team
// (see OpenURL and dialect.go).
//
// Writes go through Update, which runs a function in one serialised
// transaction; the convenience methods on Store are one-statement wrappers
// around the same Tx methods, so a caller that needs several changes to land
// together (store documents, allocate control numbers, record an intent)
// uses Update and the Tx methods directly.
//
// Secrets never enter this database: settings keys that look like secrets are
// rejected (see ErrSecretKey).
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/ml-connector/ifs-cleo/core/domain"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// kindError is a store sentinel that carries its domain kind, so the
// engine classifies a missing row as not found (not as a transient failure
// to retry) and the screens give the right advice.
type kindError struct {
	msg  string
	kind domain.ErrorKind
}

func (e *kindError) Error() string { return e.msg }

// ErrorKind implements domain.Classified.
func (e *kindError) ErrorKind() domain.ErrorKind { return e.kind }

// ErrNotFound is returned (wrapped) when a record does not exist; its kind
// is domain.KindNotFound.
var ErrNotFound error = &kindError{"not found", domain.KindNotFound}

// ErrConflict is returned (wrapped) when a precondition fails: a document
// was not in the status the caller expected, an intent exists with other
// content, a counter is exhausted. Its kind is domain.KindConflict.
var ErrConflict error = &kindError{"conflict", domain.KindConflict}

// ErrInvalid is returned (wrapped) when the caller passed a value the store
// refuses (unknown status, empty key, malformed CSV row). Its kind is
// domain.KindInvalid.
var ErrInvalid error = &kindError{"invalid", domain.KindInvalid}

// ErrForbidden is returned (wrapped) when the acting person's role does not
// allow the change (a clerk changing a connection). Its kind is
// domain.KindForbidden.
var ErrForbidden error = &kindError{"forbidden", domain.KindForbidden}

// SystemActor is the actor recorded for changes the engine makes on its own.
const SystemActor = "system"

// Store is an open database. It is safe for concurrent use.
type Store struct {
	d    dialect
	path string // SQLite: the file; PostgreSQL: the URL without its password
	w    *db    // SQLite: one connection, every write is serialised; PostgreSQL: the pool
	r    *db    // SQLite: read-only pool; PostgreSQL: the same pool as w
	pool *pgxpool.Pool
	now  func() time.Time
	// beforeCommit is WithBeforeCommit's fault injection (nil in production).
	beforeCommit func() error
	beatEvery    time.Duration // WithLeaderHeartbeat; 0 means LeaderHeartbeat
}

// writerCacheKiB bounds the writer connection's page cache (PRAGMA
// cache_size, negative means KiB). Readers keep SQLite's default: the
// writer's commits invalidate their caches, so a larger one would not be
// reused.
const writerCacheKiB = 32 << 10

// Option adjusts Open.
type Option func(*options)

type options struct {
	now          func() time.Time
	synchronous  string
	readConns    int
	beforeCommit func() error
	password     string
	heartbeat    time.Duration
}

// WithPassword gives the PostgreSQL password from the secret store, so that
// it never has to be written into the store URL, a flag or a file.
func WithPassword(pw string) Option { return func(o *options) { o.password = pw } }

// WithBeforeCommit runs fn just before every commit; an error rolls the
// transaction back and is returned as the commit's failure. It is fault
// injection for tests (a full disk, a lost lock), never used in production.
func WithBeforeCommit(fn func() error) Option { return func(o *options) { o.beforeCommit = fn } }

// WithClock replaces the clock used for every stored time (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithSynchronous sets PRAGMA synchronous on the writer. The default is FULL:
// a file acknowledged to Cleo must survive a power cut, not only a crash.
// Benchmarks that build large fixtures use OFF.
func WithSynchronous(mode string) Option { return func(o *options) { o.synchronous = mode } }

// Open opens (creating if needed) the database at path, applies pending
// migrations and returns the store. The directory is created 0700 and the
// file 0600; SQLite creates the -wal and -shm files with the same mode.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{now: time.Now, synchronous: "FULL", readConns: 4}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, fmt.Errorf("open store: empty path: %w", ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	_ = f.Close()
	if err := os.Chmod(abs, 0o600); err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}

	u := url.URL{Scheme: "file", Path: uriPath(abs, runtime.GOOS == "windows")}
	wq := url.Values{}
	wq.Set("_busy_timeout", "10000")
	wq.Set("_journal_mode", "WAL")
	wq.Set("_foreign_keys", "1")
	wq.Set("_synchronous", o.synchronous)
	wq.Set("_txlock", "immediate")
	// The writer's page cache: SQLite's default is 2 MB, beside a store that
	// holds every document with its raw EDI. A 50,000-invoice backlog spent a
	// third of its drain re-reading the same index pages through pread
	// (NextControlNumber, closeDocumentException: single indexed statements
	// whose pages the 2 MB cache had evicted). The cache fills only as pages
	// are read, so a small store never holds more than its size.
	wq.Add("_pragma", fmt.Sprintf("cache_size(-%d)", writerCacheKiB))
	u.RawQuery = wq.Encode()
	w, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	s := &Store{path: abs, w: &db{DB: w}, now: o.now, beforeCommit: o.beforeCommit, beatEvery: o.heartbeat}
	if err := retryBusy(ctx, func() error { return s.migrate(ctx) }); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}

	// Keep the planner's statistics fresh so the GUI's queries pick the right
	// index as tables grow; analysis_limit bounds the cost on a big database.
	if _, err := w.ExecContext(ctx, `PRAGMA analysis_limit = 1000`); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	if _, err := w.ExecContext(ctx, `PRAGMA optimize = 0x10002`); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open store %s: optimize: %w", abs, err)
	}

	rq := url.Values{}
	rq.Set("mode", "ro")
	rq.Set("_busy_timeout", "10000")
	rq.Set("_foreign_keys", "1")
	rq.Set("_query_only", "1")
	u.RawQuery = rq.Encode()
	r, err := sql.Open("sqlite", u.String())
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	r.SetMaxOpenConns(o.readConns)
	r.SetMaxIdleConns(o.readConns)
	if err := r.PingContext(ctx); err != nil {
		_ = w.Close()
		_ = r.Close()
		return nil, fmt.Errorf("open store %s: read pool: %w", abs, err)
	}
	s.r = &db{DB: r}
	return s, nil
}

// IsPostgresURL reports whether a store location names a PostgreSQL
// database (postgres:// or postgresql://, as libpq accepts) rather than a
// SQLite file.
func IsPostgresURL(loc string) bool {
	l := strings.ToLower(loc)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// OpenURL opens the store a location names: a PostgreSQL URL (team mode;
// sslmode, sslrootcert and the other libpq parameters apply as written, and
// the password comes from WithPassword) or a SQLite file path (Open).
func OpenURL(ctx context.Context, loc string, opts ...Option) (*Store, error) {
	if !IsPostgresURL(loc) {
		return Open(ctx, loc, opts...)
	}
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	shown := RedactURL(loc)
	cfg, err := pgxpool.ParseConfig(loc)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", shown, ErrInvalid)
	}
	if o.password != "" {
		cfg.ConnConfig.Password = o.password
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "ml-connector"
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", shown, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store %s: %w", shown, classifyConnect(err))
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	d := &db{DB: sqlDB, d: postgresDialect}
	s := &Store{d: postgresDialect, path: shown, w: d, r: d, pool: pool, now: o.now, beforeCommit: o.beforeCommit, beatEvery: o.heartbeat}
	if err := s.migrate(ctx); err != nil {
		_ = sqlDB.Close()
		pool.Close()
		return nil, fmt.Errorf("open store %s: %w", shown, err)
	}
	return s, nil
}

// RedactURL returns a store location fit for logs and screens: a
// PostgreSQL URL without its password (user, host, database and options
// stay), a file path as it is.
func RedactURL(loc string) string {
	if !IsPostgresURL(loc) {
		return loc
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "postgres://(unreadable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Backend names the database behind the store: "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.String() }

// writeLockKey is the PostgreSQL advisory lock every write transaction
// takes first ("mlcw"), so writes from every process of a team are
// serialised exactly as SQLite's single writer serialises them: the audit
// chain head and the control-number counters are read and advanced by one
// transaction at a time.
const writeLockKey = 0x6d6c6377

// beginWrite starts a write transaction: IMMEDIATE on SQLite (the writer
// connection's _txlock), advisory-locked on PostgreSQL.
func (s *Store) beginWrite(ctx context.Context) (*dtx, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if s.d == postgresDialect {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(writeLockKey)); err != nil {
			_ = tx.Rollback()
			return nil, err
		}
	}
	return tx, nil
}

// isBusy reports SQLite's "database is locked" (SQLITE_BUSY and its
// extended codes). SQLite answers it without calling the busy handler in
// the cases where waiting could deadlock, and while a new file is switched
// to WAL by another connection, which is what two processes opening one
// new database at once (the tray app and a CLI command) run into.
func isBusy(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// retryBusy runs fn again while it fails with isBusy, with growing jittered
// pauses, for up to 30 s: every step of fn (the migrations) is idempotent.
func retryBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 1; ; attempt++ {
		err := fn()
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		pause := time.Duration(min(attempt, 20)) * (5*time.Millisecond + time.Duration(rand.IntN(10))*time.Millisecond)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(pause):
		}
	}
}

// Path returns the absolute path of the database file, or for PostgreSQL
// the URL without its password.
func (s *Store) Path() string { return s.path }

// Close closes both pools. The WAL is checkpointed by SQLite on the last close.
func (s *Store) Close() error {
	if s.d == postgresDialect {
		err := s.w.Close()
		s.pool.Close()
		return err
	}
	_, _ = s.w.Exec(`PRAGMA optimize`) // best effort: refreshes statistics the session showed to be stale
	errR := s.r.Close()
	errW := s.w.Close()
	return errors.Join(errW, errR)
}

// SchemaVersion returns the highest applied migration number.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// testMigrationLimit, when set by a test, applies only the first n
// migrations, to build a database as an older release left it.
var testMigrationLimit int

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(d dialect) ([]migration, error) {
	dir := "migrations/" + d.String()
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		if !ok || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: bad number", name)
		}
		b, err := migrationFS.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies every embedded migration not yet recorded in
// schema_version, each in its own transaction. A database newer than this
// binary is refused rather than silently misread.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.d)
	if err != nil {
		return err
	}
	if testMigrationLimit > 0 && testMigrationLimit < len(ms) {
		ms = ms[:testMigrationLimit]
	}
	// Under the write lock: two processes creating one new PostgreSQL
	// schema at once would otherwise race on the catalog.
	tx0, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx0.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		_ = tx0.Rollback()
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx0.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var cur int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cur > len(ms) {
		return fmt.Errorf("migrate: database schema version %d is newer than this program (%d): upgrade ml-connector", cur, len(ms))
	}
	for _, m := range ms[cur:] {
		// The write transaction holds the write lock (IMMEDIATE on SQLite,
		// the advisory lock on PostgreSQL); re-reading the version inside it
		// makes two opens of one database (the GUI and a CLI command, the
		// demo's two stores, two desks of a team) apply each migration
		// exactly once.
		tx, err := s.beginWrite(ctx)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		var now int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&now); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if now >= m.version {
			_ = tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, fmtTime(s.now())); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	return nil
}

// Tx is one write transaction. Its methods must only be called inside the
// function passed to Update, from that function's goroutine.
type Tx struct {
	tx  *dtx
	s   *Store
	now time.Time
}

// Now is the time stamped on everything this transaction writes (UTC).
func (t *Tx) Now() time.Time { return t.now }

// Update runs fn in one write transaction and commits it when fn returns nil;
// any error (or panic) rolls everything back. Transactions are serialised
// (one writer connection, BEGIN IMMEDIATE), so fn must be short and must not
// call Store's writing methods (they would wait for the connection fn holds:
// a deadlock) — use the Tx methods. Store's reading methods may be called but
// do not see fn's uncommitted writes; Tx.Document and Tx.Documents do.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &Tx{tx: sqlTx, s: s, now: s.now().UTC()}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
			return
		}
		if s.beforeCommit != nil {
			if herr := s.beforeCommit(); herr != nil {
				_ = sqlTx.Rollback()
				err = fmt.Errorf("commit: %w", herr)
				return
			}
		}
		if cerr := sqlTx.Commit(); cerr != nil {
			err = fmt.Errorf("commit: %w", cerr)
		}
	}()
	return fn(t)
}

// timeLayout is fixed width so that text comparison is time comparison.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// uriPath is the path part of SQLite's file: URI for an absolute file
// name (https://www.sqlite.org/uri.html §3.1): forward slashes, and on
// Windows a leading "/" before the drive letter ("file:///C:/Users/…"),
// which SQLite strips again; a bare "C:\…" is read as a URI authority
// and refused.
func uriPath(abs string, windows bool) string {
	if !windows {
		return abs
	}
	p := strings.ReplaceAll(abs, `\`, "/")
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		// Tolerate hand-edited or imported values in plain RFC 3339.
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t.UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
