package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// RunStatus is the outcome of a sync run.
type RunStatus string

// The run statuses.
const (
	RunRunning   RunStatus = "running"
	RunOK        RunStatus = "ok"
	RunFailed    RunStatus = "failed"
	RunCancelled RunStatus = "cancelled"
)

// SyncRun is one execution of a flow ("pos", "invoices", "reference" …).
type SyncRun struct {
	ID         int64
	Flow       string
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	Status     RunStatus
	Counts     map[string]int // "received": 12, "posted": 10, "exceptions": 2 …
	Error      string
}

// StartRun records the start of a run of flow and returns its id.
func (s *Store) StartRun(ctx context.Context, flow string) (int64, error) {
	var id int64
	err := s.Update(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`INSERT INTO sync_runs (flow, started_at, status) VALUES (?, ?, 'running') RETURNING id`,
			flow, fmtTime(tx.now)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("start run of %s: %w", flow, err)
	}
	return id, nil
}

// FinishRun records the end of run id.
func (s *Store) FinishRun(ctx context.Context, id int64, st RunStatus, counts map[string]int, errMsg string) error {
	if st == RunRunning || st == "" {
		return fmt.Errorf("finish run %d: status %q: %w", id, st, ErrInvalid)
	}
	c, err := jsonText(counts)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	return s.Update(ctx, func(tx *Tx) error {
		res, err := tx.tx.Exec(`UPDATE sync_runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?`,
			fmtTime(tx.now), st, c, errMsg, id)
		if err != nil {
			return fmt.Errorf("finish run %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("finish run %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// AbandonRunningRuns marks every run still "running" as failed with msg: on
// start, runs interrupted by a crash. It returns how many there were.
func (s *Store) AbandonRunningRuns(ctx context.Context, msg string) (int, error) {
	var n int64
	err := s.Update(ctx, func(tx *Tx) error {
		res, err := tx.tx.Exec(`UPDATE sync_runs SET finished_at = ?, status = 'failed', error = ? WHERE status = 'running'`,
			fmtTime(tx.now), msg)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("abandon running runs: %w", err)
	}
	return int(n), nil
}

// Runs lists the latest runs of flow (all flows when empty), newest first.
func (s *Store) Runs(ctx context.Context, flow string, limit int) ([]SyncRun, error) {
	q := `SELECT id, flow, started_at, finished_at, status, counts, error FROM sync_runs`
	var args []any
	if flow != "" {
		q += ` WHERE flow = ?`
		args = append(args, flow)
	}
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []SyncRun
	for rows.Next() {
		var r SyncRun
		var started, finished, counts string
		if err := rows.Scan(&r.ID, &r.Flow, &started, &finished, &r.Status, &counts, &r.Error); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		r.StartedAt, r.FinishedAt = parseTime(started), parseTime(finished)
		_ = json.Unmarshal([]byte(counts), &r.Counts)
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastRun returns the newest run of flow (ErrNotFound when it never ran).
func (s *Store) LastRun(ctx context.Context, flow string) (SyncRun, error) {
	rs, err := s.Runs(ctx, flow, 1)
	if err != nil {
		return SyncRun{}, err
	}
	if len(rs) == 0 {
		return SyncRun{}, fmt.Errorf("last run of %s: %w", flow, ErrNotFound)
	}
	return rs[0], nil
}

// Heartbeat is the liveness of one poller.
type Heartbeat struct {
	Poller      string
	LastAttempt time.Time
	LastSuccess time.Time // zero if it never succeeded
	LastError   string    // empty after a success
}

// Beat records an attempt of poller: a success when errMsg is empty.
func (s *Store) Beat(ctx context.Context, poller string, errMsg string) error {
	return s.Update(ctx, func(tx *Tx) error {
		now := fmtTime(tx.now)
		var err error
		if errMsg == "" {
			_, err = tx.tx.Exec(`INSERT INTO heartbeats (poller, last_attempt, last_success, last_error) VALUES (?, ?, ?, '')
				ON CONFLICT (poller) DO UPDATE SET last_attempt = excluded.last_attempt,
				last_success = excluded.last_success, last_error = ''`, poller, now, now)
		} else {
			_, err = tx.tx.Exec(`INSERT INTO heartbeats (poller, last_attempt, last_error) VALUES (?, ?, ?)
				ON CONFLICT (poller) DO UPDATE SET last_attempt = excluded.last_attempt, last_error = excluded.last_error`,
				poller, now, errMsg)
		}
		if err != nil {
			return fmt.Errorf("heartbeat %s: %w", poller, err)
		}
		return nil
	})
}

// Heartbeats returns every poller's heartbeat, by name.
func (s *Store) Heartbeats(ctx context.Context) ([]Heartbeat, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT poller, last_attempt, last_success, last_error FROM heartbeats ORDER BY poller`)
	if err != nil {
		return nil, fmt.Errorf("heartbeats: %w", err)
	}
	defer rows.Close()
	var out []Heartbeat
	for rows.Next() {
		var h Heartbeat
		var a, sc string
		if err := rows.Scan(&h.Poller, &a, &sc, &h.LastError); err != nil {
			return nil, fmt.Errorf("heartbeats: %w", err)
		}
		h.LastAttempt, h.LastSuccess = parseTime(a), parseTime(sc)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Cursor returns a named position (e.g. the last PO change time read); ok is
// false when none is stored.
func (s *Store) Cursor(ctx context.Context, name string) (value string, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT value FROM cursors WHERE name = ?`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cursor %s: %w", name, err)
	}
	return value, true, nil
}

// SetCursor stores a named position.
func (t *Tx) SetCursor(name, value string) error {
	_, err := t.tx.Exec(`INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, value, fmtTime(t.now))
	if err != nil {
		return fmt.Errorf("set cursor %s: %w", name, err)
	}
	return nil
}

// SetCursor is Tx.SetCursor in its own transaction.
func (s *Store) SetCursor(ctx context.Context, name, value string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.SetCursor(name, value) })
}

// SentETag returns the ETag last sent for key in scope (e.g. scope "po",
// key the PO number): a different ETag read from IFS means the PO changed.
func (s *Store) SentETag(ctx context.Context, scope, key string) (etag string, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT etag FROM sent_etags WHERE scope = ? AND key = ?`, scope, key).Scan(&etag)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sent etag %s %s: %w", scope, key, err)
	}
	return etag, true, nil
}

// SetSentETag records the ETag sent for key in scope, and the document that carried it.
func (t *Tx) SetSentETag(scope, key, etag string, documentID int64) error {
	_, err := t.tx.Exec(`INSERT INTO sent_etags (scope, key, etag, document_id, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (scope, key) DO UPDATE SET etag = excluded.etag, document_id = excluded.document_id,
		updated_at = excluded.updated_at`, scope, key, etag, nullID(documentID), fmtTime(t.now))
	if err != nil {
		return fmt.Errorf("set sent etag %s %s: %w", scope, key, err)
	}
	return nil
}

// SetSentETag is Tx.SetSentETag in its own transaction.
func (s *Store) SetSentETag(ctx context.Context, scope, key, etag string, documentID int64) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.SetSentETag(scope, key, etag, documentID) })
}

// IntentState is where an outbound intent stands.
type IntentState string

// The intent states.
const (
	IntentPending IntentState = "pending"
	IntentDone    IntentState = "done"
	IntentFailed  IntentState = "failed"
)

// Intent is a remote effect about to happen (an upload under a deterministic
// name, an invoice create), recorded before it is attempted, so that after a
// crash the engine knows what may have happened and reconciles it instead of
// repeating it under another name.
type Intent struct {
	ID          int64
	Name        string // unique: the deterministic file name, or "ifs-invoice:<supplier>:<no>"
	Partner     string
	BusinessKey string
	ContentHash string
	DocumentID  int64
	State       IntentState
	Result      string // what came back (remote id …), or the error
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const intentColumns = `id, name, partner, business_key, content_hash, COALESCE(document_id, 0), state, result, created_at, updated_at`

func scanIntent(sc rowScanner) (Intent, error) {
	var in Intent
	var c, u string
	err := sc.Scan(&in.ID, &in.Name, &in.Partner, &in.BusinessKey, &in.ContentHash, &in.DocumentID, &in.State,
		&in.Result, &c, &u)
	in.CreatedAt, in.UpdatedAt = parseTime(c), parseTime(u)
	return in, err
}

// RecordIntent stores in as pending unless an intent with the same name
// exists. An existing one with the same content hash is returned with
// created false (the engine resumes it); one with a different content hash
// is an ErrConflict (the same name must never carry two contents).
func (t *Tx) RecordIntent(in Intent) (Intent, bool, error) {
	if in.Name == "" || in.ContentHash == "" {
		return in, false, fmt.Errorf("record intent: name and content hash are required: %w", ErrInvalid)
	}
	old, err := scanIntent(t.tx.QueryRow(`SELECT `+intentColumns+` FROM intents WHERE name = ?`, in.Name))
	if err == nil {
		if old.ContentHash != in.ContentHash {
			return old, false, fmt.Errorf("record intent %s: recorded with content %s, now %s: %w",
				in.Name, old.ContentHash, in.ContentHash, ErrConflict)
		}
		return old, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return in, false, fmt.Errorf("record intent %s: %w", in.Name, err)
	}
	now := fmtTime(t.now)
	err = t.tx.QueryRow(`INSERT INTO intents (name, partner, business_key, content_hash, document_id, state, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id`, in.Name, in.Partner, in.BusinessKey, in.ContentHash,
		nullID(in.DocumentID), now, now).Scan(&in.ID)
	if err != nil {
		return in, false, fmt.Errorf("record intent %s: %w", in.Name, err)
	}
	in.State = IntentPending
	in.CreatedAt, in.UpdatedAt = parseTime(now), parseTime(now)
	return in, true, nil
}

// FinishIntent records the outcome of intent name (IntentDone or IntentFailed).
func (t *Tx) FinishIntent(name string, st IntentState, result string) error {
	if st != IntentDone && st != IntentFailed {
		return fmt.Errorf("finish intent %s: state %q: %w", name, st, ErrInvalid)
	}
	res, err := t.tx.Exec(`UPDATE intents SET state = ?, result = ?, updated_at = ? WHERE name = ?`, st, result, fmtTime(t.now), name)
	if err != nil {
		return fmt.Errorf("finish intent %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish intent %s: %w", name, ErrNotFound)
	}
	return nil
}

// RecordIntent is Tx.RecordIntent in its own transaction.
func (s *Store) RecordIntent(ctx context.Context, in Intent) (Intent, bool, error) {
	var out Intent
	var created bool
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		out, created, err = tx.RecordIntent(in)
		return err
	})
	return out, created, err
}

// FinishIntent is Tx.FinishIntent in its own transaction.
func (s *Store) FinishIntent(ctx context.Context, name string, st IntentState, result string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.FinishIntent(name, st, result) })
}

// Intent reads an intent by name.
func (s *Store) Intent(ctx context.Context, name string) (Intent, error) {
	in, err := scanIntent(s.r.QueryRowContext(ctx, `SELECT `+intentColumns+` FROM intents WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("intent %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return in, fmt.Errorf("intent %s: %w", name, err)
	}
	return in, nil
}

// PendingIntents lists intents not yet finished, oldest first: what a crash
// may have left half done.
func (s *Store) PendingIntents(ctx context.Context) ([]Intent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+intentColumns+` FROM intents WHERE state = 'pending' ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("pending intents: %w", err)
	}
	defer rows.Close()
	var out []Intent
	for rows.Next() {
		in, err := scanIntent(rows)
		if err != nil {
			return nil, fmt.Errorf("pending intents: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// ControlKind is the envelope level a control number is for.
type ControlKind string

// The control-number kinds.
const (
	ControlISA ControlKind = "ISA"
	ControlGS  ControlKind = "GS"
	ControlST  ControlKind = "ST"
)

// MaxControlNumber is the largest control number of every kind (nine digits:
// ISA13 is exactly nine, GS06 and ST02 allow up to nine).
const MaxControlNumber = 999_999_999

// NextControlNumber allocates the next control number for (sender,
// receiver, kind), starting at 1. It is allocated inside the caller's
// transaction, so it is never handed out twice and, once committed, never
// reused: a rolled-back transaction gives the number back, a committed one
// keeps it even if the document is never sent. Running out is ErrConflict.
func (t *Tx) NextControlNumber(sender, receiver string, kind ControlKind) (int64, error) {
	if kind != ControlISA && kind != ControlGS && kind != ControlST {
		return 0, fmt.Errorf("next control number: kind %q: %w", kind, ErrInvalid)
	}
	var n int64
	err := t.tx.QueryRow(`INSERT INTO control_numbers (sender, receiver, kind, last) VALUES (?, ?, ?, 1)
		ON CONFLICT (sender, receiver, kind) DO UPDATE SET last = control_numbers.last + 1 RETURNING last`,
		sender, receiver, kind).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next %s control number %s→%s: %w", kind, sender, receiver, err)
	}
	if n > MaxControlNumber {
		return 0, fmt.Errorf("next %s control number %s→%s: all %d numbers are used: %w", kind, sender, receiver,
			MaxControlNumber, ErrConflict)
	}
	return n, nil
}

// NextControlNumber is Tx.NextControlNumber in its own transaction.
func (s *Store) NextControlNumber(ctx context.Context, sender, receiver string, kind ControlKind) (int64, error) {
	var n int64
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.NextControlNumber(sender, receiver, kind)
		return err
	})
	return n, err
}

// SeedControlNumber makes sure the next number allocated is above last
// (e.g. continuing from a previous EDI system); it never lowers a counter.
func (t *Tx) SeedControlNumber(sender, receiver string, kind ControlKind, last int64) error {
	if kind != ControlISA && kind != ControlGS && kind != ControlST {
		return fmt.Errorf("seed control number: kind %q: %w", kind, ErrInvalid)
	}
	if last < 0 || last > MaxControlNumber {
		return fmt.Errorf("seed control number: %d out of range: %w", last, ErrInvalid)
	}
	_, err := t.tx.Exec(`INSERT INTO control_numbers (sender, receiver, kind, last) VALUES (?, ?, ?, ?)
		ON CONFLICT (sender, receiver, kind) DO UPDATE SET last = `+
		t.s.d.pick("MAX(control_numbers.last, excluded.last)", "GREATEST(control_numbers.last, excluded.last)"), sender, receiver, kind, last)
	if err != nil {
		return fmt.Errorf("seed %s control number %s→%s: %w", kind, sender, receiver, err)
	}
	_, err = t.AppendEvent(Event{Subject: fmt.Sprintf("control:%s:%s:%s", kind, sender, receiver),
		Action: "control.seeded", Detail: map[string]any{"at_least": last}})
	return err
}

// LastControlNumber returns the last number allocated (0 when none).
func (s *Store) LastControlNumber(ctx context.Context, sender, receiver string, kind ControlKind) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT last FROM control_numbers WHERE sender = ? AND receiver = ? AND kind = ?`,
		sender, receiver, kind).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last %s control number: %w", kind, err)
	}
	return n, nil
}
