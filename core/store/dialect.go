package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/ml-connector/ifs-cleo/core/domain"
)

// dialect is the SQL flavour of the open database. The store's statements are
// written once, in the subset both engines share, with "?" placeholders; the
// few places where SQLite and PostgreSQL differ (full-text search, a
// two-argument max, case-folding collations) pick per dialect explicitly.
type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

// String names the backend as status and the CLI print it.
func (d dialect) String() string {
	if d == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// pick returns the SQLite or the PostgreSQL form of a statement fragment.
func (d dialect) pick(sqlite, postgres string) string {
	if d == postgresDialect {
		return postgres
	}
	return sqlite
}

// rebound caches rewritten statements: the store issues a few hundred
// distinct statements, each many times.
var rebound sync.Map

// rebind rewrites a statement for the dialect. For PostgreSQL:
//   - "?" placeholders become $1, $2, … (outside string literals);
//   - LIKE becomes ILIKE, because SQLite's LIKE is case-insensitive for ASCII
//     and every LIKE in the store relies on that (searches by substring);
//     ILIKE keeps the behaviour identical on both backends.
func (d dialect) rebind(q string) string {
	if d != postgresDialect {
		return q
	}
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		case !inQuote && (c == 'L' || c == 'l') && i+4 <= len(q) && strings.EqualFold(q[i:i+4], "LIKE") &&
			(i == 0 || !isWordByte(q[i-1])) && (i+4 == len(q) || !isWordByte(q[i+4])):
			b.WriteString("ILIKE")
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	rebound.Store(q, out)
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// db is a connection pool that rewrites statements for its dialect, so the
// rest of the package calls it like a *sql.DB.
type db struct {
	*sql.DB
	d dialect
}

// ExecContext runs a statement without rows.
func (b *db) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return b.DB.ExecContext(ctx, b.d.rebind(q), args...)
}

// QueryContext runs a query.
func (b *db) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return b.DB.QueryContext(ctx, b.d.rebind(q), args...)
}

// QueryRowContext runs a query that returns at most one row.
func (b *db) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return b.DB.QueryRowContext(ctx, b.d.rebind(q), args...)
}

// BeginTx starts a transaction whose statements are rewritten too.
func (b *db) BeginTx(ctx context.Context, opts *sql.TxOptions) (*dtx, error) {
	tx, err := b.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &dtx{Tx: tx, d: b.d}, nil
}

// dtx is a transaction that rewrites statements for its dialect.
type dtx struct {
	*sql.Tx
	d dialect
}

// ExecContext runs a statement without rows.
func (t *dtx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.d.rebind(q), args...)
}

// QueryContext runs a query.
func (t *dtx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.d.rebind(q), args...)
}

// QueryRowContext runs a query that returns at most one row.
func (t *dtx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.d.rebind(q), args...)
}

// Exec runs a statement without rows.
func (b *db) Exec(q string, args ...any) (sql.Result, error) {
	return b.DB.Exec(b.d.rebind(q), args...)
}

// Exec runs a statement without rows.
func (t *dtx) Exec(q string, args ...any) (sql.Result, error) {
	return t.Tx.Exec(t.d.rebind(q), args...)
}

// Query runs a query.
func (t *dtx) Query(q string, args ...any) (*sql.Rows, error) {
	return t.Tx.Query(t.d.rebind(q), args...)
}

// QueryRow runs a query that returns at most one row.
func (t *dtx) QueryRow(q string, args ...any) *sql.Row {
	return t.Tx.QueryRow(t.d.rebind(q), args...)
}

// connectError is a failure to reach or log in to the team database, with
// the kind the screens turn into advice: a refused password is a
// credentials problem, anything else (no route, server down, TLS) may pass.
type connectError struct {
	err  error
	kind domain.ErrorKind
}

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// ErrorKind implements domain.Classified.
func (e *connectError) ErrorKind() domain.ErrorKind { return e.kind }

// classifyConnect classifies a PostgreSQL connection failure by SQLSTATE
// class 28 (invalid authorization) and 3D (no such database), PostgreSQL
// manual appendix A.
func classifyConnect(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "28"):
			return &connectError{err, domain.KindAuth}
		case pgErr.Code == "3D000":
			return &connectError{err, domain.KindConfig}
		}
	}
	return &connectError{err, domain.KindTransient}
}

func (b *db) dialect() dialect  { return b.d }
func (t *dtx) dialect() dialect { return t.d }
