package ifs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// invoiceKey is the key of a supplier invoice header.
func (c *Client) invoiceKey(company string, id int64) Key {
	res := &c.prof.SupplierInvoices
	return Key{{res.Field("Company"), Str(company)}, {res.Field("InvoiceId"), Int(id)}}
}

func (c *Client) invoiceURL(company string, id int64) string {
	return c.setURL(&c.prof.SupplierInvoices) + c.invoiceKey(company, id).String()
}

// FindSupplierInvoice looks an invoice up by company, supplier and the
// supplier's invoice number: the de-duplication check that must precede a
// create, since IFS has no idempotency key. It returns nil, nil when there
// is none. Cancelled invoices are ignored (IFS allows reusing their
// number). The result has no Lines or Postings; SupplierInvoice reads them.
func (c *Client) FindSupplierInvoice(ctx context.Context, company, supplierID, invoiceNo string) (*domain.SupplierInvoice, error) {
	res := &c.prof.SupplierInvoices
	f := fieldsOf{res}
	q := Query{Filter: And(
		Eq(f.n("Company"), Str(company)),
		Eq(f.n("Identity"), Str(supplierID)),
		Eq(f.n("InvoiceNo"), Str(invoiceNo)),
	)}
	var found *domain.SupplierInvoice
	err := c.list(ctx, "find invoice "+invoiceNo, res.Projection, withQuery(c.setURL(res), q), func(r Row) error {
		inv := decodeInvoice(c.prof, r)
		if inv.State == "Cancelled" || found != nil {
			return nil
		}
		found = &inv
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find supplier invoice %s of %s: %w", invoiceNo, supplierID, err)
	}
	return found, nil
}

// SupplierInvoice reads an invoice header with its lines and posting proposal.
func (c *Client) SupplierInvoice(ctx context.Context, company string, invoiceID int64) (*domain.SupplierInvoice, error) {
	res := &c.prof.SupplierInvoices
	u := c.invoiceURL(company, invoiceID)
	op := fmt.Sprintf("read invoice %s/%d", company, invoiceID)
	row, etag, err := c.getRow(ctx, op, res.Projection, u)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	inv := decodeInvoice(c.prof, row)
	if etag != "" {
		inv.ETag = etag
	}
	// Without $orderby a collection comes in the server's order (OData
	// Protocol §11.2.6.2), and a correction pairs lines and postings by
	// position: ask for item and row order.
	lines := withQuery(u+"/"+c.prof.InvoiceLines.Navigation, Query{OrderBy: []string{c.prof.InvoiceLines.Field("ItemId")}})
	err = c.list(ctx, op, res.Projection, lines, func(r Row) error {
		inv.Lines = append(inv.Lines, decodeInvoiceLine(c.prof, r))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s lines: %w", op, err)
	}
	posts := withQuery(u+"/"+c.prof.PostingProposal.Navigation, Query{OrderBy: []string{c.prof.PostingProposal.Field("RowNo")}})
	err = c.list(ctx, op, res.Projection, posts, func(r Row) error {
		inv.Postings = append(inv.Postings, decodePosting(c.prof, r))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s posting proposal: %w", op, err)
	}
	return &inv, nil
}

// ErrPartialInvoice marks a step-by-step create whose compensation failed:
// a header without all its lines is left in IFS and a person must delete it.
var ErrPartialInvoice = errors.New("invoice partly created in IFS and could not be removed")

// CreateSupplierInvoice creates a manual supplier invoice with its lines and
// posting proposal and returns it as IFS stored it (InvoiceId, ItemIds,
// RowNos, ETag).
//
// The caller should have checked FindSupplierInvoice first. With the
// profile's batch on, everything goes in one $batch change set, so IFS
// stores all of it or nothing; otherwise the invoice is looked up once
// more (an existing one is a KindConflict error), then header, lines and
// postings are posted one by one, and a failure after the header deletes
// the header again (compensation).
//
// A POST is never repeated blindly: when the outcome of a try is unknown
// (5xx, gateway page, lost connection) the invoice is looked up first, and
// only if it is absent is the create tried again, at most
// Config.MaxCreateAttempts times. A business-rule refusal (unknown supplier,
// invalid account, duplicate number) is returned at once.
func (c *Client) CreateSupplierInvoice(ctx context.Context, inv domain.SupplierInvoice) (*domain.SupplierInvoice, error) {
	if inv.Company == "" {
		inv.Company = c.cfg.Company
	}
	op := "create supplier invoice " + inv.InvoiceNo
	if inv.Company == "" || inv.SupplierID == "" || inv.InvoiceNo == "" {
		return nil, &Error{Op: op, Kind: domain.KindInvalid, Message: "company, supplier and invoice number are required"}
	}
	if !c.batchMode() {
		// Step by step, a lost answer can leave a header behind that a
		// retry must remove; checking first makes sure that whatever is
		// found later is ours, never someone else's invoice.
		found, err := c.FindSupplierInvoice(ctx, inv.Company, inv.SupplierID, inv.InvoiceNo)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if found != nil {
			return nil, &Error{Op: op, Kind: domain.KindConflict,
				Message: fmt.Sprintf("supplier %s already has invoice %s in IFS (invoice id %d)", inv.SupplierID, inv.InvoiceNo, found.InvoiceID)}
		}
	}
	policy := c.cfg.Retry
	if policy.BaseDelay == 0 {
		policy.BaseDelay = time.Second
	}
	var lastErr error
	for attempt := 1; attempt <= c.cfg.MaxCreateAttempts; attempt++ {
		created, err := c.createOnce(ctx, inv)
		if err == nil {
			return created, nil
		}
		lastErr = err
		if !outcomeUnknown(err) || errors.Is(err, ErrPartialInvoice) || ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		// Did IFS store it although the answer was lost?
		found, ferr := c.FindSupplierInvoice(ctx, inv.Company, inv.SupplierID, inv.InvoiceNo)
		if ferr != nil {
			return nil, fmt.Errorf("%s: %w (and the check whether it was stored failed: %v)", op, err, ferr)
		}
		if found != nil {
			full, rerr := c.SupplierInvoice(ctx, found.Company, found.InvoiceID)
			if rerr != nil {
				return found, nil
			}
			if !c.batchMode() && (len(full.Lines) < len(inv.Lines) || len(full.Postings) < len(inv.Postings)) {
				// A step-by-step header whose answer was lost: our own
				// orphan (the caller checked before creating). Remove it.
				if derr := c.deleteInvoice(ctx, full.Company, full.InvoiceID); derr != nil {
					return nil, fmt.Errorf("%s: %w: invoice id %d: %v", op, ErrPartialInvoice, full.InvoiceID, derr)
				}
			} else {
				return full, nil
			}
		}
		if attempt == c.cfg.MaxCreateAttempts {
			break
		}
		wait := policy.Backoff(attempt)
		var ie *Error
		if errors.As(err, &ie) && ie.Retry > wait {
			wait = ie.Retry
		}
		if serr := c.clock.Sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%s: %w", op, serr)
		}
	}
	return nil, fmt.Errorf("%s: gave up after %d attempts: %w", op, c.cfg.MaxCreateAttempts, lastErr)
}

// outcomeUnknown reports failures after which IFS may or may not have
// stored the write.
func outcomeUnknown(err error) bool {
	switch domain.KindOf(err) {
	case domain.KindTransient, domain.KindUnknown:
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	case domain.KindRateLimited:
		return true // proven not processed, so the lookup will say absent: fine
	}
	return false
}

func (c *Client) batchMode() bool { return c.prof.Batch }

func (c *Client) createOnce(ctx context.Context, inv domain.SupplierInvoice) (*domain.SupplierInvoice, error) {
	if c.batchMode() {
		return c.createBatch(ctx, inv)
	}
	return c.createSteps(ctx, inv)
}

func (c *Client) createBatch(ctx context.Context, inv domain.SupplierInvoice) (*domain.SupplierInvoice, error) {
	res := &c.prof.SupplierInvoices
	ops := []batchOp{{method: http.MethodPost, url: res.EntitySet, body: encodeInvoice(c.prof, inv)}}
	for _, l := range inv.Lines {
		ops = append(ops, batchOp{method: http.MethodPost, url: "$1/" + c.prof.InvoiceLines.Navigation, body: encodeInvoiceLine(c.prof, l)})
	}
	for _, p := range inv.Postings {
		ops = append(ops, batchOp{method: http.MethodPost, url: "$1/" + c.prof.PostingProposal.Navigation, body: encodePosting(c.prof, p)})
	}
	body, ctype, err := encodeChangeSet(ops)
	if err != nil {
		return nil, &Error{Op: "encode $batch", Kind: domain.KindInvalid, Err: err}
	}
	op := "post $batch " + inv.InvoiceNo
	resp, err := c.do(ctx, request{op: op, projection: res.Projection, method: http.MethodPost,
		url: c.serviceURL(res) + "/$batch", body: body, ctype: ctype, header: http.Header{"Accept": {"multipart/mixed"}}})
	if err != nil {
		return nil, err
	}
	results, err := decodeBatch(resp.header.Get("Content-Type"), resp.body)
	if err != nil {
		// A 200 we cannot read: the outcome is unknown.
		return nil, &Error{Op: op, Status: resp.status, Kind: domain.KindTransient, Message: err.Error()}
	}
	for _, r := range results {
		if r.status >= 400 {
			return nil, parseError(op, res.Projection, r.status, r.header, r.body, c.clock.Now())
		}
	}
	if len(results) != len(ops) {
		return nil, &Error{Op: op, Status: resp.status, Kind: domain.KindTransient,
			Message: fmt.Sprintf("$batch answered %d parts for %d requests", len(results), len(ops))}
	}
	out := inv
	out.Lines, out.Postings = nil, nil
	for i, r := range results {
		var row Row
		if err := json.Unmarshal(r.body, &row); err != nil {
			return nil, &Error{Op: op, Status: r.status, Kind: domain.KindTransient, Message: "unreadable $batch part: " + err.Error()}
		}
		switch {
		case i == 0:
			out = mergeHeader(out, decodeInvoice(c.prof, row))
			if et := r.header.Get("ETag"); et != "" {
				out.ETag = et
			}
		case i <= len(inv.Lines):
			out.Lines = append(out.Lines, decodeInvoiceLine(c.prof, row))
		default:
			out.Postings = append(out.Postings, decodePosting(c.prof, row))
		}
	}
	return &out, nil
}

// mergeHeader takes server-assigned values from got into want.
func mergeHeader(want, got domain.SupplierInvoice) domain.SupplierInvoice {
	want.InvoiceID = got.InvoiceID
	want.ETag = got.ETag
	want.State = got.State
	if got.Currency != "" {
		want.Currency = got.Currency
	}
	if got.PayTermID != "" {
		want.PayTermID = got.PayTermID
	}
	if !got.DueDate.IsZero() {
		want.DueDate = got.DueDate
	}
	if !got.GrossAmount.IsZero() {
		want.GrossAmount = got.GrossAmount
	}
	return want
}

func (c *Client) post(ctx context.Context, op, projection, u string, body any) (Row, string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, "", &Error{Op: op, Kind: domain.KindInvalid, Err: err}
	}
	resp, err := c.do(ctx, request{op: op, projection: projection, method: http.MethodPost, url: u, body: b,
		header: http.Header{"Prefer": {"return=representation"}}})
	if err != nil {
		return nil, "", err
	}
	var row Row
	if len(resp.body) > 0 {
		if err := json.Unmarshal(resp.body, &row); err != nil {
			return nil, "", &Error{Op: op, Status: resp.status, Kind: domain.KindTransient, Message: "unreadable created entity: " + err.Error()}
		}
	}
	etag := resp.header.Get("ETag")
	if etag == "" {
		etag = row.str("@odata.etag")
	}
	return row, etag, nil
}

func (c *Client) createSteps(ctx context.Context, inv domain.SupplierInvoice) (*domain.SupplierInvoice, error) {
	res := &c.prof.SupplierInvoices
	op := "post invoice " + inv.InvoiceNo
	row, etag, err := c.post(ctx, op, res.Projection, c.setURL(res), encodeInvoice(c.prof, inv))
	if err != nil {
		return nil, err
	}
	out := mergeHeader(inv, decodeInvoice(c.prof, row))
	if etag != "" {
		out.ETag = etag
	}
	if out.InvoiceID == 0 {
		return nil, &Error{Op: op, Kind: domain.KindInvalid, Message: "IFS created the header but returned no InvoiceId"}
	}
	out.Lines, out.Postings = nil, nil
	u := c.invoiceURL(out.Company, out.InvoiceID)
	fail := func(step string, err error) (*domain.SupplierInvoice, error) {
		// Compensate even when the caller's context is done, but not forever.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if derr := c.deleteInvoice(cctx, out.Company, out.InvoiceID); derr != nil {
			return nil, fmt.Errorf("%s: %w; %w: invoice id %d: %v", step, err, ErrPartialInvoice, out.InvoiceID, derr)
		}
		return nil, fmt.Errorf("%s (invoice header %d removed again): %w", step, out.InvoiceID, err)
	}
	for i, l := range inv.Lines {
		step := fmt.Sprintf("post invoice %s line %d", inv.InvoiceNo, i+1)
		row, _, err := c.post(ctx, step, res.Projection, u+"/"+c.prof.InvoiceLines.Navigation, encodeInvoiceLine(c.prof, l))
		if err != nil {
			return fail(step, err)
		}
		out.Lines = append(out.Lines, decodeInvoiceLine(c.prof, row))
	}
	for i, p := range inv.Postings {
		step := fmt.Sprintf("post invoice %s posting %d", inv.InvoiceNo, i+1)
		row, _, err := c.post(ctx, step, res.Projection, u+"/"+c.prof.PostingProposal.Navigation, encodePosting(c.prof, p))
		if err != nil {
			return fail(step, err)
		}
		out.Postings = append(out.Postings, decodePosting(c.prof, row))
	}
	return &out, nil
}

// deleteInvoice removes a header (compensation), reading its current ETag
// first; a 412 re-reads, a 404 means it is already gone.
func (c *Client) deleteInvoice(ctx context.Context, company string, id int64) error {
	res := &c.prof.SupplierInvoices
	u := c.invoiceURL(company, id)
	op := fmt.Sprintf("delete invoice %s/%d", company, id)
	for attempt := 0; ; attempt++ {
		_, etag, err := c.getRow(ctx, op, res.Projection, u)
		if domain.KindOf(err) == domain.KindNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if etag == "" {
			etag = "*" // compensation of our own header: no one else edits it
		}
		_, err = c.do(ctx, request{op: op, projection: res.Projection, method: http.MethodDelete, url: u,
			header: http.Header{"If-Match": {etag}}})
		switch domain.KindOf(err) {
		case domain.KindNotFound:
			return nil
		case domain.KindConflict:
			if attempt < c.cfg.MaxConflictRetries {
				continue
			}
		}
		return err
	}
}
