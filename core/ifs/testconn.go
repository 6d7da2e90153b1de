package ifs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// TestConnection checks the connection step by step for the admin screen:
// a fresh token, then one small read of each resource of the profile. Each
// failed step says in plain words what to fix; steps after a failed token
// are skipped. It never writes.
func (c *Client) TestConnection(ctx context.Context) domain.TestReport {
	rep := domain.TestReport{Target: "IFS Cloud"}
	step := func(name string, fn func() (string, error)) bool {
		start := c.clock.Now()
		detail, err := fn()
		s := domain.TestStep{Name: name, OK: err == nil, Detail: detail, Duration: c.clock.Now().Sub(start)}
		if err != nil {
			s.Detail = err.Error()
			s.Fix = fixFor(err)
			if s.Fix == "" {
				s.Fix = "See the detail; check the connection settings and the resource profile."
			}
		}
		rep.Steps = append(rep.Steps, s)
		return err == nil
	}
	tokenOK := step("Get token", func() (string, error) {
		c.tokens.Invalidate(c.tokens.current())
		if _, err := c.tokens.Token(ctx); err != nil {
			return "", err
		}
		return "token from " + c.cfg.TokenURL, nil
	})
	p := c.prof
	var firstInvoice *domain.SupplierInvoice
	checks := []struct {
		name string
		fn   func() (string, error)
	}{
		{"Read purchase orders (" + p.PurchaseOrders.EntitySet + ")", func() (string, error) {
			return c.probe(ctx, &p.PurchaseOrders, c.setURL(&p.PurchaseOrders), nil)
		}},
		{"Read purchase order lines (" + p.PurchaseOrderLines.EntitySet + ")", func() (string, error) {
			return c.probe(ctx, &p.PurchaseOrderLines, c.setURL(&p.PurchaseOrderLines), nil)
		}},
		{"Read suppliers (" + p.Suppliers.EntitySet + ")", func() (string, error) {
			return c.probe(ctx, &p.Suppliers, c.setURL(&p.Suppliers), nil)
		}},
		{"Read accounts (code part A)", func() (string, error) {
			if c.cfg.Company == "" {
				return "", &Error{Op: "read accounts", Kind: domain.KindConfig, Message: "no company configured"}
			}
			u := c.setURL(&p.CodeParts) + Key{{p.CodeParts.Field("Company"), Str(c.cfg.Company)}}.String() + "/" +
				strings.ReplaceAll(p.CodeParts.Navigation, "{Part}", "A")
			return c.probe(ctx, &p.CodeParts, u, nil)
		}},
		{"Read supplier invoices (" + p.SupplierInvoices.EntitySet + ")", func() (string, error) {
			return c.probe(ctx, &p.SupplierInvoices, c.setURL(&p.SupplierInvoices), func(r Row) {
				inv := decodeInvoice(p, r)
				firstInvoice = &inv
			})
		}},
		{"Invoice lines (" + p.InvoiceLines.Navigation + ")", func() (string, error) {
			return c.probeNav(ctx, firstInvoice, p.InvoiceLines.Navigation)
		}},
		{"Posting proposal (" + p.PostingProposal.Navigation + ")", func() (string, error) {
			return c.probeNav(ctx, firstInvoice, p.PostingProposal.Navigation)
		}},
	}
	for _, ch := range checks {
		if !tokenOK {
			rep.Steps = append(rep.Steps, domain.TestStep{Name: ch.name, Skipped: true, Detail: "not run: no token"})
			continue
		}
		step(ch.name, ch.fn)
	}
	// Last, so the steps above keep their places in the report.
	if cert := c.certs.Soonest(); !cert.IsZero() {
		rep.Cert = cert
		rep.Steps = append(rep.Steps, domain.CertStep(cert, c.clock.Now(), c.cfg.CertWarnWithin))
	}
	return rep
}

// probe reads the first row of a collection and then its second page, so
// that a paging problem (a next link the client cannot follow) shows in the
// admin's connection test and not in the night's sync. It asks for two rows
// in pages of one (Prefer: odata.maxpagesize=1, Protocol §8.2.8.3); a server
// that ignores the preference answers both in one page, and the step says
// that paging was not exercised.
func (c *Client) probe(ctx context.Context, res *Resource, u string, row func(Row)) (string, error) {
	op := "read " + strings.TrimPrefix(u, c.base.String())
	first := withQuery(u, Query{Top: 2})
	prefer := http.Header{"Prefer": {"odata.maxpagesize=1"}}
	resp, err := c.do(ctx, request{op: op, projection: res.Projection, method: http.MethodGet, url: first, header: prefer})
	if err != nil {
		return "", err
	}
	var page struct {
		Context  string `json:"@odata.context"`
		Value    []Row  `json:"value"`
		NextLink string `json:"@odata.nextLink"`
	}
	if err := json.Unmarshal(resp.body, &page); err != nil {
		return "", &Error{Op: "read " + res.EntitySet, Status: resp.status, Kind: domain.KindInvalid, Message: "the answer is not an OData collection"}
	}
	if len(page.Value) > 0 && row != nil {
		row(page.Value[0])
	}
	switch {
	case len(page.Value) == 0:
		return fmt.Sprintf("reachable on /%s, no rows visible (check the service user's company and site access if rows are expected)", res.Prefix), nil
	case page.NextLink == "" && len(page.Value) == 1:
		return fmt.Sprintf("reachable on /%s, one row visible (paging not exercised)", res.Prefix), nil
	case page.NextLink == "":
		return fmt.Sprintf("reachable on /%s, rows visible (the server sent them in one page; paging not exercised)", res.Prefix), nil
	}
	next, err := c.resolveNext(first, page.Context, page.NextLink)
	if err != nil {
		return "", &Error{Op: op + " page 2", Kind: domain.KindInvalid, Message: err.Error()}
	}
	resp, err = c.do(ctx, request{op: op + " page 2", projection: res.Projection, method: http.MethodGet, url: next, header: prefer})
	if err != nil {
		return "", err
	}
	var page2 struct {
		Value []Row `json:"value"`
	}
	if err := json.Unmarshal(resp.body, &page2); err != nil {
		return "", &Error{Op: op + " page 2", Status: resp.status, Kind: domain.KindInvalid, Message: "the second page is not an OData collection"}
	}
	return fmt.Sprintf("reachable on /%s, rows visible, page 2 read through the server's next link", res.Prefix), nil
}

// probeNav checks an invoice navigation: on an existing invoice when there
// is one, else by its presence in $metadata.
func (c *Client) probeNav(ctx context.Context, inv *domain.SupplierInvoice, nav string) (string, error) {
	res := &c.prof.SupplierInvoices
	if inv != nil && inv.InvoiceID != 0 {
		return c.probe(ctx, res, c.invoiceURL(inv.Company, inv.InvoiceID)+"/"+nav, nil)
	}
	resp, err := c.do(ctx, request{op: "read $metadata", projection: res.Projection, method: http.MethodGet,
		url: c.serviceURL(res) + "/$metadata", header: http.Header{"Accept": {"application/xml"}}})
	if err != nil {
		return "", err
	}
	if !strings.Contains(string(resp.body), `Name="`+nav+`"`) {
		return "", &Error{Op: "read $metadata", Kind: domain.KindNotFound,
			Message: fmt.Sprintf("%s has no navigation %s", res.Projection, nav)}
	}
	return "declared in $metadata (no invoice yet to read from)", nil
}

// current returns the cached token, if any.
func (t *tokenCache) current() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tok
}
