package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// Exception is one entry of the exception queue: something a person must
// look at. Most belong to a document (and follow its status, see
// Transition); others concern a subject such as a stale poller
// ("poller:invoices") or an unreadable file ("file:12").
type Exception struct {
	ID          int64
	DocumentID  int64  // 0 when about a subject
	Subject     string // set when DocumentID is 0
	State       ExceptionState
	Reason      string // stable code, e.g. "partner_unmapped", "price_mismatch"
	Message     string // plain language: what is wrong
	Fix         string // plain language: what to do
	Context     json.RawMessage
	Partner     string // copied from the document when opened, for filtering
	SupplierID  string
	BusinessKey string
	DocType     DocType
	Amount      money.Decimal
	Currency    string
	CreatedAt   time.Time
	ResolvedAt  time.Time
	ResolvedBy  string
	Comment     string
	// Decision is a clerk's decision on the open exception: DecisionHold
	// (parked until HeldUntil) or DecisionDispute (the supplier was told
	// DecisionNote); "" when none. It is kept while the reason stays the same.
	Decision     string
	DecisionBy   string
	DecisionNote string
	DecidedAt    time.Time
	HeldUntil    time.Time
}

// The decisions of Exception.Decision.
const (
	DecisionHold    = "hold"
	DecisionDispute = "dispute"
)

// Age is how long the exception has been (or was) open at now.
func (e Exception) Age(now time.Time) time.Duration {
	if !e.ResolvedAt.IsZero() {
		return e.ResolvedAt.Sub(e.CreatedAt)
	}
	return now.Sub(e.CreatedAt)
}

const excColumns = `id, COALESCE(document_id, 0), subject, state, reason, message, fix, context, partner, supplier_id,
	business_key, doc_type, amount, currency, created_at, resolved_at, resolved_by, comment,
	decision, decision_by, decision_note, decided_at, held_until`

func scanException(sc rowScanner) (Exception, error) {
	var e Exception
	var ctxText, amount, created, resolved, decided, held string
	err := sc.Scan(&e.ID, &e.DocumentID, &e.Subject, &e.State, &e.Reason, &e.Message, &e.Fix, &ctxText,
		&e.Partner, &e.SupplierID, &e.BusinessKey, &e.DocType, &amount, &e.Currency, &created, &resolved,
		&e.ResolvedBy, &e.Comment, &e.Decision, &e.DecisionBy, &e.DecisionNote, &decided, &held)
	if err != nil {
		return e, err
	}
	e.Context = json.RawMessage(ctxText)
	if amount != "" {
		if e.Amount, err = money.Parse(amount); err != nil {
			return e, fmt.Errorf("exception %d amount %q: %w", e.ID, amount, err)
		}
	}
	e.CreatedAt = parseTime(created)
	e.ResolvedAt = parseTime(resolved)
	e.DecidedAt = parseTime(decided)
	e.HeldUntil = parseTime(held)
	return e, nil
}

// Decide records a clerk's decision on an open exception (DecisionHold with
// until, or DecisionDispute), audited with actor and note in the same
// transaction. A decision replaces an earlier one; note is required.
func (s *Store) Decide(ctx context.Context, id int64, decision, actor, note string, until time.Time) (Exception, error) {
	var out Exception
	err := s.Update(ctx, func(tx *Tx) error {
		e, err := scanException(tx.tx.QueryRow(`SELECT `+excColumns+` FROM exceptions WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("decide on exception %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("decide on exception %d: %w", id, err)
		}
		if e.State != ExceptionOpen {
			return fmt.Errorf("decide on exception %d: it is already %s: %w", id, e.State, ErrConflict)
		}
		if strings.TrimSpace(note) == "" {
			return fmt.Errorf("decide on exception %d: a note saying why is required: %w", id, ErrInvalid)
		}
		switch decision {
		case DecisionHold:
			if until.IsZero() {
				return fmt.Errorf("hold exception %d: a follow-up date is required: %w", id, ErrInvalid)
			}
		case DecisionDispute:
			until = time.Time{}
		default:
			return fmt.Errorf("decide on exception %d: decision %q: %w", id, decision, ErrInvalid)
		}
		if _, err := tx.tx.Exec(`UPDATE exceptions SET decision=?, decision_by=?, decision_note=?, decided_at=?, held_until=? WHERE id=?`,
			decision, actorOr(actor), note, fmtTime(tx.now), fmtTime(until), id); err != nil {
			return fmt.Errorf("decide on exception %d: %w", id, err)
		}
		detail := map[string]any{"exception_id": id, "reason": e.Reason, "decision": decision, "note": note}
		if !until.IsZero() {
			detail["held_until"] = until.UTC().Format("2006-01-02")
		}
		if _, err := tx.AppendEvent(Event{DocumentID: e.DocumentID, Subject: e.Subject, Actor: actor, Action: "decision." + decision, Detail: detail}); err != nil {
			return err
		}
		out, err = scanException(tx.tx.QueryRow(`SELECT `+excColumns+` FROM exceptions WHERE id = ?`, id))
		return err
	})
	return out, err
}

// openDocumentException opens (or refreshes) the exception of document d,
// which is already in StatusException with its reason, message and fix.
func (t *Tx) openDocumentException(d Document, context any) error {
	ctxText, err := jsonText(context)
	if err != nil {
		return fmt.Errorf("open exception for document %d: %w", d.ID, err)
	}
	now := fmtTime(t.now)
	var id int64
	var reason string
	err = t.tx.QueryRow(`SELECT id, reason FROM exceptions WHERE document_id = ? AND state = 'open'`, d.ID).Scan(&id, &reason)
	switch {
	case err == nil && reason == d.Reason:
		_, err = t.tx.Exec(`UPDATE exceptions SET message=?, fix=?, context=?, partner=?, supplier_id=?,
			business_key=?, doc_type=?, amount=?, amount_e4=?, currency=? WHERE id=?`,
			d.Message, d.Fix, ctxText, d.Partner, d.SupplierID, d.BusinessKey, d.Type, d.Amount.String(),
			amountE4(d.Amount, true), d.Currency, id)
		if err != nil {
			return fmt.Errorf("refresh exception %d: %w", id, err)
		}
		return nil
	case err == nil:
		if _, err := t.tx.Exec(`UPDATE exceptions SET state='resolved', resolved_at=?, resolved_by=?, comment=? WHERE id=?`,
			now, SystemActor, "superseded by "+d.Reason, id); err != nil {
			return fmt.Errorf("supersede exception %d: %w", id, err)
		}
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("open exception for document %d: %w", d.ID, err)
	}
	_, err = t.tx.Exec(`INSERT INTO exceptions (document_id, state, reason, message, fix, context, partner,
		supplier_id, business_key, doc_type, amount, amount_e4, currency, created_at)
		VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.Reason, d.Message, d.Fix, ctxText, d.Partner, d.SupplierID, d.BusinessKey, d.Type,
		d.Amount.String(), amountE4(d.Amount, true), d.Currency, now)
	if err != nil {
		return fmt.Errorf("open exception for document %d: %w", d.ID, err)
	}
	return nil
}

// closeDocumentException closes the open exception of a document, if any.
func (t *Tx) closeDocumentException(docID int64, state ExceptionState, actor, comment string) error {
	_, err := t.tx.Exec(`UPDATE exceptions SET state=?, resolved_at=?, resolved_by=?, comment=?
		WHERE document_id = ? AND state = 'open'`, state, fmtTime(t.now), actorOr(actor), comment, docID)
	if err != nil {
		return fmt.Errorf("close exception of document %d: %w", docID, err)
	}
	return nil
}

// RaiseException opens an exception about a subject that is not a document
// (Subject must be set, DocumentID 0). While one is open for the same subject
// and reason it is refreshed (message, fix, context) instead of duplicated,
// so a poller that stays stale raises one exception, not one per minute.
// The returned bool reports whether a new exception was opened.
func (t *Tx) RaiseException(e Exception, actor string) (Exception, bool, error) {
	if e.Subject == "" || e.DocumentID != 0 {
		return e, false, fmt.Errorf("raise exception: needs a subject and no document (use Transition for documents): %w", ErrInvalid)
	}
	if e.Reason == "" || e.Message == "" {
		return e, false, fmt.Errorf("raise exception %s: reason and message are required: %w", e.Subject, ErrInvalid)
	}
	ctxText, err := jsonText(e.Context)
	if err != nil {
		return e, false, fmt.Errorf("raise exception %s: %w", e.Subject, err)
	}
	now := fmtTime(t.now)
	var id int64
	err = t.tx.QueryRow(`SELECT id FROM exceptions WHERE subject = ? AND reason = ? AND state = 'open' AND document_id IS NULL`,
		e.Subject, e.Reason).Scan(&id)
	created := false
	switch {
	case err == nil:
		if _, err := t.tx.Exec(`UPDATE exceptions SET message=?, fix=?, context=? WHERE id=?`, e.Message, e.Fix, ctxText, id); err != nil {
			return e, false, fmt.Errorf("raise exception %s: %w", e.Subject, err)
		}
	case errors.Is(err, sql.ErrNoRows):
		err := t.tx.QueryRow(`INSERT INTO exceptions (subject, state, reason, message, fix, context, partner,
			supplier_id, business_key, doc_type, amount, amount_e4, currency, created_at)
			VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			e.Subject, e.Reason, e.Message, e.Fix, ctxText, e.Partner, e.SupplierID, e.BusinessKey, e.DocType,
			e.Amount.String(), amountE4(e.Amount, true), e.Currency, now).Scan(&id)
		if err != nil {
			return e, false, fmt.Errorf("raise exception %s: %w", e.Subject, err)
		}
		created = true
		if _, err := t.AppendEvent(Event{Subject: e.Subject, Actor: actor, Action: "exception.raised",
			Detail: map[string]any{"exception_id": id, "reason": e.Reason, "message": e.Message}}); err != nil {
			return e, false, err
		}
	default:
		return e, false, fmt.Errorf("raise exception %s: %w", e.Subject, err)
	}
	out, err := scanException(t.tx.QueryRow(`SELECT `+excColumns+` FROM exceptions WHERE id = ?`, id))
	if err != nil {
		return e, false, fmt.Errorf("raise exception %s: %w", e.Subject, err)
	}
	return out, created, nil
}

// RaiseException is Tx.RaiseException in its own transaction.
func (s *Store) RaiseException(ctx context.Context, e Exception, actor string) (Exception, bool, error) {
	var out Exception
	var created bool
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		out, created, err = tx.RaiseException(e, actor)
		return err
	})
	return out, created, err
}

// CloseException resolves or ignores exception id with a comment, audited.
// For an exception that belongs to a document, ignoring moves the document
// to StatusIgnored; resolving one is refused (ErrInvalid), because a
// document's exception is resolved by processing the document again.
func (t *Tx) CloseException(id int64, state ExceptionState, actor, comment string) (Exception, error) {
	e, err := scanException(t.tx.QueryRow(`SELECT `+excColumns+` FROM exceptions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("close exception %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("close exception %d: %w", id, err)
	}
	if e.State != ExceptionOpen {
		return e, fmt.Errorf("close exception %d: it is already %s: %w", id, e.State, ErrConflict)
	}
	if state != ExceptionResolved && state != ExceptionIgnored {
		return e, fmt.Errorf("close exception %d: state %q: %w", id, state, ErrInvalid)
	}
	if e.DocumentID != 0 {
		if state == ExceptionResolved {
			return e, fmt.Errorf("close exception %d: it belongs to document %d: replay or ignore the document: %w",
				id, e.DocumentID, ErrInvalid)
		}
		if _, err := t.Transition(e.DocumentID, Transition{From: []Status{StatusException}, To: StatusIgnored,
			Actor: actor, Action: "exception.ignored", Comment: comment,
			Detail: map[string]any{"exception_id": id, "reason": e.Reason}}); err != nil {
			return e, err
		}
	} else {
		if _, err := t.tx.Exec(`UPDATE exceptions SET state=?, resolved_at=?, resolved_by=?, comment=? WHERE id=?`,
			state, fmtTime(t.now), actorOr(actor), comment, id); err != nil {
			return e, fmt.Errorf("close exception %d: %w", id, err)
		}
		if _, err := t.AppendEvent(Event{Subject: e.Subject, Actor: actor, Action: "exception." + string(state),
			Detail: map[string]any{"exception_id": id, "reason": e.Reason, "comment": comment}}); err != nil {
			return e, err
		}
	}
	return scanException(t.tx.QueryRow(`SELECT `+excColumns+` FROM exceptions WHERE id = ?`, id))
}

// CloseException is Tx.CloseException in its own transaction.
func (s *Store) CloseException(ctx context.Context, id int64, state ExceptionState, actor, comment string) (Exception, error) {
	var out Exception
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.CloseException(id, state, actor, comment)
		return err
	})
	return out, err
}

// ResolveSubjectExceptions resolves every open exception about subject (all
// reasons when reason is empty): a poller that succeeds again clears its
// staleness exception. It returns how many were resolved.
func (t *Tx) ResolveSubjectExceptions(subject, reason, actor, comment string) (int, error) {
	q := `SELECT id FROM exceptions WHERE subject = ? AND state = 'open' AND document_id IS NULL`
	args := []any{subject}
	if reason != "" {
		q += ` AND reason = ?`
		args = append(args, reason)
	}
	rows, err := t.tx.Query(q, args...)
	if err != nil {
		return 0, fmt.Errorf("resolve exceptions of %s: %w", subject, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := t.CloseException(id, ExceptionResolved, actor, comment); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// Exception reads one exception.
func (s *Store) Exception(ctx context.Context, id int64) (Exception, error) {
	e, err := scanException(s.r.QueryRowContext(ctx, `SELECT `+excColumns+` FROM exceptions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("exception %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("exception %d: %w", id, err)
	}
	return e, nil
}

// OpenExceptionOf returns the open exception of a document (ErrNotFound when none).
func (s *Store) OpenExceptionOf(ctx context.Context, documentID int64) (Exception, error) {
	e, err := scanException(s.r.QueryRowContext(ctx, `SELECT `+excColumns+` FROM exceptions
		WHERE document_id = ? AND state = 'open'`, documentID))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("open exception of document %d: %w", documentID, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("open exception of document %d: %w", documentID, err)
	}
	return e, nil
}

// ExceptionSort names the column the exception queue is sorted by.
type ExceptionSort string

// The sort keys. Ties are broken by id so paging is stable.
const (
	SortCreated     ExceptionSort = "created" // age (default; ascending = oldest first)
	SortReason      ExceptionSort = "reason"
	SortPartner     ExceptionSort = "partner"
	SortSupplier    ExceptionSort = "supplier"
	SortAmount      ExceptionSort = "amount"
	SortBusinessKey ExceptionSort = "business_key"
)

var sortColumns = map[ExceptionSort]string{
	SortCreated: "created_at", SortReason: "reason", SortPartner: "partner", SortSupplier: "supplier_id",
	SortAmount: "amount_e4", SortBusinessKey: "business_key",
}

// ExceptionQuery filters, sorts and pages the exception queue.
type ExceptionQuery struct {
	State      ExceptionState // "" means open
	AnyState   bool           // ignore State: every exception
	Reasons    []string
	Partner    string
	SupplierID string
	DocType    DocType
	DocumentID int64
	// OlderThan and NewerThan filter by age at Now (or time.Now when Now is zero).
	OlderThan time.Duration
	NewerThan time.Duration
	Now       time.Time
	MinAmount *money.Decimal
	MaxAmount *money.Decimal
	Text      string // case-insensitive substring of business key, partner, supplier, message, subject
	// HideHeld leaves out exceptions on hold whose follow-up date is after Now.
	HideHeld bool
	// Decision keeps only exceptions with this decision ("hold", "dispute").
	Decision string
	Sort     ExceptionSort
	Desc     bool
	Limit    int // 0: 100
	Offset   int
}

func (q ExceptionQuery) where(d dialect) (string, []any) {
	var conds []string
	var args []any
	add := func(c string, a ...any) { conds = append(conds, c); args = append(args, a...) }
	if !q.AnyState {
		st := q.State
		if st == "" {
			st = ExceptionOpen
		}
		add("state = ?", st)
	}
	if len(q.Reasons) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(q.Reasons)), ",")
		for _, r := range q.Reasons {
			args = append(args, r)
		}
		conds = append(conds, "reason IN ("+ph+")")
	}
	if q.Partner != "" {
		add("partner = ?", q.Partner)
	}
	if q.SupplierID != "" {
		add("supplier_id = ?", q.SupplierID)
	}
	if q.DocType != "" {
		add("doc_type = ?", q.DocType)
	}
	if q.DocumentID != 0 {
		add("document_id = ?", q.DocumentID)
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	if q.OlderThan > 0 {
		add("created_at <= ?", fmtTime(now.Add(-q.OlderThan)))
	}
	if q.NewerThan > 0 {
		add("created_at > ?", fmtTime(now.Add(-q.NewerThan)))
	}
	if q.MinAmount != nil {
		add("amount_e4 >= ?", amountE4(*q.MinAmount, true))
	}
	if q.MaxAmount != nil {
		add("amount_e4 <= ?", amountE4(*q.MaxAmount, true))
	}
	if q.HideHeld {
		add("NOT (decision = 'hold' AND held_until > ?)", fmtTime(now))
	}
	if q.Decision != "" {
		add("decision = ?", q.Decision)
	}
	if q.Text != "" {
		// A clerk searches by the supplier's name as often as by its id:
		// the names are IFS's, in the suppliers cache.
		pat := "%" + likeEscape(q.Text) + "%"
		byName := `supplier_id IN (SELECT supplier_id FROM suppliers WHERE name LIKE ? ESCAPE '\')`
		if d == postgresDialect {
			// An IN (subquery) inside the OR is a semi-join PostgreSQL cannot
			// OR with the trigram bitmaps, so every row was filtered one by
			// one; an array computed once (an InitPlan) is one more bitmap.
			byName = `supplier_id = ANY (ARRAY(SELECT supplier_id FROM suppliers WHERE name LIKE ? ESCAPE '\'))`
		}
		if d == sqliteDialect && ftsUsable(q.Text) {
			add("(id IN (SELECT rowid FROM exceptions_fts WHERE exceptions_fts MATCH ?) OR "+byName+")", ftsPhrase(q.Text), pat)
		} else {
			add(`(business_key LIKE ? ESCAPE '\' OR partner LIKE ? ESCAPE '\' OR supplier_id LIKE ? ESCAPE '\'
			OR message LIKE ? ESCAPE '\' OR subject LIKE ? ESCAPE '\' OR `+byName+`)`, pat, pat, pat, pat, pat, pat)
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Exceptions returns one page of the exception queue.
func (s *Store) Exceptions(ctx context.Context, q ExceptionQuery) ([]Exception, error) {
	where, args := q.where(s.d)
	col, ok := sortColumns[q.Sort]
	if !ok {
		col = "created_at"
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit, q.Offset)
	rows, err := s.r.QueryContext(ctx, `SELECT `+excColumns+` FROM exceptions`+where+
		` ORDER BY `+col+dir+`, id`+dir+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list exceptions: %w", err)
	}
	defer rows.Close()
	var out []Exception
	for rows.Next() {
		e, err := scanException(rows)
		if err != nil {
			return nil, fmt.Errorf("list exceptions: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list exceptions: %w", err)
	}
	return out, nil
}

// CountExceptions counts the exceptions matching q (sort and paging ignored).
func (s *Store) CountExceptions(ctx context.Context, q ExceptionQuery) (int, error) {
	where, args := q.where(s.d)
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM exceptions`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count exceptions: %w", err)
	}
	return n, nil
}

// CurrencyTotal is the sum of amounts in one currency.
type CurrencyTotal struct {
	Currency string
	Amount   money.Decimal
}

// ExceptionTotals sums the amounts of the exceptions matching q per
// currency (sort and paging ignored), currencies in alphabetical order.
// The amounts are exact decimals stored as text, so they are added here
// with money.Decimal rather than by the database as floating point.
func (s *Store) ExceptionTotals(ctx context.Context, q ExceptionQuery) ([]CurrencyTotal, error) {
	where, args := q.where(s.d)
	rows, err := s.r.QueryContext(ctx, `SELECT amount, currency FROM exceptions`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("exception totals: %w", err)
	}
	defer rows.Close()
	sum := map[string]money.Decimal{}
	for rows.Next() {
		var amt money.Decimal
		var cur string
		if err := rows.Scan(&amt, &cur); err != nil {
			return nil, fmt.Errorf("exception totals: %w", err)
		}
		if !amt.Valid() || cur == "" && amt.Sign() == 0 {
			continue // a file or poller problem has no amount
		}
		sum[cur] = sum[cur].Add(amt)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("exception totals: %w", err)
	}
	out := make([]CurrencyTotal, 0, len(sum))
	for c, a := range sum {
		out = append(out, CurrencyTotal{Currency: c, Amount: a})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out, nil
}

// ReasonCount is the number of exceptions with one reason.
type ReasonCount struct {
	Reason string
	Count  int
}

// ExceptionsByReason counts the exceptions matching q per reason, most
// frequent first (Reasons, Sort and paging in q are ignored).
func (s *Store) ExceptionsByReason(ctx context.Context, q ExceptionQuery) ([]ReasonCount, error) {
	q.Reasons = nil
	where, args := q.where(s.d)
	rows, err := s.r.QueryContext(ctx, `SELECT reason, COUNT(*) FROM exceptions`+where+
		` GROUP BY reason ORDER BY COUNT(*) DESC, reason`, args...)
	if err != nil {
		return nil, fmt.Errorf("count exceptions by reason: %w", err)
	}
	defer rows.Close()
	var out []ReasonCount
	for rows.Next() {
		var rc ReasonCount
		if err := rows.Scan(&rc.Reason, &rc.Count); err != nil {
			return nil, fmt.Errorf("count exceptions by reason: %w", err)
		}
		out = append(out, rc)
	}
	return out, rows.Err()
}
