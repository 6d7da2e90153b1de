package ifs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// EditableInvoiceStates are the supplier-invoice states in which a
// correction may still change the invoice: not yet approved or posted. The
// public record names Preliminary as the state of a new manual supplier
// invoice; which later states still allow edits depends on the company's
// authorisation set-up [I], so only Preliminary is assumed.
var EditableInvoiceStates = []string{"Preliminary"}

// FieldConflict is a field that someone changed in IFS after the clerk saw
// it and that the correction changes as well: the clerk decides.
type FieldConflict struct {
	Row   string `json:"row"`   // "header", "line 2", "posting 1"
	Field string `json:"field"` // the tenant's field name
	Seen  string `json:"seen"`  // what IFS said when the clerk looked
	Now   string `json:"now"`   // what IFS says now
	Want  string `json:"want"`  // what the supplier's correction says
}

// ConflictError stops a correction that would overwrite someone's change.
type ConflictError struct {
	Conflicts []FieldConflict
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	for i, c := range e.Conflicts {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s: IFS now says %s, the supplier's correction says %s, you had seen %s", c.Row, c.Field, c.Now, c.Want, c.Seen)
	}
	return "changed in IFS meanwhile: " + b.String()
}

// ErrorKind classifies the error for domain.KindOf.
func (e *ConflictError) ErrorKind() domain.ErrorKind { return domain.KindConflict }

// PatchAttempt is one conditional write of a correction, for the audit
// trail: the ETag read before it, the If-Match sent and IFS's answer.
type PatchAttempt struct {
	Row      string   `json:"row"`
	Method   string   `json:"method"` // PATCH, POST or DELETE
	Fields   []string `json:"fields,omitempty"`
	ETagRead string   `json:"etag_read,omitempty"`
	IfMatch  string   `json:"if_match,omitempty"`
	ETagNew  string   `json:"etag_new,omitempty"`
	Status   int      `json:"status"`
}

// CorrectionResult is what a correction did.
type CorrectionResult struct {
	Invoice  domain.SupplierInvoice `json:"invoice"` // as IFS has it afterwards
	Attempts []PatchAttempt         `json:"attempts"`
}

// CorrectSupplierInvoice changes an existing, still editable invoice from
// what the clerk saw (seen, read earlier with SupplierInvoice) to want (the
// supplier's corrected invoice): header, lines and posting proposal row by
// row, each read with its ETag and PATCHed with If-Match, lines and
// postings added through their navigations and removed with If-Match.
//
// Only the fields that differ between seen and want are written. When IFS
// answers 412 the row is read again: a field the correction changes that
// someone else changed meanwhile (IFS now ≠ seen, ≠ want) is a conflict
// (ConflictError, nothing more written); other changes are kept and the
// correction re-applied, at most Config.MaxConflictRetries times. Never a
// PATCH without If-Match (an upsert in IFS) and never If-Match: *.
//
// Where the profile allows $batch (Profile.Batch), every row is read first
// and all the writes go in one change set, which IFS applies all or
// nothing (OData v4.01 Protocol §11.7.4): a 412 on any row rolls the
// others back and the whole correction is planned again from fresh reads.
// Without $batch rows are written one by one; a failure part-way leaves
// the rows before it corrected, and the result's Attempts say which.
func (c *Client) CorrectSupplierInvoice(ctx context.Context, seen, want domain.SupplierInvoice) (CorrectionResult, error) {
	var res CorrectionResult
	p := c.prof
	op := fmt.Sprintf("correct invoice %s/%d", seen.Company, seen.InvoiceID)
	cur, err := c.SupplierInvoice(ctx, seen.Company, seen.InvoiceID)
	if err != nil {
		return res, err
	}
	if !slices.Contains(EditableInvoiceStates, cur.State) {
		return res, &Error{Op: op, Kind: domain.KindBusinessRule,
			Message: fmt.Sprintf("invoice %s is %s in IFS and can no longer be changed", seen.InvoiceNo, cur.State)}
	}
	if c.batchMode() {
		if err := c.correctBatch(ctx, &res, seen, want); err != nil {
			return res, err
		}
		return c.correctionRead(ctx, res, seen)
	}
	hdr := c.invoiceURL(seen.Company, seen.InvoiceID)
	if err := c.patchRow(ctx, &res, "header", hdr,
		func(r Row) map[string]any { return encodeInvoice(p, decodeInvoice(p, r)) },
		encodeInvoice(p, seen), encodeInvoice(p, want)); err != nil {
		return res, err
	}
	lines := hdr + "/" + p.InvoiceLines.Navigation
	for i := range max(len(seen.Lines), len(want.Lines)) {
		row := fmt.Sprintf("line %d", i+1)
		switch {
		case i < len(seen.Lines) && i < len(want.Lines):
			u := lines + c.childKey(&p.InvoiceLines, seen.Company, seen.InvoiceID, "ItemId", seen.Lines[i].ItemID)
			err = c.patchRow(ctx, &res, row, u,
				func(r Row) map[string]any { return encodeInvoiceLine(p, decodeInvoiceLine(p, r)) },
				encodeInvoiceLine(p, seen.Lines[i]), encodeInvoiceLine(p, want.Lines[i]))
		case i < len(want.Lines):
			err = c.addRow(ctx, &res, row, lines, encodeInvoiceLine(p, want.Lines[i]))
		default:
			u := lines + c.childKey(&p.InvoiceLines, seen.Company, seen.InvoiceID, "ItemId", seen.Lines[i].ItemID)
			err = c.removeRow(ctx, &res, row, u,
				func(r Row) map[string]any { return encodeInvoiceLine(p, decodeInvoiceLine(p, r)) },
				encodeInvoiceLine(p, seen.Lines[i]))
		}
		if err != nil {
			return res, err
		}
	}
	posts := hdr + "/" + p.PostingProposal.Navigation
	for i := range max(len(seen.Postings), len(want.Postings)) {
		row := fmt.Sprintf("posting %d", i+1)
		switch {
		case i < len(seen.Postings) && i < len(want.Postings):
			u := posts + c.childKey(&p.PostingProposal, seen.Company, seen.InvoiceID, "RowNo", seen.Postings[i].RowNo)
			err = c.patchRow(ctx, &res, row, u,
				func(r Row) map[string]any { return encodePosting(p, decodePosting(p, r)) },
				encodePosting(p, seen.Postings[i]), encodePosting(p, want.Postings[i]))
		case i < len(want.Postings):
			err = c.addRow(ctx, &res, row, posts, encodePosting(p, want.Postings[i]))
		default:
			u := posts + c.childKey(&p.PostingProposal, seen.Company, seen.InvoiceID, "RowNo", seen.Postings[i].RowNo)
			err = c.removeRow(ctx, &res, row, u,
				func(r Row) map[string]any { return encodePosting(p, decodePosting(p, r)) },
				encodePosting(p, seen.Postings[i]))
		}
		if err != nil {
			return res, err
		}
	}
	return c.correctionRead(ctx, res, seen)
}

// correctionRead reads the invoice as IFS has it after a correction.
func (c *Client) correctionRead(ctx context.Context, res CorrectionResult, seen domain.SupplierInvoice) (CorrectionResult, error) {
	after, err := c.SupplierInvoice(ctx, seen.Company, seen.InvoiceID)
	if err != nil {
		return res, err
	}
	res.Invoice = *after
	return res, nil
}

// childKey is the key segment of an invoice line or posting row in its
// navigation: the invoice's key plus the row's own number.
func (c *Client) childKey(res *Resource, company string, invoiceID int64, field string, n int64) string {
	return Key{{res.Field("Company"), Str(company)}, {res.Field("InvoiceId"), Int(invoiceID)}, {res.Field(field), Int(n)}}.String()
}

// patchRow brings one row from seen to want: read with ETag, check for
// conflicts, PATCH the differing fields with If-Match, and on 412 read again.
func (c *Client) patchRow(ctx context.Context, res *CorrectionResult, row, u string,
	encode func(Row) map[string]any, seen, want map[string]any) error {
	changes := changedFieldNames(seen, want)
	if len(changes) == 0 {
		return nil
	}
	op := "correct " + row
	projection := c.prof.SupplierInvoices.Projection
	for attempt := 0; ; attempt++ {
		cur, etag, err := c.getRow(ctx, op, projection, u)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		body, conflicts := rowDiff(row, encode(cur), seen, want, changes)
		if len(conflicts) > 0 {
			return &ConflictError{Conflicts: conflicts}
		}
		if len(body) == 0 {
			return nil
		}
		if etag == "" {
			return &Error{Op: op, Kind: domain.KindInvalid,
				Message: "IFS sent no ETag, and a PATCH without If-Match would be an upsert; refusing"}
		}
		b, err := json.Marshal(body)
		if err != nil {
			return &Error{Op: op, Kind: domain.KindInvalid, Err: err}
		}
		fields := sortedFieldNames(body)
		resp, err := c.do(ctx, request{op: op, projection: projection, method: http.MethodPatch, url: u, body: b,
			header: http.Header{"If-Match": {etag}}, retrySafe: true})
		a := PatchAttempt{Row: row, Method: http.MethodPatch, Fields: fields, ETagRead: etag, IfMatch: etag, Status: statusOf(resp, err)}
		if resp != nil {
			a.ETagNew = resp.header.Get("ETag")
		}
		res.Attempts = append(res.Attempts, a)
		if err != nil {
			if domain.KindOf(err) == domain.KindConflict && attempt < c.cfg.MaxConflictRetries {
				continue // 412: someone saved the row; read it again and decide
			}
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
	}
}

// rowDiff is what a PATCH must send to bring a row IFS holds now from seen
// to want (fields already as wanted are left out), or the fields someone
// else changed that the correction changes too.
func rowDiff(row string, now, seen, want map[string]any, changes []string) (map[string]any, []FieldConflict) {
	var conflicts []FieldConflict
	body := map[string]any{}
	for _, f := range changes {
		if sameValue(now[f], want[f]) {
			continue // already as the correction wants it
		}
		if !sameValue(now[f], seen[f]) {
			conflicts = append(conflicts, FieldConflict{Row: row, Field: f, Seen: show(seen[f]), Now: show(now[f]), Want: show(want[f])})
			continue
		}
		body[f] = want[f]
	}
	return body, conflicts
}

// removeConflicts are the fields of a row to be removed that someone
// changed since the clerk saw it.
func removeConflicts(row string, now, seen map[string]any) []FieldConflict {
	var conflicts []FieldConflict
	for _, f := range sortedFieldNames(seen) {
		if !sameValue(now[f], seen[f]) {
			conflicts = append(conflicts, FieldConflict{Row: row, Field: f, Seen: show(seen[f]), Now: show(now[f]), Want: "(removed)"})
		}
	}
	return conflicts
}

// addRow POSTs a new line or posting through its navigation.
func (c *Client) addRow(ctx context.Context, res *CorrectionResult, row, u string, body map[string]any) error {
	_, etag, err := c.post(ctx, "correct: add "+row, c.prof.SupplierInvoices.Projection, u, body)
	res.Attempts = append(res.Attempts, PatchAttempt{Row: row, Method: http.MethodPost, Fields: sortedFieldNames(body),
		ETagNew: etag, Status: statusOf(nil, err)})
	if err != nil {
		return fmt.Errorf("correct: add %s: %w", row, err)
	}
	return nil
}

// removeRow DELETEs a line or posting the correction no longer has, with
// If-Match, after checking that nobody changed it since the clerk saw it.
func (c *Client) removeRow(ctx context.Context, res *CorrectionResult, row, u string, encode func(Row) map[string]any, seen map[string]any) error {
	op := "correct: remove " + row
	projection := c.prof.SupplierInvoices.Projection
	for attempt := 0; ; attempt++ {
		cur, etag, err := c.getRow(ctx, op, projection, u)
		if domain.KindOf(err) == domain.KindNotFound {
			return nil // already gone
		}
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if conflicts := removeConflicts(row, encode(cur), seen); len(conflicts) > 0 {
			return &ConflictError{Conflicts: conflicts}
		}
		if etag == "" {
			return &Error{Op: op, Kind: domain.KindInvalid, Message: "IFS sent no ETag; refusing a DELETE without If-Match"}
		}
		resp, err := c.do(ctx, request{op: op, projection: projection, method: http.MethodDelete, url: u,
			header: http.Header{"If-Match": {etag}}, retrySafe: true})
		res.Attempts = append(res.Attempts, PatchAttempt{Row: row, Method: http.MethodDelete, ETagRead: etag, IfMatch: etag, Status: statusOf(resp, err)})
		if err != nil {
			if domain.KindOf(err) == domain.KindNotFound {
				return nil
			}
			if domain.KindOf(err) == domain.KindConflict && attempt < c.cfg.MaxConflictRetries {
				continue
			}
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
	}
}

// changedFieldNames lists the fields whose value differs between a and b.
func changedFieldNames(a, b map[string]any) []string {
	var out []string
	for k := range b {
		if !sameValue(a[k], b[k]) {
			out = append(out, k)
		}
	}
	// A field only a has is not cleared: IFS keeps its value (a PATCH
	// only sends what it changes).
	slices.Sort(out)
	return out
}

func sortedFieldNames(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sameValue compares two encoded field values; decimals by value, so that
// 100 and 100.00 are the same amount.
func sameValue(a, b any) bool {
	sa, sb := show(a), show(b)
	if sa == sb {
		return true
	}
	da, errA := money.Parse(sa)
	db, errB := money.Parse(sb)
	return errA == nil && errB == nil && da.Equal(db)
}

// show is a value as the clerk reads it.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(bytes.Trim(b, `"`))
}

// statusOf is the HTTP status of a write's answer, 0 when none came.
func statusOf(resp *response, err error) int {
	if resp != nil {
		return resp.status
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	if err == nil {
		return http.StatusCreated
	}
	return 0
}
