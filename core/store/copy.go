package store

import (
	"context"
	"fmt"
	"strings"
)

// copyTables are the tables CopyTo moves, parents before children (foreign
// keys), with every column. The search indexes (FTS5 on SQLite, pg_trgm on
// PostgreSQL) are derived and rebuilt by the target itself.
var copyTables = []struct {
	name string
	id   bool // has an identity id whose sequence must continue after the copy (PostgreSQL)
}{
	{"inbound_files", true}, {"documents", true}, {"document_bodies", false}, {"billed_lines", false}, {"deliveries", false},
	{"audit_events", true}, {"audit_head", false}, {"exceptions", true}, {"mappings", true},
	{"partners", false}, {"suppliers", false}, {"code_parts", false}, {"sync_runs", true},
	{"heartbeats", false}, {"cursors", false}, {"sent_etags", false}, {"intents", true},
	{"control_numbers", false}, {"settings", false}, {"schedules", false}, {"roles", false},
}

// CopyReport says what CopyTo moved.
type CopyReport struct {
	Rows  map[string]int // rows copied per table
	Chain ChainReport    // the audit chain verified on the target
}

// CopyTo copies this store's whole history into dst, which must be empty:
// documents and raw files, exceptions, mappings with their versions,
// control-number counters (so no number is ever reused), settings,
// schedules, cursors and the audit chain with its head. Ids are kept, so
// the chain's hashes (which cover ids) verify on the target, and the
// target's identity sequences continue after the highest copied id. It runs
// in one transaction of dst: a failure leaves dst empty.
func (s *Store) CopyTo(ctx context.Context, dst *Store) (CopyReport, error) {
	rep := CopyReport{Rows: map[string]int{}}
	for _, t := range []string{"documents", "audit_events", "exceptions", "mappings", "inbound_files", "settings"} {
		var n int
		if err := dst.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return rep, fmt.Errorf("copy store: check target: %w", err)
		}
		if n > 0 {
			return rep, fmt.Errorf("copy store: the target %s is not empty (%d rows in %s): copy only into a new database: %w",
				dst.Path(), n, t, ErrConflict)
		}
	}
	// One read snapshot of the source while it may keep working.
	src, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return rep, fmt.Errorf("copy store: %w", err)
	}
	defer func() { _ = src.Rollback() }()
	err = dst.Update(ctx, func(tx *Tx) error {
		for _, t := range copyTables {
			n, err := copyTable(ctx, src, tx.tx, t.name)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t.name, err)
			}
			rep.Rows[t.name] = n
			if t.id && dst.d == postgresDialect && n > 0 {
				if _, err := tx.tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', 'id'), (SELECT MAX(id) FROM `+t.name+`))`); err != nil {
					return fmt.Errorf("copy %s: continue ids: %w", t.name, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("copy store: %w", err)
	}
	rep.Chain, err = dst.VerifyChain(ctx)
	if err != nil {
		return rep, fmt.Errorf("copy store: verify the copied audit chain: %w", err)
	}
	if !rep.Chain.OK {
		return rep, fmt.Errorf("copy store: the copied audit chain does not verify: %s: %w", rep.Chain.Problem, ErrConflict)
	}
	// A database filled in one transaction has no planner statistics until
	// autovacuum gets to it: PostgreSQL then guessed 35 open exceptions of
	// 20,537 and filtered every row of a text search. Gather them now.
	if _, err := dst.w.ExecContext(ctx, `ANALYZE`); err != nil {
		return rep, fmt.Errorf("copy store: gather statistics on the target: %w", err)
	}
	return rep, nil
}

func copyTable(ctx context.Context, src, dst *dtx, table string) (int, error) {
	rows, err := src.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	ins := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + `)`
	n := 0
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if _, err := dst.ExecContext(ctx, ins, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
