package ifs

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// plannedWrite is one write of a correction planned from a fresh read.
type plannedWrite struct {
	row    string
	method string
	url    string         // absolute
	body   map[string]any // nil for DELETE
	etag   string         // read before; sent as If-Match (PATCH, DELETE)
}

// correctBatch plans every write of the correction from fresh reads and
// sends them in one $batch change set. IFS applies a change set all or
// nothing, so after a 412 on any row nothing was written and the whole
// correction is planned again (fields someone else changed that the
// correction changes too are then a ConflictError), at most
// Config.MaxConflictRetries times.
func (c *Client) correctBatch(ctx context.Context, res *CorrectionResult, seen, want domain.SupplierInvoice) error {
	inv := &c.prof.SupplierInvoices
	op := fmt.Sprintf("correct invoice %s/%d in one change set", seen.Company, seen.InvoiceID)
	for attempt := 0; ; attempt++ {
		plan, err := c.planCorrection(ctx, seen, want)
		if err != nil {
			return err
		}
		if len(plan) == 0 {
			return nil
		}
		root := c.serviceURL(inv) + "/"
		ops := make([]batchOp, len(plan))
		for i, w := range plan {
			if w.method != http.MethodPost && w.etag == "" {
				return &Error{Op: op, Kind: domain.KindInvalid,
					Message: "IFS sent no ETag for " + w.row + ", and a write without If-Match would be an upsert; refusing"}
			}
			ops[i] = batchOp{method: w.method, url: strings.TrimPrefix(w.url, root), ifMatch: w.etag}
			if w.body != nil {
				ops[i].body = w.body
			}
		}
		body, ctype, err := encodeChangeSet(ops)
		if err != nil {
			return &Error{Op: op, Kind: domain.KindInvalid, Err: err}
		}
		resp, err := c.do(ctx, request{op: op, projection: inv.Projection, method: http.MethodPost,
			url: c.serviceURL(inv) + "/$batch", body: body, ctype: ctype, header: http.Header{"Accept": {"multipart/mixed"}},
			// Every write in it is conditional: a repeat after a lost
			// answer meets 412 (or 404 for a removed row), never a double.
			retrySafe: true})
		var results []batchResult
		if err == nil {
			if results, err = decodeBatch(resp.header.Get("Content-Type"), resp.body); err != nil {
				err = &Error{Op: op, Status: resp.status, Kind: domain.KindTransient, Message: err.Error()}
			}
		}
		// A change set that failed comes back as one answer (OData v4.01
		// §11.7.4): that status is every write's.
		var failed error
		for _, r := range results {
			if r.status >= 400 {
				failed = parseError(op, inv.Projection, r.status, r.header, r.body, c.clock.Now())
				break
			}
		}
		if err == nil && failed == nil && len(results) != len(plan) {
			err = &Error{Op: op, Status: resp.status, Kind: domain.KindTransient,
				Message: fmt.Sprintf("$batch answered %d parts for %d requests", len(results), len(plan))}
		}
		for i, w := range plan {
			a := PatchAttempt{Row: w.row, Method: w.method, Fields: sortedFieldNames(w.body), ETagRead: w.etag, Status: statusOf(resp, err)}
			if w.method != http.MethodPost {
				a.IfMatch = w.etag
			}
			switch {
			case failed != nil:
				a.Status = statusOf(nil, failed)
			case err == nil:
				a.Status, a.ETagNew = results[i].status, results[i].header.Get("ETag")
			}
			res.Attempts = append(res.Attempts, a)
		}
		if err == nil {
			err = failed
		}
		if err != nil {
			if domain.KindOf(err) == domain.KindConflict && attempt < c.cfg.MaxConflictRetries {
				continue // 412: nothing was written; read again and decide
			}
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
	}
}

// planCorrection reads header, lines and postings with their ETags and
// returns the writes that bring the invoice from seen to want: PATCHes of
// the differing fields, POSTs of new rows through their navigations and
// DELETEs of rows the correction no longer has (a row already gone is
// left out). Fields someone changed that the correction changes too are a
// ConflictError.
func (c *Client) planCorrection(ctx context.Context, seen, want domain.SupplierInvoice) ([]plannedWrite, error) {
	p := c.prof
	var plan []plannedWrite
	var conflicts []FieldConflict
	projection := p.SupplierInvoices.Projection
	patch := func(row, u string, encode func(Row) map[string]any, s, w map[string]any) error {
		changes := changedFieldNames(s, w)
		if len(changes) == 0 {
			return nil
		}
		cur, etag, err := c.getRow(ctx, "correct "+row, projection, u)
		if err != nil {
			return fmt.Errorf("correct %s: %w", row, err)
		}
		body, cf := rowDiff(row, encode(cur), s, w, changes)
		conflicts = append(conflicts, cf...)
		if len(cf) == 0 && len(body) > 0 {
			plan = append(plan, plannedWrite{row: row, method: http.MethodPatch, url: u, body: body, etag: etag})
		}
		return nil
	}
	remove := func(row, u string, encode func(Row) map[string]any, s map[string]any) error {
		cur, etag, err := c.getRow(ctx, "correct: remove "+row, projection, u)
		if domain.KindOf(err) == domain.KindNotFound {
			return nil // already gone
		}
		if err != nil {
			return fmt.Errorf("correct: remove %s: %w", row, err)
		}
		cf := removeConflicts(row, encode(cur), s)
		conflicts = append(conflicts, cf...)
		if len(cf) == 0 {
			plan = append(plan, plannedWrite{row: row, method: http.MethodDelete, url: u, etag: etag})
		}
		return nil
	}
	hdr := c.invoiceURL(seen.Company, seen.InvoiceID)
	if err := patch("header", hdr, func(r Row) map[string]any { return encodeInvoice(p, decodeInvoice(p, r)) },
		encodeInvoice(p, seen), encodeInvoice(p, want)); err != nil {
		return nil, err
	}
	lines := hdr + "/" + p.InvoiceLines.Navigation
	encLine := func(r Row) map[string]any { return encodeInvoiceLine(p, decodeInvoiceLine(p, r)) }
	for i := range max(len(seen.Lines), len(want.Lines)) {
		row := fmt.Sprintf("line %d", i+1)
		var err error
		switch {
		case i < len(seen.Lines) && i < len(want.Lines):
			u := lines + c.childKey(&p.InvoiceLines, seen.Company, seen.InvoiceID, "ItemId", seen.Lines[i].ItemID)
			err = patch(row, u, encLine, encodeInvoiceLine(p, seen.Lines[i]), encodeInvoiceLine(p, want.Lines[i]))
		case i < len(want.Lines):
			plan = append(plan, plannedWrite{row: row, method: http.MethodPost, url: lines, body: encodeInvoiceLine(p, want.Lines[i])})
		default:
			u := lines + c.childKey(&p.InvoiceLines, seen.Company, seen.InvoiceID, "ItemId", seen.Lines[i].ItemID)
			err = remove(row, u, encLine, encodeInvoiceLine(p, seen.Lines[i]))
		}
		if err != nil {
			return nil, err
		}
	}
	posts := hdr + "/" + p.PostingProposal.Navigation
	encPost := func(r Row) map[string]any { return encodePosting(p, decodePosting(p, r)) }
	for i := range max(len(seen.Postings), len(want.Postings)) {
		row := fmt.Sprintf("posting %d", i+1)
		var err error
		switch {
		case i < len(seen.Postings) && i < len(want.Postings):
			u := posts + c.childKey(&p.PostingProposal, seen.Company, seen.InvoiceID, "RowNo", seen.Postings[i].RowNo)
			err = patch(row, u, encPost, encodePosting(p, seen.Postings[i]), encodePosting(p, want.Postings[i]))
		case i < len(want.Postings):
			plan = append(plan, plannedWrite{row: row, method: http.MethodPost, url: posts, body: encodePosting(p, want.Postings[i])})
		default:
			u := posts + c.childKey(&p.PostingProposal, seen.Company, seen.InvoiceID, "RowNo", seen.Postings[i].RowNo)
			err = remove(row, u, encPost, encodePosting(p, seen.Postings[i]))
		}
		if err != nil {
			return nil, err
		}
	}
	if len(conflicts) > 0 {
		return nil, &ConflictError{Conflicts: conflicts}
	}
	return plan, nil
}
