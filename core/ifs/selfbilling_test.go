package ifs_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// World 1's self-billing supplier is SUP1005 (Midlands Castings, GBP), the
// supplier of the first Closed order P10001. Worked out by hand from the
// seeded order lines: SB-P10001 (Posted) bills line 1 at 23,043.70 and line
// 2 at 7,100.00 = 30,143.70; SB-P10003 is still Preliminary; SB-P10001-CR
// (Posted) returns one unit of P10001 line 1 at 53.59.
func TestSelfBillingInvoices(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		o       ifssim.Config
	}{
		{name: "default, one row per page", o: ifssim.Config{PageSize: 1}},
		{name: "tenant rejects Objstate filters", o: ifssim.Config{ObjstateFilterAlways400: true}},
		{name: "no sent marker: creation-date cursor", profile: `{"supplier_invoices": {"fields": {"EdiSent": "-"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := httpxtest.NewClock(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
			tc.o.Now = clk.Now
			srv := ifssim.New(world.New(1), tc.o)
			hs := httptest.NewServer(srv)
			t.Cleanup(hs.Close)
			prof, err := ifs.ParseProfile([]byte(tc.profile))
			if err != nil {
				t.Fatal(err)
			}
			c, err := ifs.New(ifs.Config{BaseURL: hs.URL, Realm: srv.Realm(), ClientID: ifssim.DefaultClientID,
				ClientSecret: ifssim.DefaultClientSecret, Company: "MLC01", Clock: clk, RequestsPerMinute: -1, Profile: prof})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if got := world.SelfBillingSupplier(srv.World()); got != "SUP1005" {
				t.Fatalf("self-billing supplier of world 1 = %q, want SUP1005", got)
			}
			q := ifs.SelfBillingQuery{Company: "MLC01", Suppliers: []string{"SUP1001", "SUP1005"}}
			got, err := c.SelfBillingInvoices(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			want := []struct {
				no    string
				net   string
				lines int
			}{{"SB-P10001", "30143.70", 2}, {"SB-P10001-CR", "-53.59", 1}}
			if len(got) != len(want) {
				t.Fatalf("got %d invoices %v, want SB-P10001 and its credit note (SB-P10003 is Preliminary)", len(got), numbers(got))
			}
			for i, w := range want {
				g := got[i]
				if g.InvoiceNo != w.no || g.NetAmount.Cmp(money.MustParse(w.net)) != 0 || len(g.Lines) != w.lines || g.ETag == "" || g.CreatedAt.IsZero() {
					t.Errorf("invoice %d = %s net %s, %d lines, etag %q, created %v; want %s net %s, %d lines", i, g.InvoiceNo, g.NetAmount, len(g.Lines), g.ETag, g.CreatedAt, w.no, w.net, w.lines)
				}
			}
			l := got[0].Lines[0]
			if l.OrderNo != "P10001" || l.LineNo != "1" || !l.Quantity.Valid() || l.Quantity.IsZero() || l.UOM == "" ||
				l.Quantity.Mul(l.UnitPrice).Round(2).Cmp(money.MustParse("23043.70")) != 0 {
				t.Errorf("line 1 = %+v: want P10001/1 with quantity × price = 23043.70", l)
			}
			if cr := got[1]; cr.Lines[0].Quantity.Cmp(money.FromInt(-1)) != 0 || !cr.CreditNote {
				t.Errorf("credit note = %+v, want one unit returned", cr)
			}
			// Only suppliers marked self-billing are read.
			if none, err := c.SelfBillingInvoices(ctx, ifs.SelfBillingQuery{Company: "MLC01", Suppliers: []string{"SUP1001"}}); err != nil || len(none) != 0 {
				t.Errorf("SUP1001 alone: %v %v, want none", numbers(none), err)
			}

			if !c.HasSentMarker() {
				// The store is the record; the cursor bounds the read.
				if _, err := c.MarkSelfBillingSent(ctx, "MLC01", got[0].InvoiceID); domain.KindOf(err) != domain.KindInvalid {
					t.Errorf("mark without a marker field: %v, want KindInvalid", err)
				}
				q.Since = got[1].CreatedAt
				after, err := c.SelfBillingInvoices(ctx, q)
				if err != nil || len(after) != 1 || after[0].InvoiceNo != "SB-P10001-CR" {
					t.Errorf("since %v: %v %v, want only the credit note", q.Since, numbers(after), err)
				}
				return
			}
			// Mark the first as sent while "another user" edits it between
			// our read and our PATCH: the client re-reads and re-applies.
			srv.SetFaults(ifssim.Faults{ConcurrentEdits: 1})
			marked, err := c.MarkSelfBillingSent(ctx, "MLC01", got[0].InvoiceID)
			if err != nil || !marked.Sent {
				t.Fatalf("mark sent: %+v %v", marked, err)
			}
			if n := srv.Stats().ByStatus[412]; n != 1 {
				t.Errorf("%d answers 412, want the one for the concurrent edit", n)
			}
			for _, inv := range srv.SelfBillingInvoices() {
				if inv.InvoiceID == got[0].InvoiceID && !inv.Sent {
					t.Error("the sandbox's invoice is not marked sent")
				}
			}
			after, err := c.SelfBillingInvoices(ctx, q)
			if err != nil || len(after) != 1 || after[0].InvoiceNo != "SB-P10001-CR" {
				t.Errorf("after marking: %v %v, want only the credit note", numbers(after), err)
			}
			// Posting the Preliminary one makes it due.
			if err := srv.SetInvoiceState("MLC01", 900002, "Posted"); err != nil {
				t.Fatal(err)
			}
			if after, _ = c.SelfBillingInvoices(ctx, q); len(after) != 2 || after[0].InvoiceNo != "SB-P10003" {
				t.Errorf("after posting SB-P10003: %v, want it first (created earlier), then the credit note", numbers(after))
			}
		})
	}
}

func numbers(invs []domain.SupplierInvoice) []string {
	var out []string
	for _, i := range invs {
		out = append(out, i.InvoiceNo)
	}
	return out
}
