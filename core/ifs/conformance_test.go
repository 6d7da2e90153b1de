package ifs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// The conformance suite drives the client against the IFS sandbox, restic
// style: runConformance takes a constructor, so the same cases run against
// ifssim in-process (httptest) and against the `ml-connector sandbox`
// process (process_test.go, MLC_PROCESS_TESTS=1).

// simOptions are sandbox settings a case needs at start-up.
type simOptions struct {
	PageSize          int  // 0: default
	ObjstateAlways400 bool // imitate the tenant that rejects Objstate filters
	// Links fixes the payload URL forms (nil: the sandbox draws them from
	// the run seed, printed on stderr).
	Links *ifssim.LinkForms
}

// sandboxEnv is a running sandbox and its control surface.
type sandboxEnv interface {
	// ClientConfig is a client config for the full-access client.
	ClientConfig() ifs.Config
	World() *world.World
	SetFaults(t *testing.T, f ifssim.Faults)
	ExpireTokens(t *testing.T)
	Invoices(t *testing.T) []domain.SupplierInvoice
	Stats(t *testing.T) ifssim.Stats
	// Virtual reports a shared virtual clock (retries and Retry-After cost
	// no wall time); false means real time, so cases keep waits short.
	Virtual() bool
	// Advance lets time pass: the virtual clock moves, or the test sleeps.
	Advance(d time.Duration)
}

type newSandbox func(t *testing.T, o simOptions) sandboxEnv

// inProcess runs ifssim on httptest with a virtual clock shared by the
// sandbox (tokens, rate limit) and the client (retries, limiter).
type inProcess struct {
	srv   *ifssim.Server
	hs    *httptest.Server
	clock *httpxtest.Clock
}

func newInProcess(t *testing.T, o simOptions) sandboxEnv {
	clk := httpxtest.NewClock(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	srv := ifssim.New(world.New(1), ifssim.Config{Now: clk.Now, PageSize: o.PageSize, ObjstateFilterAlways400: o.ObjstateAlways400, Links: o.Links})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &inProcess{srv: srv, hs: hs, clock: clk}
}

func (e *inProcess) ClientConfig() ifs.Config {
	return ifs.Config{BaseURL: e.hs.URL, Realm: e.srv.Realm(), ClientID: ifssim.DefaultClientID,
		ClientSecret: ifssim.DefaultClientSecret, Company: e.srv.World().Company.ID, Clock: e.clock}
}
func (e *inProcess) World() *world.World                          { return e.srv.World() }
func (e *inProcess) SetFaults(_ *testing.T, f ifssim.Faults)      { e.srv.SetFaults(f) }
func (e *inProcess) ExpireTokens(*testing.T)                      { e.srv.ExpireTokens() }
func (e *inProcess) Invoices(*testing.T) []domain.SupplierInvoice { return e.srv.Invoices() }
func (e *inProcess) Stats(*testing.T) ifssim.Stats                { return e.srv.Stats() }
func (e *inProcess) Virtual() bool                                { return true }
func (e *inProcess) Advance(d time.Duration)                      { e.clock.Advance(d) }

func TestConformanceInProcess(t *testing.T) {
	runConformance(t, newInProcess)
}

// client builds a client for env with test-friendly retry pacing.
func client(t *testing.T, env sandboxEnv, mod func(*ifs.Config)) (*ifs.Client, *httpx.Counters) {
	t.Helper()
	var cnt httpx.Counters
	cfg := env.ClientConfig()
	cfg.Observer = &cnt
	cfg.RequestsPerMinute = -1
	cfg.Retry = httpx.RetryPolicy{MaxAttempts: 6, BaseDelay: 50 * time.Millisecond, MaxDelay: time.Second}
	if mod != nil {
		mod(&cfg)
	}
	if cfg.Observer != &cnt {
		cfg.Observer = httpx.Observers{&cnt, cfg.Observer}
	}
	c, err := ifs.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, &cnt
}

// testInvoice is a valid invoice for the world: a supplier's open order,
// coded to the order line's account and cost centre.
func testInvoice(w *world.World, no string) domain.SupplierInvoice {
	var po domain.PurchaseOrder
	for _, p := range w.PurchaseOrders {
		if p.State == world.StateReleased || p.State == world.StateConfirmed {
			po = p
			break
		}
	}
	l := po.Lines[0]
	net := l.NetAmount
	tax := net.Mul(money.MustParse("0.25")).Round(2)
	return domain.SupplierInvoice{
		Company: w.Company.ID, InvoiceNo: no, SupplierID: po.SupplierID,
		InvoiceDate: w.Today, DueDate: w.Today.AddDate(0, 0, 30), Currency: po.Currency, PORef: po.OrderNo,
		NetAmount: net, TaxAmount: tax, GrossAmount: net.Add(tax),
		Lines: []domain.SupplierInvoiceLine{{TaxCode: "25", NetAmount: net, TaxAmount: tax,
			OrderNo: po.OrderNo, LineNo: l.LineNo, ReleaseNo: l.ReleaseNo, Text: "EDI 810 line 1"}},
		Postings: []domain.PostingLine{{Code: l.CodeString, Amount: net, Text: "EDI 810"}},
	}
}

func countInvoices(invs []domain.SupplierInvoice, no string) int {
	n := 0
	for _, i := range invs {
		if i.InvoiceNo == no {
			n++
		}
	}
	return n
}

func runConformance(t *testing.T, newSB newSandbox) {
	ctx := context.Background()

	t.Run("ReadPurchaseOrdersWithPaging", func(t *testing.T) {
		env := newSB(t, simOptions{PageSize: 7})
		c, cnt := client(t, env, nil)
		pos, err := c.PurchaseOrders(ctx, ifs.POQuery{})
		if err != nil {
			t.Fatal(err)
		}
		w := env.World()
		if len(pos) != len(w.PurchaseOrders) {
			t.Fatalf("%d orders, world has %d", len(pos), len(w.PurchaseOrders))
		}
		for i, po := range pos {
			want := w.PurchaseOrders[i]
			if po.OrderNo != want.OrderNo || po.State != want.State || po.SupplierID != want.SupplierID ||
				!po.OrderDate.Equal(want.OrderDate) || po.Currency != want.Currency || po.ETag == "" {
				t.Errorf("order %d: got %+v want %+v", i, po, want)
			}
		}
		if pages := (len(w.PurchaseOrders) + 6) / 7; cnt.Snapshot().Requests < int64(pages) {
			t.Errorf("%d requests for %d pages", cnt.Snapshot().Requests, pages)
		}
	})

	// Every URL form a server may use for its payloads, at a page size
	// that pages every read: top-level sets and navigation collections
	// (CompanyFinanceSet(…)/CodeAArray), whose context URL and request URL
	// have different bases (JSON Format v4.01 §4.3).
	t.Run("PagingInEveryLinkForm", func(t *testing.T) {
		for _, forms := range ifssim.AllLinkForms() {
			t.Run(forms.Flag(), func(t *testing.T) {
				env := newSB(t, simOptions{PageSize: 3, Links: &forms})
				c, _ := client(t, env, nil)
				w := env.World()
				pos, err := c.PurchaseOrders(ctx, ifs.POQuery{WithLines: true})
				if err != nil {
					t.Fatal(err)
				}
				if len(pos) != len(w.PurchaseOrders) {
					t.Errorf("%d orders, world has %d", len(pos), len(w.PurchaseOrders))
				}
				sups, err := c.Suppliers(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(sups) != len(w.Suppliers) {
					t.Errorf("%d suppliers, world has %d", len(sups), len(w.Suppliers))
				}
				for part, want := range map[string]int{"A": len(w.Accounts), "B": len(w.CostCentres)} {
					vals, err := c.CodePartValues(ctx, w.Company.ID, part)
					if err != nil {
						t.Fatal(err)
					}
					if len(vals) != want || want <= 3 {
						t.Errorf("code part %s: %d values, want %d over several pages", part, len(vals), want)
					}
				}
			})
		}
	})

	// The connection test reads page two of every resource, in whatever
	// link form the server uses, so paging problems surface there.
	t.Run("ConnectionTestReadsPageTwo", func(t *testing.T) {
		env := newSB(t, simOptions{})
		c, _ := client(t, env, nil)
		rep := c.TestConnection(ctx)
		if !rep.OK() {
			t.Fatalf("report: %+v", rep)
		}
		paged := 0
		for _, s := range rep.Steps {
			if strings.Contains(s.Detail, "page 2 read") {
				paged++
			}
		}
		// Orders, order lines, suppliers, accounts: the world has more
		// than one of each; invoices may not exist yet.
		if paged < 4 {
			t.Errorf("%d steps read page 2, want at least 4: %+v", paged, rep.Steps)
		}
	})

	t.Run("StatesAndDateWindow", func(t *testing.T) {
		for _, reject := range []bool{false, true} {
			t.Run(fmt.Sprintf("objstate400=%v", reject), func(t *testing.T) {
				env := newSB(t, simOptions{ObjstateAlways400: reject})
				c, _ := client(t, env, nil)
				w := env.World()
				from, to := w.Today.AddDate(0, 0, -60), w.Today
				q := ifs.POQuery{States: []string{world.StateReleased, world.StateConfirmed}, From: from, To: to, WithLines: true}
				pos, err := c.PurchaseOrders(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				for _, po := range w.PurchaseOrders {
					if slices.Contains(q.States, po.State) && !po.OrderDate.Before(from) && !po.OrderDate.After(to) {
						want = append(want, po.OrderNo)
					}
				}
				var got []string
				for _, po := range pos {
					got = append(got, po.OrderNo)
					wp, _ := w.PurchaseOrder(po.OrderNo)
					if len(po.Lines) != len(wp.Lines) {
						t.Errorf("%s: %d lines, want %d", po.OrderNo, len(po.Lines), len(wp.Lines))
					}
				}
				if len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("got %v\nwant %v", got, want)
				}
				if c.StateFilterOnClient() != reject {
					t.Errorf("client-side state filtering = %v, want %v", c.StateFilterOnClient(), reject)
				}
			})
		}
	})

	t.Run("PurchaseOrderWithLines", func(t *testing.T) {
		env := newSB(t, simOptions{})
		c, _ := client(t, env, nil)
		want := env.World().PurchaseOrders[3]
		po, err := c.PurchaseOrder(ctx, want.OrderNo)
		if err != nil {
			t.Fatal(err)
		}
		if len(po.Lines) != len(want.Lines) || po.ETag == "" {
			t.Fatalf("got %d lines, etag %q", len(po.Lines), po.ETag)
		}
		for i, l := range po.Lines {
			wl := want.Lines[i]
			if l.LineNo != wl.LineNo || !l.Quantity.Equal(wl.Quantity) || !l.UnitPrice.Equal(wl.UnitPrice) ||
				!l.NetAmount.Equal(wl.NetAmount) || l.CodeString != wl.CodeString || l.PartNo != wl.PartNo || l.Unit != wl.Unit {
				t.Errorf("line %d: got %+v\nwant %+v", i, l, wl)
			}
			// Receipts and IFS-side invoicing, for three-way matching.
			if l.ReceivedQty == nil || l.InvoicedQty == nil || !l.ReceivedQty.Equal(*wl.ReceivedQty) || !l.InvoicedQty.Equal(*wl.InvoicedQty) {
				t.Errorf("line %d: received %v invoiced %v, want %v %v", i, l.ReceivedQty, l.InvoicedQty, *wl.ReceivedQty, *wl.InvoicedQty)
			}
		}
		// A tenant whose profile maps the quantities to "-" reports them unknown, not zero.
		prof, err := ifs.ParseProfile([]byte(`{"purchase_order_lines": {"fields": {"Account": "CodeA", "QtyReceived": "-", "QtyInvoiced": "-"}}}`))
		if err != nil {
			t.Fatal(err)
		}
		c2, _ := client(t, env, func(cfg *ifs.Config) { cfg.Profile = prof })
		po2, err := c2.PurchaseOrder(ctx, want.OrderNo)
		if err != nil || len(po2.Lines) == 0 || po2.Lines[0].ReceivedQty != nil || po2.Lines[0].InvoicedQty != nil {
			t.Fatalf("unmapped quantities: %v %+v", err, po2)
		}
		_, err = c.PurchaseOrder(ctx, "NOPE'1")
		if domain.KindOf(err) != domain.KindNotFound {
			t.Errorf("unknown order: %v", err)
		}
	})

	t.Run("ReferenceData", func(t *testing.T) {
		env := newSB(t, simOptions{})
		c, _ := client(t, env, nil)
		w := env.World()
		sups, err := c.Suppliers(ctx)
		if err != nil || len(sups) != len(w.Suppliers) {
			t.Fatalf("suppliers %d (%v), want %d", len(sups), err, len(w.Suppliers))
		}
		for i, s := range sups {
			ws := w.Suppliers[i]
			if s.SupplierID != ws.SupplierID || s.Name != ws.Name || s.State != ws.State ||
				s.Currency != ws.Currency || s.PayTermID != ws.PayTermID || s.CountryCode != ws.CountryCode {
				t.Errorf("supplier %+v\nwant %+v", s, ws.Supplier)
			}
		}
		one, err := c.Supplier(ctx, w.Suppliers[2].SupplierID)
		if err != nil || one.Currency != w.Suppliers[2].Currency || one.PayTermID == "" {
			t.Errorf("Supplier: %+v %v", one, err)
		}
		for part, want := range map[string][]domain.CodePartValue{"A": w.Accounts, "B": w.CostCentres} {
			vals, err := c.CodePartValues(ctx, w.Company.ID, part)
			if err != nil || len(vals) != len(want) {
				t.Fatalf("code part %s: %d values (%v), want %d", part, len(vals), err, len(want))
			}
			for _, v := range vals {
				wv, ok := w.CodePart(part, v.Value)
				if !ok || v.Description != wv.Description || !v.ValidFrom.Equal(wv.ValidFrom) || v.CodePart != part {
					t.Errorf("code %s %+v vs %+v", part, v, wv)
				}
			}
		}
	})

	for _, batch := range []bool{true, false} {
		t.Run(fmt.Sprintf("CreateInvoice/batch=%v", batch), func(t *testing.T) {
			env := newSB(t, simOptions{})
			prof := ifs.DefaultProfile()
			prof.Batch = batch
			c, cnt := client(t, env, func(c *ifs.Config) { c.Profile = prof })
			w := env.World()
			inv := testInvoice(w, "INV-"+fmt.Sprint(batch))
			if found, err := c.FindSupplierInvoice(ctx, inv.Company, inv.SupplierID, inv.InvoiceNo); err != nil || found != nil {
				t.Fatalf("before create: %v %v", found, err)
			}
			before := cnt.Snapshot().Requests
			got, err := c.CreateSupplierInvoice(ctx, inv)
			if err != nil {
				t.Fatal(err)
			}
			wantReq := int64(1)
			if !batch {
				wantReq = 2 + int64(len(inv.Lines)+len(inv.Postings)) // lookup, header, children
			}
			if n := cnt.Snapshot().Requests - before; n != wantReq {
				t.Errorf("%d requests for one invoice, want %d", n, wantReq)
			}
			if got.InvoiceID == 0 || got.ETag == "" || len(got.Lines) != 1 || got.Lines[0].ItemID == 0 || len(got.Postings) != 1 || got.Postings[0].RowNo == 0 {
				t.Errorf("created %+v", got)
			}
			stored := env.Invoices(t)
			if len(stored) != 1 || stored[0].InvoiceNo != inv.InvoiceNo || !stored[0].NetAmount.Equal(inv.NetAmount) ||
				len(stored[0].Lines) != 1 || len(stored[0].Postings) != 1 || stored[0].Postings[0].Code.Account != inv.Postings[0].Code.Account {
				t.Fatalf("sandbox holds %+v", stored)
			}
			found, err := c.FindSupplierInvoice(ctx, inv.Company, inv.SupplierID, inv.InvoiceNo)
			if err != nil || found == nil || found.InvoiceID != got.InvoiceID {
				t.Errorf("find after create: %+v %v", found, err)
			}
			full, err := c.SupplierInvoice(ctx, got.Company, got.InvoiceID)
			if err != nil || len(full.Lines) != 1 || len(full.Postings) != 1 || !full.Postings[0].Amount.Equal(inv.NetAmount) {
				t.Errorf("read back: %+v %v", full, err)
			}

			// Business rules: each refused whole, nothing left behind.
			cases := map[string]func(*domain.SupplierInvoice){
				"duplicate":        func(*domain.SupplierInvoice) {},
				"unknown supplier": func(i *domain.SupplierInvoice) { i.InvoiceNo += "-S"; i.SupplierID = "NOSUCH" },
				"invalid account":  func(i *domain.SupplierInvoice) { i.InvoiceNo += "-A"; i.Postings[0].Code.Account = "0000" },
			}
			for name, mod := range cases {
				bad := testInvoice(w, inv.InvoiceNo)
				mod(&bad)
				_, err := c.CreateSupplierInvoice(ctx, bad)
				var e *ifs.Error
				want := domain.KindBusinessRule
				if name == "duplicate" && !batch {
					want = domain.KindConflict // found by the step-by-step pre-check
				}
				if !errors.As(err, &e) || e.Kind != want || want == domain.KindBusinessRule && e.Code != "DATABASE_ERROR" {
					t.Errorf("%s: %v", name, err)
				}
			}
			if n := len(env.Invoices(t)); n != 1 {
				t.Errorf("after refused creates the sandbox holds %d invoices, want 1 (atomic / compensated)", n)
			}
		})
	}

	t.Run("UpdateWithConcurrentUser", func(t *testing.T) {
		env := newSB(t, simOptions{})
		c, _ := client(t, env, nil)
		w := env.World()
		created, err := c.CreateSupplierInvoice(ctx, testInvoice(w, "INV-UPD"))
		if err != nil {
			t.Fatal(err)
		}
		env.SetFaults(t, ifssim.Faults{ConcurrentEdits: 2})
		calls := 0
		got, err := ifs.Update(ctx, c, ifs.SupplierInvoiceEntity, c.SupplierInvoiceKey(created.Company, created.InvoiceID),
			func(inv *domain.SupplierInvoice) error {
				calls++
				inv.PORef = "P-CHANGED"
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if calls != 3 || got.PORef != "P-CHANGED" || got.ETag == created.ETag {
			t.Errorf("mutate ran %d times (want 3: two 412s), result %+v", calls, got)
		}
		stored := env.Invoices(t)
		if len(stored) != 1 || stored[0].PORef != "P-CHANGED" {
			t.Errorf("sandbox: %+v", stored)
		}
		// Unbounded interference ends in a conflict error.
		env.SetFaults(t, ifssim.Faults{ConcurrentEditRate: 1})
		_, err = ifs.Update(ctx, c, ifs.SupplierInvoiceEntity, c.SupplierInvoiceKey(created.Company, created.InvoiceID),
			func(inv *domain.SupplierInvoice) error { inv.PORef = "P-AGAIN"; return nil })
		if domain.KindOf(err) != domain.KindConflict {
			t.Errorf("want a conflict after bounded retries, got %v", err)
		}
	})

	t.Run("TokenExpiryMidPaging", func(t *testing.T) {
		env := newSB(t, simOptions{PageSize: 10})
		var expired atomic.Bool
		obs := httpx.ObserverFunc(func(e httpx.Event) {
			if e.Kind == httpx.EventResponse && e.Status == 200 && strings.HasSuffix(e.Path, "/PurchaseOrderSet") && !expired.Swap(true) {
				env.ExpireTokens(t)
			}
		})
		c, _ := client(t, env, func(c *ifs.Config) { c.Observer = obs })
		pos, err := c.PurchaseOrders(ctx, ifs.POQuery{})
		if err != nil {
			t.Fatal(err)
		}
		st := env.Stats(t)
		if len(pos) != len(env.World().PurchaseOrders) || st.TokenCalls != 2 || st.ByStatus[401] != 1 {
			t.Errorf("%d orders, %d token calls, %d 401s; want all orders, 2 tokens, one 401", len(pos), st.TokenCalls, st.ByStatus[401])
		}
	})

	t.Run("EarlyTokenExpiry", func(t *testing.T) {
		env := newSB(t, simOptions{})
		// Tokens die after 1 s although IFS announced 180 s.
		env.SetFaults(t, ifssim.Faults{TokenLifetimeS: 1})
		c, _ := client(t, env, nil)
		for range 3 {
			if _, err := c.Suppliers(ctx); err != nil {
				t.Fatal(err)
			}
			env.Advance(1100 * time.Millisecond)
		}
		if st := env.Stats(t); st.TokenCalls != 3 || st.ByStatus[401] != 2 {
			t.Errorf("token calls %d, 401s %d; want a refresh per dead token", st.TokenCalls, st.ByStatus[401])
		}
	})

	t.Run("Forbidden", func(t *testing.T) {
		env := newSB(t, simOptions{})
		c, _ := client(t, env, func(c *ifs.Config) {
			c.ClientID, c.ClientSecret = ifssim.LimitedClientID, ifssim.LimitedClientSecret
		})
		if _, err := c.PurchaseOrders(ctx, ifs.POQuery{}); err != nil {
			t.Fatalf("granted projection: %v", err)
		}
		_, err := c.Suppliers(ctx)
		var e *ifs.Error
		if !errors.As(err, &e) || e.Kind != domain.KindForbidden || e.Projection != "SupplierHandling" ||
			!strings.Contains(e.Fix(), "SupplierHandling") {
			t.Errorf("err %v", err)
		}
	})

	t.Run("RateLimitStorm", func(t *testing.T) {
		env := newSB(t, simOptions{})
		// No client-side limit: the client meets the server's 429s and
		// must ride them out with Retry-After.
		env.SetFaults(t, ifssim.Faults{RateLimitPerMinute: 120, RateBurst: 2})
		c, cnt := client(t, env, nil)
		n := 8
		if !env.Virtual() {
			n = 5
		}
		for i := range n {
			if _, err := c.Suppliers(ctx); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		st := cnt.Snapshot()
		if st.RateLimited == 0 || st.Retries < st.RateLimited {
			t.Errorf("stats %+v: want 429s, each retried", st)
		}
		// With the client's own limiter under the server's, no 429 at all.
		env.SetFaults(t, ifssim.Faults{RateLimitPerMinute: 120, RateBurst: 2})
		c2, cnt2 := client(t, env, func(c *ifs.Config) { c.RequestsPerMinute, c.Burst = 110, 1 })
		for range n {
			if _, err := c2.Suppliers(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if st := cnt2.Snapshot(); st.RateLimited != 0 {
			t.Errorf("client limiter under the server limit still got %d 429s", st.RateLimited)
		}
	})

	t.Run("Random503And502", func(t *testing.T) {
		env := newSB(t, simOptions{})
		env.SetFaults(t, ifssim.Faults{Error503Rate: 0.3, Gateway502Rate: 0.2})
		c, cnt := client(t, env, func(c *ifs.Config) { c.MaxCreateAttempts = 8; c.Retry.MaxAttempts = 10 })
		w := env.World()
		if _, err := c.PurchaseOrders(ctx, ifs.POQuery{}); err != nil {
			t.Fatalf("read through faults: %v", err)
		}
		for i := range 6 {
			inv := testInvoice(w, fmt.Sprintf("INV-F%d", i))
			if _, err := c.CreateSupplierInvoice(ctx, inv); err != nil {
				t.Fatalf("create %s: %v", inv.InvoiceNo, err)
			}
		}
		stored := env.Invoices(t)
		for i := range 6 {
			if n := countInvoices(stored, fmt.Sprintf("INV-F%d", i)); n != 1 {
				t.Errorf("INV-F%d stored %d times", i, n)
			}
		}
		if st := cnt.Snapshot(); st.ServerErrors == 0 {
			t.Errorf("no faults seen: %+v", st)
		}
		// Without retries the gateway page surfaces as a transient error.
		env.SetFaults(t, ifssim.Faults{Gateway502Rate: 1})
		c1, _ := client(t, env, func(c *ifs.Config) { c.Retry.MaxAttempts = 1 })
		_, err := c1.Suppliers(ctx)
		var e *ifs.Error
		if !errors.As(err, &e) || e.Kind != domain.KindTransient || e.Status != 502 || !strings.Contains(err.Error(), "502 Bad Gateway") {
			t.Errorf("gateway page: %v", err)
		}
	})

	t.Run("StepwiseCompensation", func(t *testing.T) {
		env := newSB(t, simOptions{})
		prof := ifs.DefaultProfile()
		prof.Batch = false
		c, _ := client(t, env, func(c *ifs.Config) { c.Profile = prof })
		inv := testInvoice(env.World(), "INV-COMP")
		inv.Postings = append(inv.Postings, domain.PostingLine{Code: domain.CodeString{Account: "0000"}, Amount: money.FromInt(1)})
		_, err := c.CreateSupplierInvoice(ctx, inv)
		if domain.KindOf(err) != domain.KindBusinessRule || !strings.Contains(err.Error(), "removed again") {
			t.Errorf("err %v", err)
		}
		if n := len(env.Invoices(t)); n != 0 {
			t.Errorf("compensation left %d invoices", n)
		}
	})

	t.Run("Latency", func(t *testing.T) {
		env := newSB(t, simOptions{})
		env.SetFaults(t, ifssim.Faults{LatencyMS: 25})
		c, _ := client(t, env, nil)
		if c.Latency() != 0 {
			t.Errorf("latency %v before any answer", c.Latency())
		}
		if _, err := c.Suppliers(ctx); err != nil {
			t.Fatal(err)
		}
		// The engine sizes its pools from this: every answer took at
		// least the 25 ms added (on the client's clock; a virtual one
		// stands still).
		if l := c.Latency(); !env.Virtual() && (l < 25*time.Millisecond || l > 5*time.Second) {
			t.Errorf("measured latency %v, want at least 25 ms", l)
		}
		env.SetFaults(t, ifssim.Faults{LatencyMS: 2000})
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := c.Suppliers(short)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("slow server with a deadline: %v", err)
		}
	})

	t.Run("TestConnection", func(t *testing.T) {
		env := newSB(t, simOptions{})
		c, _ := client(t, env, nil)
		rep := c.TestConnection(ctx)
		if !rep.OK() || len(rep.Steps) != 8 {
			t.Errorf("full client: %+v", rep)
		}
		lim, _ := client(t, env, func(c *ifs.Config) {
			c.ClientID, c.ClientSecret = ifssim.LimitedClientID, ifssim.LimitedClientSecret
		})
		rep = lim.TestConnection(ctx)
		if rep.OK() || !rep.Steps[1].OK || rep.Steps[3].OK || !strings.Contains(rep.Steps[3].Fix, "SupplierHandling") {
			t.Errorf("limited client: %+v", rep)
		}
		bad, _ := client(t, env, func(c *ifs.Config) { c.ClientSecret = "nope" })
		rep = bad.TestConnection(ctx)
		if rep.Steps[0].OK || rep.Steps[0].Fix == "" || !rep.Steps[1].Skipped {
			t.Errorf("bad secret: %+v", rep)
		}
	})
}
