package ifs_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/money"
)

func poRow(no, state string) map[string]any {
	return map[string]any{"@odata.etag": `W/"` + no + `"`, "OrderNo": no, "Objstate": state, "Company": "MLC01",
		"VendorNo": "SUP1001", "OrderDate": "2026-11-01", "CurrencyCode": "EUR"}
}

func TestTokenCachedRenewedAndRefreshedOn401(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"value": []any{}})
	})
	c, clk, _ := f.client(nil)
	ctx := t.Context()
	for range 3 {
		if _, err := c.Suppliers(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if f.tokens() != 1 {
		t.Errorf("%d tokens for 3 calls, want 1 (cached)", f.tokens())
	}
	// expires_in 180: renewed a minute early, before IFS would say 401.
	clk.Advance(121 * time.Second)
	if _, err := c.Suppliers(ctx); err != nil {
		t.Fatal(err)
	}
	if f.tokens() != 2 {
		t.Errorf("%d tokens, want 2 (renewed before expiry)", f.tokens())
	}
	// The server forgets the token early: one 401, one fresh token, success.
	f.revokeAll()
	before := f.apiCalls.Load()
	if _, err := c.Suppliers(ctx); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if f.tokens() != 3 || f.apiCalls.Load()-before != 1 {
		t.Errorf("tokens %d, api calls %d; want a single refresh", f.tokens(), f.apiCalls.Load()-before)
	}
}

func TestPersistent401IsAuthAfterOneRefresh(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		odataErr(w, 401, "UNAUTHORIZED", "user disabled")
	})
	c, _, _ := f.client(nil)
	_, err := c.Suppliers(t.Context())
	if domain.KindOf(err) != domain.KindAuth {
		t.Fatalf("err %v kind %v", err, domain.KindOf(err))
	}
	if f.tokens() != 2 {
		t.Errorf("%d tokens, want 2 (one refresh, not a loop)", f.tokens())
	}
}

func TestBadCredentials(t *testing.T) {
	f := newFake(t, nil)
	c, _, _ := f.client(func(c *ifs.Config) { c.ClientSecret = "wrong" })
	_, err := c.Suppliers(t.Context())
	var e *ifs.Error
	if !errors.As(err, &e) || e.Kind != domain.KindAuth || e.Op != "get token" {
		t.Fatalf("err %#v", err)
	}
	if !strings.Contains(e.Fix(), "client ID and secret") {
		t.Errorf("fix %q", e.Fix())
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error leaks the secret: %v", err)
	}
}

func TestPagingFollowsNextLink(t *testing.T) {
	var mu sync.Mutex
	var hostile bool
	var f *fake
	f = newFake(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		skip, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
		var rows []any
		for i := skip; i < min(skip+2, 5); i++ {
			rows = append(rows, poRow(fmt.Sprintf("P%d", i), "Released"))
		}
		page := map[string]any{"value": rows}
		if skip+2 < 5 {
			next := fmt.Sprintf("PurchaseOrderSet?$skiptoken=%d", skip+2) // relative, as some servers send it
			if skip == 2 {
				next = f.srv.URL + r.URL.Path + "?$skiptoken=4" // absolute
			}
			if hostile {
				next = "http://evil.example/steal?$skiptoken=2"
			}
			page["@odata.nextLink"] = next
		}
		writeJSON(w, 200, page)
	})
	c, _, _ := f.client(nil)
	pos, err := c.PurchaseOrders(t.Context(), ifs.POQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pos) != 5 || pos[4].OrderNo != "P4" || pos[0].ETag != `W/"P0"` {
		t.Errorf("got %d orders: %+v", len(pos), pos)
	}
	mu.Lock()
	hostile = true
	mu.Unlock()
	if _, err := c.PurchaseOrders(t.Context(), ifs.POQuery{}); err == nil || !strings.Contains(err.Error(), "not the IFS host") {
		t.Errorf("a nextLink to another host must be refused, got %v", err)
	}
}

// TestRelativeNextLinkInNavigation is the defect an independently written
// OData server found: inside a navigation collection a relative nextLink is
// relative to the context URL (JSON Format v4.01 §4.3), not to the request
// URL, and the context URL may itself be relative ("../$metadata#…").
// Without a context the request URL is the base. Hand-made server, three
// pages of two accounts each.
func TestRelativeNextLinkInNavigation(t *testing.T) {
	const svc = "/main/ifsapplications/projection/v1/CodePartValuesHandling.svc/"
	const nav = "CompanyFinanceSet(Company='10')/CodeAArray"
	cases := []struct {
		name    string
		context func(f *fake) string
		next    func(skip int) string
	}{
		{"context relative with ../", func(*fake) string { return "../$metadata#CompanyFinanceSet('10')/CodeAArray" },
			func(skip int) string { return fmt.Sprintf("%s?$skiptoken=%d", nav, skip) }},
		{"context absolute", func(f *fake) string { return f.srv.URL + svc + "$metadata#CompanyFinanceSet('10')/CodeAArray" },
			func(skip int) string { return fmt.Sprintf("%s?$skiptoken=%d", nav, skip) }},
		{"no context: request URL", func(*fake) string { return "" },
			func(skip int) string { return fmt.Sprintf("CodeAArray?$skip=%d", skip) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f *fake
			var paths []string
			f = newFake(t, func(w http.ResponseWriter, r *http.Request) {
				paths = append(paths, r.URL.EscapedPath())
				if r.URL.EscapedPath() != svc+strings.ReplaceAll(nav, "'", "%27") && r.URL.Path != svc+nav {
					odataErr(w, 404, "OBJECT_NOT_FOUND", "no such resource "+r.URL.Path)
					return
				}
				q := r.URL.Query()
				skip, _ := strconv.Atoi(q.Get("$skiptoken") + q.Get("$skip"))
				var rows []any
				for i := skip; i < min(skip+2, 6); i++ {
					rows = append(rows, map[string]any{"Company": "10", "CodeA": fmt.Sprintf("40%02d", i), "Description": "acc"})
				}
				page := map[string]any{"value": rows}
				if ctx := tc.context(f); ctx != "" {
					page["@odata.context"] = ctx
				}
				if skip+2 < 6 {
					page["@odata.nextLink"] = tc.next(skip + 2)
				}
				writeJSON(w, 200, page)
			})
			c, _, _ := f.client(nil)
			vals, err := c.CodePartValues(t.Context(), "10", "A")
			if err != nil {
				t.Fatalf("%v (paths %v)", err, paths)
			}
			if len(vals) != 6 || vals[5].Value != "4005" || len(paths) != 3 {
				t.Errorf("%d values over %d requests %v, want 6 over 3", len(vals), len(paths), paths)
			}
		})
	}
}

// TestConnectionTestFailsOnBrokenPaging: a server whose next link leads
// nowhere fails the admin's connection test at the read step, in words,
// instead of the night's sync.
func TestConnectionTestFailsOnBrokenPaging(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$skiptoken") != "" {
			odataErr(w, 404, "OBJECT_NOT_FOUND", "no such page")
			return
		}
		page := map[string]any{"value": []any{poRow("P1", "Released")}}
		if r.Header.Get("Prefer") == "odata.maxpagesize=1" {
			page["@odata.nextLink"] = "nowhere?$skiptoken=1"
		}
		writeJSON(w, 200, page)
	})
	c, _, _ := f.client(nil)
	rep := c.TestConnection(t.Context())
	if rep.OK() {
		t.Fatal("broken paging passed the connection test")
	}
	s := rep.Steps[1]
	if s.OK || !strings.Contains(s.Detail, "page 2") || !strings.Contains(s.Detail, "404") {
		t.Errorf("step %+v", s)
	}
}

func TestStateFilterFallback(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Query().Get("$filter"), "Objstate") {
			odataErr(w, 400, "ODATA_FILTER", "Objstate cannot be filtered")
			return
		}
		writeJSON(w, 200, map[string]any{"value": []any{poRow("P1", "Released"), poRow("P2", "Planned"), poRow("P3", "Confirmed")}})
	})
	c, _, _ := f.client(nil)
	q := ifs.POQuery{States: []string{"Released", "Confirmed"}, From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	for i := range 2 {
		pos, err := c.PurchaseOrders(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(pos) != 2 || pos[0].OrderNo != "P1" || pos[1].OrderNo != "P3" {
			t.Errorf("call %d: %+v", i, pos)
		}
	}
	if !c.StateFilterOnClient() {
		t.Error("fallback not remembered")
	}
	var withState int
	for _, call := range f.callLog() {
		if strings.Contains(call, "Objstate") {
			withState++
			if !strings.Contains(call, "IfsApp.PurchaseOrderHandling.PurchaseOrderState'Released'") {
				t.Errorf("state filter not a qualified enum: %s", call)
			}
		}
	}
	if withState != 1 {
		t.Errorf("%d calls with a state filter, want 1 (then remembered)", withState)
	}
}

// versioned is a fake entity with an ETag that changes on every write.
type versioned struct {
	mu       sync.Mutex
	version  int
	buyer    string
	ifMatch  []string
	patches  []map[string]any
	sneakIn  int // a concurrent user changes the record before the next N PATCHes
	noETag   bool
	getCalls int
}

func (v *versioned) handler(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	defer v.mu.Unlock()
	etag := fmt.Sprintf(`W/"v%d"`, v.version)
	switch r.Method {
	case http.MethodGet:
		v.getCalls++
		row := poRow("P1", "Released")
		row["BuyerCode"] = v.buyer
		if v.noETag {
			delete(row, "@odata.etag")
		} else {
			row["@odata.etag"] = etag
			w.Header().Set("ETag", etag)
		}
		writeJSON(w, 200, row)
	case http.MethodPatch:
		v.ifMatch = append(v.ifMatch, r.Header.Get("If-Match"))
		if v.sneakIn > 0 {
			v.sneakIn--
			v.version++
			v.buyer = "SOMEONE"
			etag = fmt.Sprintf(`W/"v%d"`, v.version)
		}
		if m := r.Header.Get("If-Match"); m != etag && m != "*" {
			odataErr(w, 412, "ETAG_MISMATCH", "The record was changed by another user")
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		v.patches = append(v.patches, body)
		if b, ok := body["BuyerCode"].(string); ok {
			v.buyer = b
		}
		v.version++
		w.Header().Set("ETag", fmt.Sprintf(`W/"v%d"`, v.version))
		w.WriteHeader(204)
	}
}

func TestUpdateReappliesAfter412(t *testing.T) {
	v := &versioned{sneakIn: 2}
	f := newFake(t, v.handler)
	c, _, _ := f.client(nil)
	var seen []string
	po, err := ifs.Update(t.Context(), c, ifs.PurchaseOrderEntity, c.PurchaseOrderKey("P1"), func(po *domain.PurchaseOrder) error {
		seen = append(seen, po.BuyerCode)
		po.BuyerCode = "ALICE"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if po.BuyerCode != "ALICE" || po.ETag != `W/"v3"` {
		t.Errorf("result %+v", po)
	}
	if want := []string{`W/"v0"`, `W/"v1"`, `W/"v2"`}; fmt.Sprint(v.ifMatch) != fmt.Sprint(want) {
		t.Errorf("If-Match sent %v, want %v", v.ifMatch, want)
	}
	if len(seen) != 3 || seen[1] != "SOMEONE" {
		t.Errorf("mutate saw %v: must run on the fresh copy", seen)
	}
	if len(v.patches) != 1 || len(v.patches[0]) != 1 {
		t.Errorf("patches %v: want only the changed field", v.patches)
	}
}

func TestUpdateBoundedConflicts(t *testing.T) {
	v := &versioned{sneakIn: 100}
	f := newFake(t, v.handler)
	c, _, _ := f.client(func(c *ifs.Config) { c.MaxConflictRetries = 2 })
	_, err := ifs.Update(t.Context(), c, ifs.PurchaseOrderEntity, c.PurchaseOrderKey("P1"), func(po *domain.PurchaseOrder) error {
		po.BuyerCode = "ALICE"
		return nil
	})
	if domain.KindOf(err) != domain.KindConflict || len(v.ifMatch) != 3 {
		t.Errorf("err %v after %d PATCHes; want a conflict after 3", err, len(v.ifMatch))
	}
}

func TestUpdateNeverWithoutIfMatch(t *testing.T) {
	v := &versioned{noETag: true}
	f := newFake(t, v.handler)
	c, _, _ := f.client(nil)
	set := func(po *domain.PurchaseOrder) error { po.BuyerCode = "BOB"; return nil }
	_, err := ifs.Update(t.Context(), c, ifs.PurchaseOrderEntity, c.PurchaseOrderKey("P1"), set)
	if err == nil || len(v.ifMatch) != 0 {
		t.Fatalf("err %v, PATCHes %v: must refuse without an ETag", err, v.ifMatch)
	}
	c2, _, _ := f.client(func(c *ifs.Config) { c.ETagStar = true })
	if _, err := ifs.Update(t.Context(), c2, ifs.PurchaseOrderEntity, c2.PurchaseOrderKey("P1"), set); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(v.ifMatch) != "[*]" {
		t.Errorf("If-Match %v, want [*] when configured", v.ifMatch)
	}
	// No change, no PATCH; a failing mutate writes nothing.
	n := len(v.ifMatch)
	ifs.Update(t.Context(), c2, ifs.PurchaseOrderEntity, c2.PurchaseOrderKey("P1"), func(*domain.PurchaseOrder) error { return nil })
	ifs.Update(t.Context(), c2, ifs.PurchaseOrderEntity, c2.PurchaseOrderKey("P1"), func(*domain.PurchaseOrder) error { return io.EOF })
	if len(v.ifMatch) != n {
		t.Error("PATCH sent for a no-op or failed mutate")
	}
}

func TestDecimalsExact(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"value":[{"OrderNo":"P1","LineNo":"1","ReleaseNo":"1","BuyQtyDue":12345678901.125,"BuyUnitPrice":"0.1","NetAmtCurr":1E2,"CodeA":"4000","CodeB":"CC10"}]}`)
	})
	c, _, _ := f.client(nil)
	lines, err := c.PurchaseOrderLines(t.Context(), "P1")
	if err != nil || len(lines) != 1 {
		t.Fatal(err, lines)
	}
	l := lines[0]
	if !l.Quantity.Equal(money.MustParse("12345678901.125")) || !l.UnitPrice.Equal(money.MustParse("0.1")) || !l.NetAmount.Equal(money.FromInt(100)) {
		t.Errorf("decimals %v %v %v", l.Quantity, l.UnitPrice, l.NetAmount)
	}
	if l.CodeString.Account != "4000" || l.CodeString.CodeB != "CC10" {
		t.Errorf("code string %+v", l.CodeString)
	}
}
