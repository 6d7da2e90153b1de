package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// genesisHash is the prev_hash of the first event.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Event is one audit-trail entry. Every event is chained to the one before it:
// Hash = hex(sha256(PrevHash || canonical(event))), so editing, deleting or
// reordering stored events is evident to VerifyChain.
type Event struct {
	ID         int64
	DocumentID int64  // 0 when the event is not about a document
	Subject    string // what it is about otherwise: "partner:ACME", "mapping:partner:ZZ:ACME01", "setting:x" …
	At         time.Time
	Actor      string // SystemActor or the OS user
	Action     string // "document.created", "status.posted", "exception.ignored", "partner.mode" …
	// Detail is JSON. On input it may be any JSON-encodable value (or a
	// json.RawMessage); events read back always carry json.RawMessage.
	Detail   any
	PrevHash string
	Hash     string
}

// DetailJSON returns the detail as raw JSON.
func (e Event) DetailJSON() json.RawMessage {
	switch d := e.Detail.(type) {
	case json.RawMessage:
		return d
	case nil:
		return json.RawMessage("{}")
	}
	b, _ := json.Marshal(e.Detail)
	return b
}

// canonicalEvent is the byte form hashed into the chain. JSON of an array of
// primitives is deterministic, and the detail enters as the exact stored text.
func canonicalEvent(id, documentID int64, subject, at, actor, action, detail string) []byte {
	b, _ := json.Marshal([]any{id, documentID, subject, at, actor, action, detail})
	return b
}

func chainHash(prev string, canonical []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// AppendEvent adds e to the audit chain and returns it as stored.
func (t *Tx) AppendEvent(e Event) (Event, error) {
	if strings.TrimSpace(e.Action) == "" {
		return e, fmt.Errorf("append audit event: empty action: %w", ErrInvalid)
	}
	e.Actor = actorOr(e.Actor)
	detail, err := jsonText(e.Detail)
	if err != nil {
		return e, fmt.Errorf("append audit event %s: %w", e.Action, err)
	}
	var lastID int64
	prev := genesisHash
	err = t.tx.QueryRow(`SELECT last_id, hash FROM audit_head WHERE one = 1`).Scan(&lastID, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("append audit event: read chain head: %w", err)
	}
	e.ID = lastID + 1
	at := fmtTime(t.now)
	e.At = parseTime(at)
	e.PrevHash = prev
	e.Hash = chainHash(prev, canonicalEvent(e.ID, e.DocumentID, e.Subject, at, e.Actor, e.Action, detail))
	e.Detail = json.RawMessage(detail)
	if _, err := t.tx.Exec(`INSERT INTO audit_events (id, document_id, subject, at, actor, action, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, nullID(e.DocumentID), e.Subject, at, e.Actor, e.Action, detail,
		e.PrevHash, e.Hash); err != nil {
		return e, fmt.Errorf("append audit event %s: %w", e.Action, err)
	}
	if _, err := t.tx.Exec(`INSERT INTO audit_head (one, last_id, hash) VALUES (1, ?, ?)
		ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, hash = excluded.hash`, e.ID, e.Hash); err != nil {
		return e, fmt.Errorf("append audit event %s: update chain head: %w", e.Action, err)
	}
	return e, nil
}

// AppendEvent is Tx.AppendEvent in its own transaction: for user actions and
// system events that change nothing else (a connection test, an export).
func (s *Store) AppendEvent(ctx context.Context, e Event) (Event, error) {
	var out Event
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.AppendEvent(e)
		return err
	})
	return out, err
}

// prefixEnd closes a prefix range (x >= p AND x < p+prefixEnd): the highest
// Unicode code point, valid UTF-8 (PostgreSQL refuses a lone 0xFF byte), and
// above every character in byte order, which is the order of both backends
// (SQLite's BINARY collation, PostgreSQL columns declared COLLATE "C").
const prefixEnd = "\U0010FFFF"

const eventColumns = `id, COALESCE(document_id, 0), subject, at, actor, action, detail, prev_hash, hash`

func scanEvent(sc rowScanner) (Event, error) {
	var e Event
	var at, detail string
	if err := sc.Scan(&e.ID, &e.DocumentID, &e.Subject, &at, &e.Actor, &e.Action, &detail, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.At = parseTime(at)
	e.Detail = json.RawMessage(detail)
	return e, nil
}

func (s *Store) queryEvents(ctx context.Context, q string, args ...any) ([]Event, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DocumentEvents returns the audit timeline of one document, oldest first.
func (s *Store) DocumentEvents(ctx context.Context, documentID int64) ([]Event, error) {
	ev, err := s.queryEvents(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE document_id = ? ORDER BY id`, documentID)
	if err != nil {
		return nil, fmt.Errorf("audit events of document %d: %w", documentID, err)
	}
	return ev, nil
}

// EventQuery selects audit events. Zero fields do not filter; newest first.
type EventQuery struct {
	DocumentID   int64
	Subject      string // exact, or a prefix when it ends in '*' ("mapping:*")
	ActionPrefix string // "status.", "exception.", "mapping." …
	Actor        string
	From, To     time.Time
	BeforeID     int64 // keyset paging: events with id < BeforeID
	Limit        int   // 0: 200
}

// Events lists audit events matching q, newest first.
func (s *Store) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	var conds []string
	var args []any
	add := func(c string, a ...any) { conds = append(conds, c); args = append(args, a...) }
	if q.DocumentID != 0 {
		add("document_id = ?", q.DocumentID)
	}
	if q.Subject != "" {
		if p, ok := strings.CutSuffix(q.Subject, "*"); ok {
			add("subject >= ? AND subject < ?", p, p+prefixEnd)
		} else {
			add("subject = ?", q.Subject)
		}
	}
	if q.ActionPrefix != "" {
		add("action >= ? AND action < ?", q.ActionPrefix, q.ActionPrefix+prefixEnd)
	}
	if q.Actor != "" {
		add("actor = ?", q.Actor)
	}
	if !q.From.IsZero() {
		add("at >= ?", fmtTime(q.From))
	}
	if !q.To.IsZero() {
		add("at < ?", fmtTime(q.To))
	}
	if q.BeforeID != 0 {
		add("id < ?", q.BeforeID)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 200
	}
	args = append(args, limit)
	ev, err := s.queryEvents(ctx, `SELECT `+eventColumns+` FROM audit_events`+where+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit events: %w", err)
	}
	return ev, nil
}

// ChainReport is the result of VerifyChain.
type ChainReport struct {
	Events   int    // events checked
	OK       bool   // the whole chain verified
	BrokenAt int64  // id of the first event that does not verify (0 when OK)
	Problem  string // what is wrong there, in plain words
}

// VerifyChain recomputes the whole audit chain and reports the first broken
// link: an event whose hash does not match its content, whose prev_hash is
// not its predecessor's hash, a gap in ids, or a head that does not match
// the last event (newest events deleted). An error means the check itself
// could not run.
func (s *Store) VerifyChain(ctx context.Context) (ChainReport, error) {
	// One read transaction: the events and the head come from the same snapshot
	// even while the engine keeps writing.
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d == postgresDialect {
		// READ COMMITTED would give each statement its own snapshot.
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.r.BeginTx(ctx, opts)
	if err != nil {
		return ChainReport{}, fmt.Errorf("verify audit chain: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(document_id, 0), subject, at, actor, action, detail, prev_hash, hash
		FROM audit_events ORDER BY id`)
	if err != nil {
		return ChainReport{}, fmt.Errorf("verify audit chain: %w", err)
	}
	defer rows.Close()
	rep := ChainReport{OK: true}
	prev := genesisHash
	var lastID int64
	for rows.Next() {
		var id, docID int64
		var subject, at, actor, action, detail, prevHash, hash string
		if err := rows.Scan(&id, &docID, &subject, &at, &actor, &action, &detail, &prevHash, &hash); err != nil {
			return rep, fmt.Errorf("verify audit chain: %w", err)
		}
		rep.Events++
		broken := func(problem string) (ChainReport, error) {
			rep.OK, rep.BrokenAt, rep.Problem = false, id, problem
			return rep, nil
		}
		if id != lastID+1 {
			return broken(fmt.Sprintf("event %d follows event %d: events %d to %d are missing", id, lastID, lastID+1, id-1))
		}
		if prevHash != prev {
			return broken(fmt.Sprintf("event %d does not link to event %d (previous hash differs)", id, lastID))
		}
		if got := chainHash(prevHash, canonicalEvent(id, docID, subject, at, actor, action, detail)); got != hash {
			return broken(fmt.Sprintf("event %d (%s by %s at %s) was changed after it was written", id, action, actor, at))
		}
		prev, lastID = hash, id
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("verify audit chain: %w", err)
	}
	var headID int64
	var headHash string
	err = tx.QueryRowContext(ctx, `SELECT last_id, hash FROM audit_head WHERE one = 1`).Scan(&headID, &headHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if rep.Events > 0 {
			rep.OK, rep.BrokenAt, rep.Problem = false, lastID, "the chain head record is missing"
		}
	case err != nil:
		return rep, fmt.Errorf("verify audit chain: read head: %w", err)
	case headID != lastID || headHash != prev:
		rep.OK, rep.BrokenAt = false, lastID+1
		rep.Problem = fmt.Sprintf("the chain head says the last event is %d but the last stored event is %d: newer events were deleted", headID, lastID)
	}
	return rep, nil
}
