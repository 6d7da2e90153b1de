package ifs

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// SelfBillingQuery selects the self-billing invoices that may need an 810.
type SelfBillingQuery struct {
	Company string
	// Suppliers are the suppliers marked self-billing in the mappings; an
	// invoice of any other supplier is never sent.
	Suppliers []string
	// Since bounds CreationDate from below; zero = no bound. It applies only
	// when the tenant has no EdiSent field (see SelfBillingProfile).
	Since time.Time
}

// HasSentMarker reports whether the profile names an "already sent" field
// the connector can set after sending (supplier_invoices field EdiSent).
func (c *Client) HasSentMarker() bool { return c.prof.SupplierInvoices.Field("EdiSent") != "" }

// SelfBillingInvoices lists the self-billing supplier invoices that are due
// to be sent: of the given suppliers, in the profile's self_billing states,
// marked self-billing and not yet marked sent where the tenant has those
// fields, each read with its lines (one request per invoice; the listing
// follows server paging). Invoices come oldest first by CreationDate, then
// InvoiceId, so a credit note follows the invoice it corrects.
//
// Suppliers are combined with "or" rather than OData 4.01's "in", which an
// OData 4.0 service need not support (OData v4.0 Part 2 §5.1.1.1 has no in).
func (c *Client) SelfBillingInvoices(ctx context.Context, q SelfBillingQuery) ([]domain.SupplierInvoice, error) {
	if len(q.Suppliers) == 0 {
		return nil, nil
	}
	res := &c.prof.SupplierInvoices
	f := fieldsOf{res}
	sups := make([]Value, len(q.Suppliers))
	for i, s := range q.Suppliers {
		sups[i] = Str(s)
	}
	conds := []Expr{Eq(f.n("Company"), Str(q.Company)), In(f.n("Identity"), sups...)}
	if n := f.n("SelfBilling"); n != "" {
		conds = append(conds, Eq(n, Bool(true)))
	}
	if n := f.n("EdiSent"); n != "" {
		conds = append(conds, Eq(n, Bool(false)))
	} else if n := f.n("CreationDate"); n != "" && !q.Since.IsZero() {
		conds = append(conds, Ge(n, DateTime(q.Since)))
	}
	states := c.prof.SelfBilling.States
	var stateExpr Expr
	if res.StateEnum != "" {
		vs := make([]Value, len(states))
		for i, s := range states {
			vs[i] = res.Enum(res.StateEnum, s)
		}
		stateExpr = In(f.n("Objstate"), vs...)
	}
	order := []string{f.n("InvoiceId")}
	if n := f.n("CreationDate"); n != "" {
		order = []string{n, f.n("InvoiceId")}
	}
	read := func(withStates bool) ([]domain.SupplierInvoice, error) {
		filter := And(conds...)
		if withStates {
			filter = And(append(slices.Clone(conds), stateExpr)...)
		}
		var heads []domain.SupplierInvoice
		err := c.list(ctx, "list self-billing invoices", res.Projection, withQuery(c.setURL(res), Query{Filter: filter, OrderBy: order}), func(r Row) error {
			inv := decodeInvoice(c.prof, r)
			// States are checked here as well: the tenant may have
			// rejected the state filter (profile state_filter).
			if !slices.Contains(states, inv.State) || inv.Sent {
				return nil
			}
			if f.n("SelfBilling") != "" && !inv.SelfBilling {
				return nil
			}
			heads = append(heads, inv)
			return nil
		})
		return heads, err
	}
	serverStates := !stateExpr.IsZero() && c.prof.StateFilter != "client" && !c.stateFilterRejected.Load()
	heads, err := read(serverStates)
	if err != nil && serverStates && c.prof.StateFilter == "auto" && errIsStateFilterRejection(err) {
		if heads, err = read(false); err == nil {
			c.stateFilterRejected.Store(true)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("list self-billing invoices of %s: %w", q.Company, err)
	}
	out := make([]domain.SupplierInvoice, 0, len(heads))
	for _, h := range heads {
		full, err := c.SupplierInvoice(ctx, h.Company, h.InvoiceID)
		if err != nil {
			return nil, err
		}
		out = append(out, *full)
	}
	return out, nil
}

// sentMarkerEntity changes only the "already sent" marker of an invoice.
var sentMarkerEntity = Entity[domain.SupplierInvoice]{
	Name:   ResSupplierInvoices,
	Decode: decodeInvoice,
	Encode: func(p *Profile, inv domain.SupplierInvoice) map[string]any {
		m := map[string]any{}
		if n := p.SupplierInvoices.Field("EdiSent"); n != "" {
			m[n] = inv.Sent
		}
		return m
	},
	SetETag: func(v *domain.SupplierInvoice, e string) { v.ETag = e },
}

// MarkSelfBillingSent sets the invoice's "already sent" marker, reading its
// ETag first and PATCHing with If-Match (re-reading on 412, see Update), so
// that neither this app nor a person sends it twice. An invoice already
// marked is left alone. Without an EdiSent field in the profile it returns
// a KindInvalid error and changes nothing: the connector's store is then
// the only record.
func (c *Client) MarkSelfBillingSent(ctx context.Context, company string, invoiceID int64) (domain.SupplierInvoice, error) {
	if !c.HasSentMarker() {
		return domain.SupplierInvoice{}, &Error{Op: "mark self-billing invoice sent", Kind: domain.KindInvalid,
			Message: "the resource profile names no EdiSent field for supplier invoices"}
	}
	return Update(ctx, c, sentMarkerEntity, c.invoiceKey(company, invoiceID), func(inv *domain.SupplierInvoice) error {
		inv.Sent = true
		return nil
	})
}
