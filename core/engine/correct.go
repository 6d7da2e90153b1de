package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// ReasonCorrectionPending: a supplier re-sent an invoice number with
// corrected content while the IFS invoice is still editable; the clerk
// decides whether IFS is updated.
const ReasonCorrectionPending Reason = "CORRECTION_PENDING"

const (
	fixCorrection        = "compare the versions; Update the IFS invoice (replay --update-ifs) to apply the supplier's correction, or ignore it"
	fixCorrectionTooLate = "the IFS invoice is approved or posted: ask the supplier for a credit note for the earlier invoice and a new invoice number; ignore this one"
	fixCorrectionClash   = "someone changed these fields in IFS meanwhile: check with them, then Update again to apply the supplier's values over IFS's, or ignore"
)

// FieldDiff is one field of a corrected invoice, side by side.
type FieldDiff struct {
	Field     string `json:"field"`      // "net amount", "line 1 net amount" …
	Earlier   string `json:"earlier"`    // what the earlier invoice said (and we posted)
	Corrected string `json:"corrected"`  // what the supplier's correction says
	IFSNow    string `json:"ifs_now"`    // what IFS held when the exception was raised
	Differs   bool   `json:"differs"`    // Corrected ≠ IFSNow: the update writes it
	Edited    bool   `json:"edited_ifs"` // IFSNow ≠ Earlier: someone changed it in IFS
}

// CorrectionContext is the context of CORRECTION_PENDING.
type CorrectionContext struct {
	OtherDocument int64                  `json:"other_document"`
	IFSInvoiceID  int64                  `json:"ifs_invoice_id"`
	IFSState      string                 `json:"ifs_state"`
	Fields        []FieldDiff            `json:"fields"`
	Seen          domain.SupplierInvoice `json:"seen"` // IFS as the clerk saw it, with ETags
	// Conflicts are fields that changed in IFS after Seen and that the
	// correction changes too (set after an update stopped on them).
	Conflicts []ifs.FieldConflict `json:"conflicts,omitempty"`
}

// correctionTarget reads the IFS invoice a posted document created and
// returns it when it may still be corrected; otherwise its state ("" when
// corrections are not possible here at all).
func (e *Engine) correctionTarget(ctx context.Context, o store.Document) (*domain.SupplierInvoice, string, error) {
	c, ok := e.p.IFS.(IFSCorrector)
	if !ok || o.Status != store.StatusPosted || o.IFSInvoiceID == 0 {
		return nil, "", nil
	}
	cur, err := c.SupplierInvoice(ctx, e.p.Company, o.IFSInvoiceID)
	if err != nil {
		return nil, "", fmt.Errorf("read IFS invoice %d of document %d: %w", o.IFSInvoiceID, o.ID, err)
	}
	if slices.Contains(ifs.EditableInvoiceStates, cur.State) {
		return &cur, cur.State, nil
	}
	return nil, cur.State, nil
}

// withoutDocument removes one document's billed lines from billed-to-date.
func (e *Engine) withoutDocument(ctx context.Context, billed map[string]store.BilledTotal, docID int64) error {
	rows, err := e.st.BilledLines(ctx, docID)
	if err != nil {
		return err
	}
	for _, b := range rows {
		k := store.POLineKey(b.OrderNo, b.LineNo, b.ReleaseNo)
		t, ok := billed[k]
		if !ok {
			continue
		}
		t.Quantity, t.Amount = t.Quantity.Sub(b.Quantity), t.Amount.Sub(b.Amount)
		t.Documents = slices.DeleteFunc(t.Documents, func(id int64) bool { return id == docID })
		billed[k] = t
	}
	return nil
}

// correctionProblem is the CORRECTION_PENDING exception: both versions and
// IFS as it is now, field by field.
func (e *Engine) correctionProblem(ctx context.Context, earlier store.Document, seen, want domain.SupplierInvoice) *problem {
	var before domain.SupplierInvoice
	if _, pf, err := e.loadParsed(ctx, earlier.ID); err == nil && pf.Payload != nil {
		before = *pf.Payload
	}
	fields := invoiceDiff(before, want, seen)
	n := 0
	for _, f := range fields {
		if f.Differs {
			n++
		}
	}
	return &problem{Reason: ReasonCorrectionPending, Fix: fixCorrection,
		Message: fmt.Sprintf("Invoice %s is a corrected re-send of document %d; IFS invoice %d is still %s, %d field(s) would change (gross %s → %s)",
			want.InvoiceNo, earlier.ID, seen.InvoiceID, seen.State, n, grossOf(seen), grossOf(want)),
		Context: &CorrectionContext{OtherDocument: earlier.ID, IFSInvoiceID: seen.InvoiceID, IFSState: seen.State, Fields: fields, Seen: seen}}
}

// invoiceDiff lists the fields of the three versions side by side.
func invoiceDiff(earlier, corrected, now domain.SupplierInvoice) []FieldDiff {
	var out []FieldDiff
	add := func(name, a, b, c string) {
		out = append(out, FieldDiff{Field: name, Earlier: a, Corrected: b, IFSNow: c, Differs: b != c, Edited: a != c && a != ""})
	}
	date := func(inv domain.SupplierInvoice, due bool) string {
		t := inv.InvoiceDate
		if due {
			t = inv.DueDate
		}
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02")
	}
	add("invoice date", date(earlier, false), date(corrected, false), date(now, false))
	add("due date", date(earlier, true), date(corrected, true), date(now, true))
	add("net amount", earlier.NetAmount.StringFixed(2), corrected.NetAmount.StringFixed(2), now.NetAmount.StringFixed(2))
	add("tax amount", earlier.TaxAmount.StringFixed(2), corrected.TaxAmount.StringFixed(2), now.TaxAmount.StringFixed(2))
	add("gross amount", grossOf(earlier).StringFixed(2), grossOf(corrected).StringFixed(2), grossOf(now).StringFixed(2))
	line := func(ls []domain.SupplierInvoiceLine, i int) (string, string) {
		if i >= len(ls) {
			return "(none)", "(none)"
		}
		return ls[i].NetAmount.StringFixed(2), ls[i].TaxAmount.StringFixed(2)
	}
	for i := range max(len(earlier.Lines), len(corrected.Lines), len(now.Lines)) {
		an, at := line(earlier.Lines, i)
		bn, bt := line(corrected.Lines, i)
		cn, ct := line(now.Lines, i)
		add(fmt.Sprintf("line %d net amount", i+1), an, bn, cn)
		add(fmt.Sprintf("line %d tax amount", i+1), at, bt, ct)
	}
	post := func(ps []domain.PostingLine, i int) (string, string) {
		if i >= len(ps) {
			return "(none)", "(none)"
		}
		return ps[i].Amount.StringFixed(2), ps[i].Code.Account
	}
	for i := range max(len(earlier.Postings), len(corrected.Postings), len(now.Postings)) {
		aa, ac := post(earlier.Postings, i)
		ba, bc := post(corrected.Postings, i)
		ca, cc := post(now.Postings, i)
		add(fmt.Sprintf("posting %d amount", i+1), aa, ba, ca)
		add(fmt.Sprintf("posting %d account", i+1), ac, bc, cc)
	}
	return out
}

// UpdateResult is what Update the IFS invoice did.
type UpdateResult struct {
	ExceptionID int64  `json:"exception_id"`
	DocumentID  int64  `json:"document_id"`
	Outcome     string `json:"outcome"` // "updated", "conflict", "still_failing", "refused"
	Message     string `json:"message"`
	// Conflicts are set with Outcome "conflict".
	Conflicts []ifs.FieldConflict `json:"conflicts,omitempty"`
	Attempts  []ifs.PatchAttempt  `json:"attempts,omitempty"`
}

// UpdateIFSInvoice applies the supplier's correction of a CORRECTION_PENDING
// exception to the IFS invoice: read with ETags, PATCH with If-Match, 412
// re-read (see ifs.CorrectSupplierInvoice). With reapply the clerk accepts
// the fields someone changed in IFS meanwhile as the new starting point
// (after a conflict) and the supplier's values are written over them.
// Every attempt is audited with its ETags; on success the new document is
// posted against the same IFS invoice and the earlier one stops counting
// as billed.
func (e *Engine) UpdateIFSInvoice(ctx context.Context, excID int64, reapply bool) (UpdateResult, error) {
	return e.updateIFSInvoiceAs(ctx, excID, reapply, e.actor)
}

func (e *Engine) updateIFSInvoiceAs(ctx context.Context, excID int64, reapply bool, actor string) (UpdateResult, error) {
	res := UpdateResult{ExceptionID: excID}
	exc, err := e.st.Exception(ctx, excID)
	if err != nil {
		return res, err
	}
	res.DocumentID = exc.DocumentID
	if exc.State != store.ExceptionOpen || exc.Reason != string(ReasonCorrectionPending) {
		return res, fmt.Errorf("update IFS from exception %d (%s, %s): only an open %s exception can: %w",
			excID, exc.Reason, exc.State, ReasonCorrectionPending, ErrNotReplayable)
	}
	corr, ok := e.p.IFS.(IFSCorrector)
	if !ok {
		return res, fmt.Errorf("update IFS from exception %d: this IFS connection cannot update invoices: %w", excID, ErrNotReplayable)
	}
	var cc CorrectionContext
	if err := json.Unmarshal(exc.Context, &cc); err != nil {
		return res, fmt.Errorf("update IFS from exception %d: its context: %w", excID, err)
	}
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return res, err
	}
	d, pf, err := e.loadParsed(ctx, exc.DocumentID)
	if err != nil {
		return res, err
	}
	// The same checks as a replay: the correction must still match the PO.
	d.Status = store.StatusReceived
	pl, err := e.planInvoice(ctx, d, pf, cfg)
	if err != nil {
		return res, err
	}
	if pl.problem == nil || pl.problem.Reason != ReasonCorrectionPending {
		res.Outcome, res.Message = "still_failing", "the correction no longer applies as shown: replay it to see why"
		if pl.problem != nil {
			res.Message = pl.problem.Message
		}
		return res, nil
	}
	fresh := pl.problem.Context.(*CorrectionContext)
	seen := cc.Seen
	if reapply {
		seen = fresh.Seen
	}
	want := pl.payload
	want.InvoiceID, want.Company = seen.InvoiceID, seen.Company
	audit := map[string]any{"exception_id": excID, "ifs_invoice_id": seen.InvoiceID, "mapping_version": cfg.Maps.Version,
		"reapply": reapply, "seen_etag": seen.ETag}
	if _, err := e.st.AppendEvent(ctx, store.Event{DocumentID: d.ID, Actor: actor, Action: "invoice.correction_intent", Detail: audit}); err != nil {
		return res, fmt.Errorf("audit the correction of exception %d: %w", excID, err)
	}
	out, cerr := corr.CorrectSupplierInvoice(ctx, seen, want)
	res.Attempts = out.Attempts
	if _, err := e.st.AppendEvent(ctx, store.Event{DocumentID: d.ID, Actor: actor, Action: "invoice.correction_attempts",
		Detail: map[string]any{"attempts": out.Attempts, "error": errText(cerr)}}); err != nil {
		return res, fmt.Errorf("audit the correction attempts of exception %d: %w", excID, err)
	}
	var conflict *ifs.ConflictError
	switch {
	case errors.As(cerr, &conflict):
		res.Outcome, res.Conflicts, res.Message = "conflict", conflict.Conflicts, conflict.Error()
		fresh.Conflicts = conflict.Conflicts
		_, err := e.fail(ctx, d.ID, &problem{Reason: ReasonCorrectionPending, Fix: fixCorrectionClash,
			Message: "The correction was not applied: " + conflict.Error(), Context: fresh}, store.DocumentPatch{})
		return res, err
	case domain.KindOf(cerr) == domain.KindBusinessRule:
		res.Outcome, res.Message = "refused", cerr.Error()
		_, err := e.fail(ctx, d.ID, &problem{Reason: ReasonDuplicateNumber, Fix: fixCorrectionTooLate,
			Message: "IFS refused the correction: " + cerr.Error(), Context: &DuplicateContext{OtherDocument: cc.OtherDocument, IFSInvoiceID: seen.InvoiceID}},
			store.DocumentPatch{})
		return res, err
	case cerr != nil:
		return res, fmt.Errorf("update IFS invoice %d: %w", seen.InvoiceID, cerr)
	}
	// The earlier document stops counting as billed: the corrected one
	// carries the lines now, against the same IFS invoice.
	none := []store.BilledLine{}
	if _, err := e.transition(ctx, cc.OtherDocument, store.Transition{From: []store.Status{store.StatusPosted}, To: store.StatusPosted,
		Action: "invoice.superseded", Actor: actor, Message: fmt.Sprintf("Corrected by document %d", d.ID),
		Detail: map[string]any{"corrected_by": d.ID}, Patch: store.DocumentPatch{Billed: &none}}); err != nil {
		return res, err
	}
	pf2 := pl.pf
	pf2.IFSResult = &out.Invoice
	patch := pl.patch
	patch.Parsed = mustJSON(pf2)
	patch.Billed = &pl.billed
	patch.IFSInvoiceID = &seen.InvoiceID
	if _, err := e.transition(ctx, d.ID, store.Transition{To: store.StatusPosted, Action: "invoice.corrected", Actor: actor,
		Message: fmt.Sprintf("IFS invoice %d updated with the supplier's correction (gross %s)", seen.InvoiceID, grossOf(out.Invoice)),
		Detail:  map[string]any{"ifs_invoice_id": seen.InvoiceID, "attempts": len(out.Attempts)}, Patch: patch}); err != nil {
		return res, err
	}
	res.Outcome = "updated"
	res.Message = fmt.Sprintf("IFS invoice %d now has gross %s %s", seen.InvoiceID, grossOf(out.Invoice), want.Currency)
	return res, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// grossOf is an invoice's gross: IFS may leave GrossAmount to be computed
// (zero in a read), then it is net plus tax.
func grossOf(inv domain.SupplierInvoice) money.Decimal {
	if !inv.GrossAmount.IsZero() {
		return inv.GrossAmount
	}
	return inv.NetAmount.Add(inv.TaxAmount)
}

// RecodeResult is what a GL re-coding did.
type RecodeResult struct {
	DocumentID   int64              `json:"document_id"`
	IFSInvoiceID int64              `json:"ifs_invoice_id"`
	Line         int                `json:"line"`
	From         domain.CodeString  `json:"from"`
	To           domain.CodeString  `json:"to"`
	RuleSaved    bool               `json:"rule_saved"`
	Attempts     []ifs.PatchAttempt `json:"attempts"`
}

// Postings reads the posting proposal IFS holds now for the invoice a
// posted document became, for a clerk choosing the row to re-code.
func (e *Engine) Postings(ctx context.Context, docID int64) ([]domain.PostingLine, error) {
	corr, ok := e.p.IFS.(IFSCorrector)
	if !ok {
		return nil, fmt.Errorf("posting proposal of document %d: this IFS connection cannot read invoices: %w", docID, ErrNotReplayable)
	}
	d, err := e.st.Document(ctx, docID)
	if err != nil {
		return nil, err
	}
	if d.Type != store.Type810 || d.Direction != store.Inbound || d.Status != store.StatusPosted || d.IFSInvoiceID == 0 {
		return nil, &CodingError{What: fmt.Sprintf("document %d", docID), Why: fmt.Sprintf("is not an invoice posted to IFS (%s %s, %s)", d.Direction, d.Type, d.Status)}
	}
	inv, err := corr.SupplierInvoice(ctx, e.p.Company, d.IFSInvoiceID)
	if err != nil {
		return nil, fmt.Errorf("posting proposal of document %d: %w", docID, err)
	}
	return inv.Postings, nil
}

// RecodeGL changes the code string of posting-proposal row line (1-based)
// of a posted invoice while IFS still allows it: the new coding is checked
// against IFS's accounts and cost centres first, then written through the
// same read-ETag → PATCH If-Match → 412-re-read path as a correction, and
// audited with who did it and the mapping version. With ruleCharge set
// (a SAC charge code, or NONPO for lines without a PO) the coding also
// becomes the supplier's rule for that charge, so the next invoice is coded
// so; "" saves no rule.
func (e *Engine) RecodeGL(ctx context.Context, docID int64, line int, code domain.CodeString, ruleCharge string) (RecodeResult, error) {
	return e.recodeGLAs(ctx, docID, line, code, ruleCharge, e.actor)
}

// RecodeRow is RecodeGL of the account and code B of one row, the other
// code parts kept as IFS holds them (what a clerk changes on the Documents
// screen).
func (e *Engine) RecodeRow(ctx context.Context, docID int64, row int, account, codeB, ruleCharge string) (RecodeResult, error) {
	return e.recodeRowAs(ctx, docID, row, account, codeB, ruleCharge, e.actor)
}

func (e *Engine) recodeRowAs(ctx context.Context, docID int64, row int, account, codeB, ruleCharge, actor string) (RecodeResult, error) {
	ps, err := e.Postings(ctx, docID)
	if err != nil {
		return RecodeResult{}, err
	}
	if row < 1 || row > len(ps) {
		return RecodeResult{}, &CodingError{What: fmt.Sprintf("posting row %d", row), Why: fmt.Sprintf("does not exist: IFS holds %d", len(ps))}
	}
	code := ps[row-1].Code
	code.Account, code.CodeB = account, codeB
	return e.recodeGLAs(ctx, docID, row, code, ruleCharge, actor)
}

func (e *Engine) recodeGLAs(ctx context.Context, docID int64, line int, code domain.CodeString, ruleCharge, actor string) (RecodeResult, error) {
	res := RecodeResult{DocumentID: docID, Line: line, To: code}
	corr, ok := e.p.IFS.(IFSCorrector)
	if !ok {
		return res, fmt.Errorf("re-code document %d: this IFS connection cannot update invoices: %w", docID, ErrNotReplayable)
	}
	d, err := e.st.Document(ctx, docID)
	if err != nil {
		return res, err
	}
	if d.Type != store.Type810 || d.Direction != store.Inbound || d.Status != store.StatusPosted || d.IFSInvoiceID == 0 {
		return res, &CodingError{What: fmt.Sprintf("document %d", docID), Why: fmt.Sprintf("is not an invoice posted to IFS (%s %s, %s)", d.Direction, d.Type, d.Status)}
	}
	res.IFSInvoiceID = d.IFSInvoiceID
	ref, err := e.loadRefIndex(ctx)
	if err != nil {
		return res, fmt.Errorf("re-code document %d: %w", docID, err)
	}
	if err := ref.code(code); err != nil {
		return res, fmt.Errorf("re-code document %d: %w", docID, err)
	}
	seen, err := corr.SupplierInvoice(ctx, e.p.Company, d.IFSInvoiceID)
	if err != nil {
		return res, fmt.Errorf("re-code document %d: %w", docID, err)
	}
	if line < 1 || line > len(seen.Postings) {
		return res, &CodingError{What: fmt.Sprintf("posting line %d", line), Why: fmt.Sprintf("does not exist: IFS invoice %d has %d posting line(s)", d.IFSInvoiceID, len(seen.Postings))}
	}
	res.From = seen.Postings[line-1].Code
	want := seen
	want.Postings = append([]domain.PostingLine(nil), seen.Postings...)
	want.Postings[line-1].Code = code
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return res, err
	}
	out, cerr := corr.CorrectSupplierInvoice(ctx, seen, want)
	res.Attempts = out.Attempts
	detail := map[string]any{"ifs_invoice_id": d.IFSInvoiceID, "line": line, "from": res.From, "to": code,
		"mapping_version": cfg.Maps.Version, "attempts": out.Attempts, "error": errText(cerr)}
	if _, err := e.st.AppendEvent(ctx, store.Event{DocumentID: docID, Actor: actor, Action: "invoice.recoded", Detail: detail}); err != nil {
		return res, fmt.Errorf("audit the re-coding of document %d: %w", docID, err)
	}
	if cerr != nil {
		return res, fmt.Errorf("re-code posting line %d of IFS invoice %d: %w", line, d.IFSInvoiceID, cerr)
	}
	if ruleCharge != "" {
		if err := e.setGLRuleAs(ctx, d.SupplierID, ruleCharge, code, actor); err != nil {
			return res, fmt.Errorf("re-coded in IFS, but the rule was not saved: %w", err)
		}
		res.RuleSaved = true
	}
	return res, nil
}
