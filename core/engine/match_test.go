package engine

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/store"
)

// Money facts, worked out by hand. PO1 (harness): line 1 is 100 pcs of
// BOLT-10 at 0.50, line 2 is 100 pcs of NUT-10 at 0.20; default tolerance
// 2 % price, 0 % quantity.

func bolt(qty, price string) InvoiceLine {
	return InvoiceLine{LineNumber: "1", Quantity: d(qty), UnitPrice: d(price), UOM: "EA", BuyerPart: "BOLT-10"}
}

func (h *harness) last810() store.Document {
	h.t.Helper()
	ds := h.docs(store.Type810, store.Inbound)
	return ds[len(ds)-1]
}

func (h *harness) replayDoc(id int64) ReplayResult {
	h.t.Helper()
	exc, err := h.st.OpenExceptionOf(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	r, err := h.eng.Replay(h.ctx, exc.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func TestLineBilledTwiceNeverPostsWhateverTheTolerance(t *testing.T) {
	h := newHarness(t)
	h.putFile("a", invoiceSet("ACME01", "INV-A", "PO1", bolt("100", "0.50")))
	h.sync(FlowInvoices)
	if a := h.last810(); a.Status != store.StatusPosted {
		t.Fatalf("first invoice %s %s", a.Status, a.Message)
	}
	// The same 100 bolts again, 10 % dearer: both wrong, and the double
	// billing is the reason reported.
	h.putFile("b", invoiceSet("ACME01", "INV-B", "PO1", bolt("100", "0.55")))
	h.sync(FlowInvoices)
	b := h.last810()
	if b.Reason != string(ReasonAlreadyInvoiced) {
		t.Fatalf("second invoice %s %s: %s", b.Status, b.Reason, b.Message)
	}
	for _, want := range []string{"PO PO1 line 1 (100 pcs) is already fully invoiced", "(100 pcs invoiced: 100 by this connector in document 1)", "INV-B bills 100 pcs more"} {
		if !strings.Contains(b.Message, want) {
			t.Errorf("message %q lacks %q", b.Message, want)
		}
	}
	exc, _ := h.st.OpenExceptionOf(h.ctx, b.ID)
	var c MatchContext
	if err := json.Unmarshal(exc.Context, &c); err != nil || c.AlreadyInvoicedQty != "100" || c.RemainingQty != "0" || c.PO != "PO1" || c.Tolerance == nil {
		t.Fatalf("context %s %v", exc.Context, err)
	}
	// Widening the tolerance to anything does not change it.
	if err := h.eng.SetTolerance(h.ctx, "S100", Tolerance{PricePct: d("100"), QtyPct: d("100"), Absolute: d("1000")}); err != nil {
		t.Fatal(err)
	}
	if r := h.replayDoc(b.ID); r.Status != string(store.StatusException) || r.NewReason != string(ReasonAlreadyInvoiced) {
		t.Fatalf("replay with wide tolerance: %+v", r)
	}
	if len(h.ifs.invoices) != 1 {
		t.Fatalf("IFS has %d invoices, want 1", len(h.ifs.invoices))
	}
}

func TestPartialInvoicesUpToTheOrderedQuantity(t *testing.T) {
	h := newHarness(t)
	h.putFile("a", invoiceSet("ACME01", "P-1", "PO1", bolt("60", "0.50")))
	h.sync(FlowInvoices)
	// 60 + 50 = 110 > 100: refused, saying 40 remain.
	h.putFile("b", invoiceSet("ACME01", "P-2", "PO1", bolt("50", "0.50")))
	h.sync(FlowInvoices)
	b := h.last810()
	if b.Reason != string(ReasonQuantityOver) || !strings.Contains(b.Message, "60 pcs are already invoiced") || !strings.Contains(b.Message, "so 40 remain") {
		t.Fatalf("over: %s %s", b.Reason, b.Message)
	}
	// The remaining 40 post: 40 × 0.50 = 20.00.
	h.putFile("c", invoiceSet("ACME01", "P-3", "PO1", bolt("40", "0.50")))
	h.sync(FlowInvoices)
	if c := h.last810(); c.Status != store.StatusPosted {
		t.Fatalf("remaining quantity: %s %s", c.Reason, c.Message)
	}
	if n := len(h.ifs.invoices); n != 2 || !h.ifs.invoices[1].GrossAmount.Equal(d("20.00")) || h.ifs.invoices[1].Lines[0].LineNo != "1" {
		t.Fatalf("IFS invoices %d %+v", n, h.ifs.invoices)
	}
	billed, err := h.st.BilledToDate(h.ctx, "PO1", 0)
	if err != nil || !billed[store.POLineKey("PO1", "1", "")].Quantity.Equal(d("100")) || !billed[store.POLineKey("PO1", "1", "")].Amount.Equal(d("50.00")) {
		t.Fatalf("billed to date %+v %v", billed, err)
	}
	// Two invoice lines on the same PO line add up: 1 + 1 over a full line.
	h.putFile("d", invoiceSet("ACME01", "P-4", "PO1", bolt("1", "0.50"), bolt("1", "0.50")))
	h.sync(FlowInvoices)
	if got := h.last810(); got.Reason != string(ReasonAlreadyInvoiced) {
		t.Fatalf("split lines: %s %s", got.Reason, got.Message)
	}
}

func TestCreditMemoReopensQuantity(t *testing.T) {
	h := newHarness(t)
	h.putFile("a", invoiceSet("ACME01", "F-1", "PO1", bolt("100", "0.50")))
	cm := invoiceSet("ACME01", "CM-1", "PO1", bolt("5", "0.50"))
	cm.Invoice.CreditMemo = true
	h.putFile("b", cm)
	h.sync(FlowInvoices)
	for _, doc := range h.docs(store.Type810, store.Inbound) {
		if doc.Status != store.StatusPosted {
			t.Fatalf("%s %s %s", doc.BusinessKey, doc.Status, doc.Message)
		}
	}
	// 100 - 5 = 95 billed: 6 more is one too many, 5 posts (2.50).
	h.putFile("c", invoiceSet("ACME01", "F-2", "PO1", bolt("6", "0.50")))
	h.sync(FlowInvoices)
	if got := h.last810(); got.Reason != string(ReasonQuantityOver) || !strings.Contains(got.Message, "so 5 remain") {
		t.Fatalf("6 after credit: %s %s", got.Reason, got.Message)
	}
	h.putFile("d", invoiceSet("ACME01", "F-3", "PO1", bolt("5", "0.50")))
	h.sync(FlowInvoices)
	if got := h.last810(); got.Status != store.StatusPosted {
		t.Fatalf("5 after credit: %s %s", got.Reason, got.Message)
	}
	if got := h.ifs.invoices[len(h.ifs.invoices)-1]; !got.GrossAmount.Equal(d("2.50")) {
		t.Fatalf("posted %s", got.GrossAmount)
	}
}

func TestIFSInvoicedQuantityCounts(t *testing.T) {
	h := newHarness(t)
	po := h.ifs.orders["PO1"]
	po.Lines[0].InvoicedQty = new(d("70")) // invoiced inside IFS by someone else
	h.ifs.orders["PO1"] = po
	h.putFile("a", invoiceSet("ACME01", "I-1", "PO1", bolt("31", "0.50")))
	h.sync(FlowInvoices)
	if got := h.last810(); got.Reason != string(ReasonQuantityOver) || !strings.Contains(got.Message, "70 in IFS") {
		t.Fatalf("31 on 30 left: %s %s", got.Reason, got.Message)
	}
	h.putFile("b", invoiceSet("ACME01", "I-2", "PO1", bolt("30", "0.50")))
	h.sync(FlowInvoices)
	if got := h.last810(); got.Status != store.StatusPosted {
		t.Fatalf("30 on 30 left: %s %s", got.Reason, got.Message)
	}
}

func TestThreeWayWaitsForReceiptThenPosts(t *testing.T) {
	h := newHarness(t)
	if err := h.eng.SetTolerance(h.ctx, "S100", Tolerance{PricePct: d("2"), QtyPct: d("0"), Match: store.MatchThreeWay}); err != nil {
		t.Fatal(err)
	}
	// No received quantity from IFS at all: said so, not guessed.
	h.putFile("a", invoiceSet("ACME01", "R-1", "PO1", bolt("30", "0.50")))
	h.sync(FlowInvoices)
	doc := h.last810()
	if doc.Reason != string(ReasonReceiptUnknown) {
		t.Fatalf("unknown receipts: %s %s", doc.Reason, doc.Message)
	}
	// 10 of the 100 received: the 30 billed wait.
	po := h.ifs.orders["PO1"]
	po.Lines[0].ReceivedQty = new(d("10"))
	h.ifs.orders["PO1"] = po
	if r := h.replayDoc(doc.ID); r.NewReason != string(ReasonNotReceived) {
		t.Fatalf("partly received: %+v", r)
	}
	h.sync(FlowInvoices)
	if got, _ := h.st.Document(h.ctx, doc.ID); got.Reason != string(ReasonNotReceived) || len(h.ifs.invoices) != 0 {
		t.Fatalf("still waiting: %s, IFS %d", got.Reason, len(h.ifs.invoices))
	}
	events, _ := h.st.DocumentEvents(h.ctx, doc.ID)
	// The goods arrive: the next invoice run posts it by itself.
	po.Lines[0].ReceivedQty = new(d("30"))
	h.ifs.orders["PO1"] = po
	h.sync(FlowInvoices)
	got, _ := h.st.Document(h.ctx, doc.ID)
	if got.Status != store.StatusPosted || len(h.ifs.invoices) != 1 || !h.ifs.invoices[0].GrossAmount.Equal(d("15.00")) {
		t.Fatalf("after receipt: %s %s, IFS %d", got.Status, got.Message, len(h.ifs.invoices))
	}
	after, _ := h.st.DocumentEvents(h.ctx, doc.ID)
	replayedBySystem := false
	for _, e := range after[len(events):] {
		replayedBySystem = replayedBySystem || e.Action == "replay" && e.Actor == store.SystemActor
	}
	if !replayedBySystem {
		t.Fatalf("automatic replay not audited as the system: %+v", after[len(events):])
	}
}

func TestUnitsNormalisedBeforeComparing(t *testing.T) {
	h := newHarness(t)
	// EA is what our own 850 says for pcs: no conversion needed.
	h.putFile("a", invoiceSet("ACME01", "U-1", "PO1", bolt("10", "0.50")))
	// KG against pcs: refused, not compared as numbers.
	h.putFile("b", invoiceSet("ACME01", "U-2", "PO1", InvoiceLine{LineNumber: "2", Quantity: d("1"), UnitPrice: d("2"), UOM: "KG"}))
	// A box of 10 at 5.00 is 10 pcs at 0.50 with the supplier's table.
	if _, err := h.st.SetUnitConversion(h.ctx, "clerk1", store.UnitConversion{SupplierID: "S100", X12Unit: "BX", IFSUnit: "pcs", Factor: d("10")}); err != nil {
		t.Fatal(err)
	}
	h.putFile("c", invoiceSet("ACME01", "U-3", "PO1", InvoiceLine{LineNumber: "1", Quantity: d("9"), UnitPrice: d("5.00"), UOM: "BX"}))
	h.sync(FlowInvoices)
	ds := h.docs(store.Type810, store.Inbound)
	if ds[0].Status != store.StatusPosted || ds[1].Reason != string(ReasonUnitMismatch) || ds[2].Status != store.StatusPosted {
		t.Fatalf("statuses %s, %s %s, %s %s", ds[0].Status, ds[1].Reason, ds[1].Message, ds[2].Status, ds[2].Message)
	}
	// 10 pcs + 9 boxes (90 pcs) = the whole line: one more box is over.
	h.putFile("d", invoiceSet("ACME01", "U-4", "PO1", InvoiceLine{LineNumber: "1", Quantity: d("1"), UnitPrice: d("5.00"), UOM: "BX"}))
	h.sync(FlowInvoices)
	if got := h.last810(); got.Reason != string(ReasonAlreadyInvoiced) {
		t.Fatalf("one box more: %s %s", got.Reason, got.Message)
	}
}

func TestToleranceExplainsItself(t *testing.T) {
	h := newHarness(t)
	// 0.60 vs 0.50 is 20 % above; 10 pcs × 0.10 = 1.00 USD.
	h.putFile("a", invoiceSet("ACME01", "T-1", "PO1", bolt("10", "0.60")))
	h.sync(FlowInvoices)
	got := h.last810()
	for _, want := range []string{"price 0.6 per pcs is 20.00 % above PO PO1 line 1 price 0.50", "(1.00 USD on 10 pcs)", "the built-in default tolerance (price 2 %"} {
		if !strings.Contains(got.Message, want) {
			t.Errorf("message %q lacks %q", got.Message, want)
		}
	}
	if err := h.eng.SetTolerance(h.ctx, "*", Tolerance{PricePct: d("5"), QtyPct: d("0")}); err != nil {
		t.Fatal(err)
	}
	if r := h.replayDoc(got.ID); !strings.Contains(r.Message, "the company default tolerance (price 5 %") {
		t.Fatalf("company default: %+v", r)
	}
}

func TestCumulativeAmountBackstop(t *testing.T) {
	h := newHarness(t)
	// 2 % or 5.00 per line: 50 @ 0.55 (+2.50) and 50 @ 0.60 (+5.00) each
	// pass on their own; together 27.50 + 30.00 = 57.50 exceeds
	// 100 × 0.51 + 5.00 = 56.00.
	if err := h.eng.SetTolerance(h.ctx, "S100", Tolerance{PricePct: d("2"), QtyPct: d("0"), Absolute: d("5.00")}); err != nil {
		t.Fatal(err)
	}
	h.putFile("a", invoiceSet("ACME01", "M-1", "PO1", bolt("50", "0.55")))
	h.putFile("b", invoiceSet("ACME01", "M-2", "PO1", bolt("50", "0.60")))
	h.sync(FlowInvoices)
	ds := h.docs(store.Type810, store.Inbound)
	if ds[0].Status != store.StatusPosted || ds[1].Reason != string(ReasonAmountOver) || !strings.Contains(ds[1].Message, "57.50 USD in all (27.50 before, 30.00 now)") {
		t.Fatalf("%s; %s %s", ds[0].Status, ds[1].Reason, ds[1].Message)
	}
}

func TestDueDates(t *testing.T) {
	date := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		terms    []PaymentTerms
		ship     time.Time
		due      string
		discDate string
		discPct  string
	}{
		{"no terms", nil, time.Time{}, "", "", ""},
		{"net 30 from invoice date", []PaymentTerms{{Type: "01", BasisDate: "3", NetDays: 30}}, time.Time{}, "2026-12-01", "", ""},
		{"explicit net due date wins", []PaymentTerms{{Type: "01", BasisDate: "3", NetDays: 30, NetDueDate: time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)}}, time.Time{}, "2026-12-15", "", ""},
		{"2 % 10 net 30", []PaymentTerms{{Type: "08", BasisDate: "3", DiscountPercent: d("2"), DiscountDays: 10, NetDays: 30}}, time.Time{}, "2026-12-01", "2026-11-11", "2"},
		{"net 45 from ship date", []PaymentTerms{{Type: "01", BasisDate: "1", NetDays: 45}}, time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), "2026-12-04", "", ""},
		{"end of month + 15", []PaymentTerms{{Type: "02", BasisDate: "3", NetDays: 15}}, time.Time{}, "2026-12-15", "", ""},
		{"first ITD without a due date is skipped", []PaymentTerms{{Type: "05", Description: "see contract"}, {Type: "01", NetDays: 10}}, time.Time{}, "2026-11-11", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := dueFromTerms(&Invoice{Date: date, Terms: c.terms, ShipDate: c.ship})
			str := func(t time.Time) string {
				if t.IsZero() {
					return ""
				}
				return t.Format("2006-01-02")
			}
			pctS := ""
			if got.DiscountPercent.Sign() > 0 {
				pctS = got.DiscountPercent.String()
			}
			if str(got.Due) != c.due || str(got.DiscountDate) != c.discDate || pctS != c.discPct {
				t.Fatalf("due %s discount %s %s", str(got.Due), str(got.DiscountDate), pctS)
			}
		})
	}
}

func TestDueDateReachesIFSAndNoZeroDate(t *testing.T) {
	h := newHarness(t)
	h.ifs.suppliers[0].PayTermID = "N30"
	h.sync(FlowReference)
	withTerms := invoiceSet("ACME01", "D-1", "PO1", bolt("10", "0.50"))
	withTerms.Invoice.Terms = []PaymentTerms{{Type: "08", BasisDate: "3", DiscountPercent: d("2"), DiscountDays: 10, NetDays: 30}}
	h.putFile("a", withTerms)
	h.putFile("b", invoiceSet("ACME01", "D-2", "PO1", bolt("10", "0.50")))
	h.sync(FlowInvoices)
	if len(h.ifs.invoices) != 2 {
		t.Fatalf("IFS has %d invoices", len(h.ifs.invoices))
	}
	a, b := h.ifs.invoices[0], h.ifs.invoices[1]
	if a.DueDate.Format("2006-01-02") != "2026-12-01" || a.DiscountDate.Format("2006-01-02") != "2026-11-11" || !a.DiscountPercent.Equal(d("2")) || a.PayTermID != "N30" {
		t.Fatalf("with terms: due %v discount %v %s terms %q", a.DueDate, a.DiscountDate, a.DiscountPercent, a.PayTermID)
	}
	// Without ITD the supplier's payment terms go to IFS and no date is invented.
	if !b.DueDate.IsZero() || b.PayTermID != "N30" {
		t.Fatalf("without terms: due %v terms %q", b.DueDate, b.PayTermID)
	}
	// Nothing the connector stored or audited carries a zero date.
	for _, doc := range h.docs(store.Type810, store.Inbound) {
		full, _ := h.st.Document(h.ctx, doc.ID)
		ev, _ := h.st.DocumentEvents(h.ctx, doc.ID)
		all := string(full.Parsed)
		for _, e := range ev {
			all += string(e.DetailJSON())
		}
		if strings.Contains(all, "0001-01-01") {
			t.Fatalf("document %s has a zero date: %s", doc.BusinessKey, all)
		}
	}
}
