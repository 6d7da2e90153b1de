package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// Document is one transaction set received or sent. RawEDI and Parsed are
// filled only by Document (by id); lists and searches leave them nil.
type Document struct {
	ID          int64
	Direction   Direction
	Type        DocType
	Partner     string // the Cleo partner id (or "qualifier:id" when the partner is unknown)
	SupplierID  string // IFS supplier, once mapped
	BusinessKey string // PO number for an 850, invoice number for an 810, acknowledged group for a 997
	Status      Status
	Reason      string // stable reason code of the current status, if any
	Message     string // plain-language explanation
	Fix         string // what a person should do
	Attempts    int
	TestMode    bool // processed for a test-mode partner: never written to IFS or sent

	InboundFileID int64 // the file it came in, for inbound documents
	RelatedID     int64 // the PO a 997 acknowledges, the 810 a 997 answers …

	IFSCompany   string
	IFSInvoiceID int64 // assigned by IFS on create
	CleoID       string
	CleoName     string // deterministic outbound file name
	ISAControl   string
	GSControl    string
	STControl    string
	ContentHash  string // hex SHA-256 of RawEDI
	Fingerprint  string // see Fingerprint
	Amount       money.Decimal
	Currency     string
	DueAt        time.Time // 997 deadline for an outbound 850; zero when none

	CreatedAt time.Time
	UpdatedAt time.Time

	RawEDI []byte
	Parsed json.RawMessage
}

// DocumentPatch changes fields of a document together with a status
// transition. Nil fields are left as they are.
type DocumentPatch struct {
	Partner      *string
	SupplierID   *string
	BusinessKey  *string
	IFSCompany   *string
	IFSInvoiceID *int64
	CleoID       *string
	CleoName     *string
	ISAControl   *string
	GSControl    *string
	STControl    *string
	ContentHash  *string
	Fingerprint  *string
	Amount       *money.Decimal
	Currency     *string
	TestMode     *bool
	RelatedID    *int64
	DueAt        *time.Time
	// Billed, when not nil, replaces what the document bills against PO
	// lines (see BilledLine); an empty slice removes it.
	Billed *[]BilledLine
	RawEDI []byte          // nil: unchanged
	Parsed json.RawMessage // nil: unchanged
}

// Transition moves a document to a new status and records it in the audit
// trail in the same transaction.
//
// Exceptions follow the status: moving to StatusException opens an exception
// (Reason is then required; an open exception with the same reason is updated
// in place so its age is kept, one with another reason is resolved as
// superseded); moving from it to StatusIgnored marks the open exception
// ignored with Comment; moving to any other status resolves it.
type Transition struct {
	From        []Status // when set, the current status must be one of these, else ErrConflict
	To          Status
	Actor       string // SystemActor when empty
	Action      string // audit action; "status.<to>" when empty
	Reason      string // replaces the document's reason (empty clears it)
	Message     string // replaces the document's message
	Fix         string // replaces the document's fix
	IncAttempts bool
	Comment     string // recorded on the exception this transition resolves or ignores
	Context     any    // JSON context of the exception this transition opens
	Detail      any    // extra audit detail (JSON-encodable)
	Patch       DocumentPatch
}

const docColumns = `id, direction, type, partner, supplier_id, business_key, status, reason, message, fix,
	attempts, test_mode, COALESCE(inbound_file_id, 0), COALESCE(related_id, 0), ifs_company, ifs_invoice_id,
	cleo_id, cleo_name, isa_control, gs_control, st_control, content_hash, fingerprint, amount, currency,
	due_at, created_at, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanDocument(sc rowScanner) (Document, error) {
	var d Document
	var testMode int
	var amount, due, created, updated string
	err := sc.Scan(&d.ID, &d.Direction, &d.Type, &d.Partner, &d.SupplierID, &d.BusinessKey, &d.Status,
		&d.Reason, &d.Message, &d.Fix, &d.Attempts, &testMode, &d.InboundFileID, &d.RelatedID,
		&d.IFSCompany, &d.IFSInvoiceID, &d.CleoID, &d.CleoName, &d.ISAControl, &d.GSControl, &d.STControl,
		&d.ContentHash, &d.Fingerprint, &amount, &d.Currency, &due, &created, &updated)
	if err != nil {
		return d, err
	}
	d.TestMode = testMode != 0
	if amount != "" {
		if d.Amount, err = money.Parse(amount); err != nil {
			return d, fmt.Errorf("document %d amount %q: %w", d.ID, amount, err)
		}
	}
	d.DueAt = parseTime(due)
	d.CreatedAt = parseTime(created)
	d.UpdatedAt = parseTime(updated)
	return d, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func jsonText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "{}", nil
	case json.RawMessage:
		if len(x) == 0 {
			return "{}", nil
		}
		if !json.Valid(x) {
			return "", fmt.Errorf("detail is not valid JSON: %w", ErrInvalid)
		}
		return string(x), nil
	case []byte:
		return jsonText(json.RawMessage(x))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode JSON: %w", err)
	}
	return string(b), nil
}

func actorOr(a string) string {
	if strings.TrimSpace(a) == "" {
		return SystemActor
	}
	return a
}

// InsertDocument stores a new document (with its raw EDI and parsed form)
// and its "document.created" audit event. d.ID, d.CreatedAt and d.UpdatedAt
// are set. A document created in StatusException also opens its exception.
func (t *Tx) InsertDocument(d *Document, actor string) error {
	if d.Direction != Inbound && d.Direction != Outbound {
		return fmt.Errorf("insert document: direction %q: %w", d.Direction, ErrInvalid)
	}
	if d.Type != Type810 && d.Type != Type850 && d.Type != Type997 {
		return fmt.Errorf("insert document: type %q: %w", d.Type, ErrInvalid)
	}
	if d.Status == "" {
		if d.Direction == Inbound {
			d.Status = StatusReceived
		} else {
			d.Status = StatusBuilt
		}
	}
	if !d.Status.ValidFor(d.Direction) {
		return fmt.Errorf("insert document: status %q for %s: %w", d.Status, d.Direction, ErrInvalid)
	}
	if d.Status == StatusException && d.Reason == "" {
		return fmt.Errorf("insert document: exception without reason: %w", ErrInvalid)
	}
	if len(d.RawEDI) > 0 && d.ContentHash == "" {
		d.ContentHash = ContentHash(d.RawEDI)
	}
	now := fmtTime(t.now)
	var id int64
	err := t.tx.QueryRow(`INSERT INTO documents (direction, type, partner, supplier_id, business_key, status,
		reason, message, fix, attempts, test_mode, inbound_file_id, related_id, ifs_company, ifs_invoice_id,
		cleo_id, cleo_name, isa_control, gs_control, st_control, content_hash, fingerprint, amount, amount_e4,
		currency, due_at, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		d.Direction, d.Type, d.Partner, d.SupplierID, d.BusinessKey, d.Status, d.Reason, d.Message, d.Fix,
		d.Attempts, boolInt(d.TestMode), nullID(d.InboundFileID), nullID(d.RelatedID), d.IFSCompany,
		d.IFSInvoiceID, d.CleoID, d.CleoName, d.ISAControl, d.GSControl, d.STControl, d.ContentHash,
		d.Fingerprint, d.Amount.String(), amountE4(d.Amount, true), d.Currency, fmtTime(d.DueAt), now, now).Scan(&id)
	if err != nil {
		return fmt.Errorf("insert document %s %s %q: %w", d.Direction, d.Type, d.BusinessKey, err)
	}
	parsed := ""
	if len(d.Parsed) > 0 {
		if !json.Valid(d.Parsed) {
			return fmt.Errorf("insert document: parsed form is not valid JSON: %w", ErrInvalid)
		}
		parsed = string(d.Parsed)
	}
	if _, err := t.tx.Exec(`INSERT INTO document_bodies (document_id, raw_edi, parsed) VALUES (?, ?, ?)`,
		id, d.RawEDI, parsed); err != nil {
		return fmt.Errorf("insert document %d body: %w", id, err)
	}
	d.ID = id
	d.CreatedAt = parseTime(now)
	d.UpdatedAt = d.CreatedAt
	detail := map[string]any{"status": d.Status, "direction": d.Direction, "type": d.Type,
		"partner": d.Partner, "business_key": d.BusinessKey}
	if d.ContentHash != "" {
		detail["content_hash"] = d.ContentHash
	}
	if d.Reason != "" {
		detail["reason"] = d.Reason
	}
	if _, err := t.AppendEvent(Event{DocumentID: id, Actor: actor, Action: "document.created", Detail: detail}); err != nil {
		return err
	}
	if d.Status == StatusException {
		if err := t.openDocumentException(*d, nil); err != nil {
			return err
		}
	}
	return nil
}

// Document reads a document with its body inside the transaction.
func (t *Tx) Document(id int64) (Document, error) {
	return readDocument(context.Background(), t.tx, id)
}

type querier interface {
	dialect() dialect
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readDocument(ctx context.Context, q querier, id int64) (Document, error) {
	d, err := scanDocument(q.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("document %d: %w", id, err)
	}
	var parsed string
	err = q.QueryRowContext(ctx, `SELECT raw_edi, parsed FROM document_bodies WHERE document_id = ?`, id).
		Scan(&d.RawEDI, &parsed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("document %d body: %w", id, err)
	}
	if parsed != "" {
		d.Parsed = json.RawMessage(parsed)
	}
	return d, nil
}

// Document reads one document with its raw EDI and parsed form.
func (s *Store) Document(ctx context.Context, id int64) (Document, error) {
	return readDocument(ctx, s.r, id)
}

// InsertDocument is Tx.InsertDocument in its own transaction.
func (s *Store) InsertDocument(ctx context.Context, d *Document, actor string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.InsertDocument(d, actor) })
}

// Transition is Tx.Transition in its own transaction.
func (s *Store) Transition(ctx context.Context, id int64, tr Transition) (Document, error) {
	var out Document
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.Transition(id, tr)
		return err
	})
	return out, err
}

// Transition applies tr to document id and returns the document as it is
// afterwards (without body). See Transition for the exception rules.
func (t *Tx) Transition(id int64, tr Transition) (Document, error) {
	cur, err := scanDocument(t.tx.QueryRow(`SELECT `+docColumns+` FROM documents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return cur, fmt.Errorf("transition document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return cur, fmt.Errorf("transition document %d: %w", id, err)
	}
	if len(tr.From) > 0 {
		ok := false
		for _, f := range tr.From {
			if f == cur.Status {
				ok = true
				break
			}
		}
		if !ok {
			return cur, fmt.Errorf("transition document %d to %s: status is %s, expected one of %v: %w",
				id, tr.To, cur.Status, tr.From, ErrConflict)
		}
	}
	if !tr.To.ValidFor(cur.Direction) {
		return cur, fmt.Errorf("transition document %d: status %q for %s: %w", id, tr.To, cur.Direction, ErrInvalid)
	}
	if tr.To == StatusException && tr.Reason == "" {
		return cur, fmt.Errorf("transition document %d to exception without reason: %w", id, ErrInvalid)
	}
	from := cur.Status
	next := cur
	next.Status, next.Reason, next.Message, next.Fix = tr.To, tr.Reason, tr.Message, tr.Fix
	if tr.IncAttempts {
		next.Attempts++
	}
	changed := applyPatch(&next, tr.Patch)
	if tr.Patch.RawEDI != nil && tr.Patch.ContentHash == nil {
		next.ContentHash = ContentHash(tr.Patch.RawEDI)
		changed = append(changed, "content_hash")
	}
	next.UpdatedAt = parseTime(fmtTime(t.now))
	_, err = t.tx.Exec(`UPDATE documents SET partner=?, supplier_id=?, business_key=?, status=?, reason=?,
		message=?, fix=?, attempts=?, test_mode=?, related_id=?, ifs_company=?, ifs_invoice_id=?, cleo_id=?,
		cleo_name=?, isa_control=?, gs_control=?, st_control=?, content_hash=?, fingerprint=?, amount=?,
		amount_e4=?, currency=?, due_at=?, updated_at=? WHERE id=?`,
		next.Partner, next.SupplierID, next.BusinessKey, next.Status, next.Reason, next.Message, next.Fix,
		next.Attempts, boolInt(next.TestMode), nullID(next.RelatedID), next.IFSCompany, next.IFSInvoiceID,
		next.CleoID, next.CleoName, next.ISAControl, next.GSControl, next.STControl, next.ContentHash,
		next.Fingerprint, next.Amount.String(), amountE4(next.Amount, true), next.Currency, fmtTime(next.DueAt),
		fmtTime(next.UpdatedAt), id)
	if err != nil {
		return cur, fmt.Errorf("transition document %d: %w", id, err)
	}
	if tr.Patch.RawEDI != nil || tr.Patch.Parsed != nil {
		if tr.Patch.Parsed != nil && !json.Valid(tr.Patch.Parsed) {
			return cur, fmt.Errorf("transition document %d: parsed form is not valid JSON: %w", id, ErrInvalid)
		}
		if tr.Patch.RawEDI != nil {
			if _, err := t.tx.Exec(`UPDATE document_bodies SET raw_edi = ? WHERE document_id = ?`, tr.Patch.RawEDI, id); err != nil {
				return cur, fmt.Errorf("transition document %d body: %w", id, err)
			}
		}
		if tr.Patch.Parsed != nil {
			if _, err := t.tx.Exec(`UPDATE document_bodies SET parsed = ? WHERE document_id = ?`, string(tr.Patch.Parsed), id); err != nil {
				return cur, fmt.Errorf("transition document %d body: %w", id, err)
			}
		}
	}

	if tr.Patch.Billed != nil {
		if err := t.setBilledLines(id, *tr.Patch.Billed); err != nil {
			return cur, fmt.Errorf("transition document %d: %w", id, err)
		}
		changed = append(changed, "billed_lines")
	}

	detail := map[string]any{"from": from, "to": tr.To}
	if tr.Reason != "" {
		detail["reason"] = tr.Reason
	}
	if tr.Message != "" {
		detail["message"] = tr.Message
	}
	if tr.IncAttempts {
		detail["attempts"] = next.Attempts
	}
	if len(changed) > 0 {
		detail["changed"] = changed
	}
	if tr.Comment != "" {
		detail["comment"] = tr.Comment
	}
	if tr.Detail != nil {
		detail["detail"] = tr.Detail
	}
	action := tr.Action
	if action == "" {
		action = "status." + string(tr.To)
	}
	if _, err := t.AppendEvent(Event{DocumentID: id, Actor: tr.Actor, Action: action, Detail: detail}); err != nil {
		return cur, err
	}

	// Exceptions follow the status.
	switch tr.To {
	case StatusException:
		if err := t.openDocumentException(next, tr.Context); err != nil {
			return cur, err
		}
	case StatusIgnored:
		if err := t.closeDocumentException(id, ExceptionIgnored, tr.Actor, tr.Comment); err != nil {
			return cur, err
		}
	default:
		comment := tr.Comment
		if comment == "" {
			comment = "document " + string(tr.To)
		}
		if err := t.closeDocumentException(id, ExceptionResolved, tr.Actor, comment); err != nil {
			return cur, err
		}
	}
	return next, nil
}

func applyPatch(d *Document, p DocumentPatch) []string {
	var changed []string
	str := func(name string, dst *string, src *string) {
		if src != nil && *src != *dst {
			*dst = *src
			changed = append(changed, name)
		}
	}
	str("partner", &d.Partner, p.Partner)
	str("supplier_id", &d.SupplierID, p.SupplierID)
	str("business_key", &d.BusinessKey, p.BusinessKey)
	str("ifs_company", &d.IFSCompany, p.IFSCompany)
	str("cleo_id", &d.CleoID, p.CleoID)
	str("cleo_name", &d.CleoName, p.CleoName)
	str("isa_control", &d.ISAControl, p.ISAControl)
	str("gs_control", &d.GSControl, p.GSControl)
	str("st_control", &d.STControl, p.STControl)
	str("content_hash", &d.ContentHash, p.ContentHash)
	str("fingerprint", &d.Fingerprint, p.Fingerprint)
	str("currency", &d.Currency, p.Currency)
	if p.IFSInvoiceID != nil && *p.IFSInvoiceID != d.IFSInvoiceID {
		d.IFSInvoiceID = *p.IFSInvoiceID
		changed = append(changed, "ifs_invoice_id")
	}
	if p.Amount != nil && (p.Amount.String() != d.Amount.String()) {
		d.Amount = *p.Amount
		changed = append(changed, "amount")
	}
	if p.TestMode != nil && *p.TestMode != d.TestMode {
		d.TestMode = *p.TestMode
		changed = append(changed, "test_mode")
	}
	if p.RelatedID != nil && *p.RelatedID != d.RelatedID {
		d.RelatedID = *p.RelatedID
		changed = append(changed, "related_id")
	}
	if p.DueAt != nil && !p.DueAt.Equal(d.DueAt) {
		d.DueAt = p.DueAt.UTC()
		changed = append(changed, "due_at")
	}
	if p.RawEDI != nil {
		changed = append(changed, "raw_edi")
	}
	if p.Parsed != nil {
		changed = append(changed, "parsed")
	}
	return changed
}

// DocumentQuery selects documents for lists and searches. Zero fields do not
// filter. Results are newest first unless Oldest is set.
type DocumentQuery struct {
	Direction   Direction
	Type        DocType
	Statuses    []Status
	Partner     string
	SupplierID  string
	BusinessKey string    // case-insensitive prefix of the PO or invoice number (indexed)
	Text        string    // case-insensitive substring of business key, partner, supplier, Cleo name (scans)
	From        time.Time // created at or after
	To          time.Time // created before
	Fingerprint string
	ContentHash string
	CleoName    string
	DueBefore   time.Time // with a 997 deadline (DueAt) before this time: overdue candidates
	FileID      int64     // documents split from this inbound file
	ISAControl  string    // received in (or sent with) this interchange control number (with Partner)
	RelatedID   int64
	TestMode    *bool
	Oldest      bool // oldest first
	// ByID orders by id, ascending (the order documents were stored in),
	// and AfterID keeps only larger ids: keyset paging through a long work
	// list, which an offset would make quadratic.
	ByID    bool
	AfterID int64
	Limit   int // 0: 100
	Offset  int
}

func (q DocumentQuery) where(d dialect) (string, []any) {
	var conds []string
	var args []any
	add := func(c string, a ...any) {
		conds = append(conds, c)
		args = append(args, a...)
	}
	if q.Direction != "" {
		add("direction = ?", q.Direction)
	}
	if q.Type != "" {
		add("type = ?", q.Type)
	}
	if len(q.Statuses) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(q.Statuses)), ",")
		for _, st := range q.Statuses {
			args = append(args, st)
		}
		conds = append(conds, "status IN ("+ph+")")
	}
	if q.Partner != "" {
		add("partner = ?", q.Partner)
	}
	if q.SupplierID != "" {
		add("supplier_id = ?", q.SupplierID)
	}
	if q.BusinessKey != "" {
		if d == postgresDialect {
			// ILIKE (what rebind makes of LIKE) cannot use the btree on
			// lower(business_key), and the trigram index it falls back to
			// took 27 ms for one exact invoice number among a million
			// documents. ~~ is PostgreSQL's LIKE operator, left alone by
			// rebind; on a "C" collation index a constant prefix becomes a
			// range scan. Backslash is its default escape, as likeEscape's.
			add(`lower(business_key) ~~ ?`, strings.ToLower(likeEscape(q.BusinessKey))+"%")
		} else {
			add(`business_key LIKE ? ESCAPE '\'`, likeEscape(q.BusinessKey)+"%")
		}
	}
	if q.Text != "" {
		if d == sqliteDialect && ftsUsable(q.Text) {
			add("id IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)", ftsPhrase(q.Text))
		} else {
			pat := "%" + likeEscape(q.Text) + "%"
			add(`(business_key LIKE ? ESCAPE '\' OR partner LIKE ? ESCAPE '\' OR supplier_id LIKE ? ESCAPE '\' OR cleo_name LIKE ? ESCAPE '\')`,
				pat, pat, pat, pat)
		}
	}
	if !q.From.IsZero() {
		add("created_at >= ?", fmtTime(q.From))
	}
	if !q.To.IsZero() {
		add("created_at < ?", fmtTime(q.To))
	}
	if q.Fingerprint != "" {
		add("fingerprint = ?", q.Fingerprint)
	}
	if q.ContentHash != "" {
		add("content_hash = ?", q.ContentHash)
	}
	if q.CleoName != "" {
		add("cleo_name = ?", q.CleoName)
	}
	if !q.DueBefore.IsZero() {
		add("due_at <> '' AND due_at < ?", fmtTime(q.DueBefore))
	}
	if q.FileID != 0 {
		add("inbound_file_id = ?", q.FileID)
	}
	if q.ISAControl != "" {
		add("isa_control = ?", q.ISAControl)
	}
	if q.RelatedID != 0 {
		add("related_id = ?", q.RelatedID)
	}
	if q.TestMode != nil {
		add("test_mode = ?", boolInt(*q.TestMode))
	}
	if q.AfterID > 0 {
		add("id > ?", q.AfterID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ftsUsable reports whether the trigram index can answer a substring
// search for text: it needs at least three characters.
func ftsUsable(text string) bool { return utf8.RuneCountInString(text) >= 3 }

// ftsPhrase quotes text as one FTS5 phrase, so it is matched literally as a
// substring by the trigram tokenizer, whatever characters it holds.
func ftsPhrase(text string) string { return `"` + strings.ReplaceAll(text, `"`, `""`) + `"` }

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// Documents lists documents matching q, without bodies.
func (s *Store) Documents(ctx context.Context, q DocumentQuery) ([]Document, error) {
	return queryDocuments(ctx, s.r, q)
}

// Documents lists documents matching q inside the transaction, so that a
// check (is this fingerprint already posted?) and the write that depends on
// it see the same data.
func (t *Tx) Documents(q DocumentQuery) ([]Document, error) {
	return queryDocuments(context.Background(), t.tx, q)
}

// query is the SELECT of cols for the documents matching q, in q's order
// and page (newest first unless Oldest; 100 when Limit is unset).
func (q DocumentQuery) query(d dialect, cols string) (string, []any) {
	where, args := q.where(d)
	order := " ORDER BY created_at DESC, id DESC"
	switch {
	case q.ByID:
		order = " ORDER BY id"
	case q.Oldest:
		order = " ORDER BY created_at, id"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	return `SELECT ` + cols + ` FROM documents` + where + order + ` LIMIT ? OFFSET ?`, append(args, limit, q.Offset)
}

func queryDocuments(ctx context.Context, db querier, q DocumentQuery) ([]Document, error) {
	sq, args := q.query(db.dialect(), docColumns)
	rows, err := db.QueryContext(ctx, sq, args...)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, fmt.Errorf("list documents: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	return out, nil
}

// DocRef is a document's ID and partner: what a work list needs to order
// a large set of documents without holding them (each is read when its
// turn comes).
type DocRef struct {
	ID      int64
	Partner string
}

// DocumentRefs lists the documents matching q as references, in q's order.
func (s *Store) DocumentRefs(ctx context.Context, q DocumentQuery) ([]DocRef, error) {
	sq, args := q.query(s.d, "id, partner")
	rows, err := s.r.QueryContext(ctx, sq, args...)
	if err != nil {
		return nil, fmt.Errorf("list document references: %w", err)
	}
	defer rows.Close()
	var out []DocRef
	for rows.Next() {
		var r DocRef
		if err := rows.Scan(&r.ID, &r.Partner); err != nil {
			return nil, fmt.Errorf("list document references: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list document references: %w", err)
	}
	return out, nil
}

// CountDocuments counts documents matching q (Limit and Offset ignored).
func (s *Store) CountDocuments(ctx context.Context, q DocumentQuery) (int, error) {
	where, args := q.where(s.d)
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM documents`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count documents: %w", err)
	}
	return n, nil
}

// DocumentsInStatus lists every document (without body) currently in one of
// the statuses, oldest first: the engine's work queues and crash reconciling
// (StatusPosting, StatusSending).
func (s *Store) DocumentsInStatus(ctx context.Context, statuses ...Status) ([]Document, error) {
	return s.Documents(ctx, DocumentQuery{Statuses: statuses, Oldest: true, Limit: 1 << 30})
}

// FindByFingerprint returns the documents with this fingerprint, oldest first.
func (s *Store) FindByFingerprint(ctx context.Context, fingerprint string) ([]Document, error) {
	if fingerprint == "" {
		return nil, nil
	}
	return s.Documents(ctx, DocumentQuery{Fingerprint: fingerprint, Oldest: true, Limit: 1000})
}

// FindByBusinessKey returns the documents of this direction and type whose
// business key is exactly key (for a supplier when supplierID is not empty),
// oldest first: e.g. every 850 sent for a PO, every 810 with an invoice
// number from one supplier.
func (s *Store) FindByBusinessKey(ctx context.Context, dir Direction, typ DocType, supplierID, key string) ([]Document, error) {
	q := `SELECT ` + docColumns + ` FROM documents
		WHERE ` + s.d.pick("business_key = ? COLLATE NOCASE", "lower(business_key) = lower(?)") + `
		AND business_key = ? AND direction = ? AND type = ?`
	args := []any{key, key, dir, typ}
	if supplierID != "" {
		q += ` AND supplier_id = ?`
		args = append(args, supplierID)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find documents %s: %w", key, err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, fmt.Errorf("find documents %s: %w", key, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
