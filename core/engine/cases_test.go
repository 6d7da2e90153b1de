package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func (h *harness) only810() store.Document {
	h.t.Helper()
	ds := h.docs(store.Type810, store.Inbound)
	if len(ds) != 1 {
		h.t.Fatalf("want 1 invoice document, got %d", len(ds))
	}
	return ds[0]
}

func TestInvoiceCases(t *testing.T) {
	line := func(no, qty, price, part string) InvoiceLine {
		return InvoiceLine{LineNumber: no, Quantity: d(qty), UnitPrice: d(price), BuyerPart: part}
	}
	cases := []struct {
		name   string
		set    Set
		status store.Status
		reason Reason
	}{
		{"clean", invoiceSet("ACME01", "I1", "PO1", cleanLines()...), store.StatusPosted, ""},
		{"price within 2%", invoiceSet("ACME01", "I2", "PO1", line("1", "10", "0.51", "BOLT-10")), store.StatusPosted, ""},
		{"price variance", invoiceSet("ACME01", "I3", "PO1", line("1", "10", "0.60", "BOLT-10")), store.StatusException, ReasonPriceVariance},
		{"quantity over PO", invoiceSet("ACME01", "I4", "PO1", line("1", "120", "0.50", "BOLT-10")), store.StatusException, ReasonQuantityOver},
		{"unknown partner", invoiceSet("NOBODY", "I5", "PO1", cleanLines()...), store.StatusException, ReasonPartnerNotMapped},
		{"PO not found", invoiceSet("ACME01", "I6", "PO9", cleanLines()...), store.StatusException, ReasonPONotFound},
		{"line not on PO", invoiceSet("ACME01", "I7", "PO1", line("9", "1", "1", "WIDGET")), store.StatusException, ReasonPOLineNotFound},
		{"no PO number", invoiceSet("ACME01", "I8", "", cleanLines()...), store.StatusException, ReasonPOMissing},
		{"broken set", Set{ID: "810", SenderQual: "ZZ", SenderID: "ACME01", Errors: []string{`segment 14 (IT1) element 4: unit price "12,50" is not a number`}},
			store.StatusException, ReasonEDIInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.putFile("f", c.set)
			h.sync(FlowInvoices)
			got := h.only810()
			if got.Status != c.status || got.Reason != string(c.reason) {
				t.Fatalf("status %s reason %s (%s), want %s %s", got.Status, got.Reason, got.Message, c.status, c.reason)
			}
			if c.status == store.StatusException {
				exc, err := h.st.OpenExceptionOf(h.ctx, got.ID)
				if err != nil || exc.Message == "" || exc.Fix == "" {
					t.Fatalf("exception %+v %v", exc, err)
				}
				if len(h.ifs.invoices) != 0 {
					t.Fatal("IFS written despite exception")
				}
			}
		})
	}
}

func TestUnmappedPartnerFixAndReplayAll(t *testing.T) {
	h := newHarness(t)
	h.putFile("f1", invoiceSet("BOREAL", "B1", "PO2", InvoiceLine{LineNumber: "1", Quantity: d("5"), UnitPrice: d("10")}))
	h.putFile("f2", invoiceSet("BOREAL", "B2", "PO2", InvoiceLine{LineNumber: "1", Quantity: d("5"), UnitPrice: d("10")}))
	h.ifs.orders["PO2"] = domain.PurchaseOrder{OrderNo: "PO2", SupplierID: "S200", Currency: "USD", State: "Released", ETag: "x",
		Lines: []domain.PurchaseOrderLine{{LineNo: "1", Quantity: d("10"), UnitPrice: d("10"), CodeString: domain.CodeString{Account: "4000"}}}}
	h.sync(FlowInvoices)
	excs, n, err := h.eng.Exceptions(h.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonPartnerNotMapped)}})
	if err != nil || n != 2 {
		t.Fatalf("exceptions %d %v", n, err)
	}
	if !strings.Contains(excs[0].Message, "Partner ZZ:BOREAL is not mapped to an IFS supplier") {
		t.Fatalf("message %q", excs[0].Message)
	}
	if !strings.Contains(string(excs[0].Context), `"S200"`) {
		t.Fatalf("no suggestion in context: %s", excs[0].Context)
	}
	pv, err := h.eng.ReplayByReason(h.ctx, string(ReasonPartnerNotMapped), true)
	if err != nil || len(pv) != 2 || pv[0].Outcome != "still_failing" {
		t.Fatalf("preview before fix %+v %v", pv, err)
	}
	if err := h.eng.SetPartnerSupplier(h.ctx, "ZZ:BOREAL", "S200"); err != nil {
		t.Fatal(err)
	}
	pv, _ = h.eng.ReplayByReason(h.ctx, string(ReasonPartnerNotMapped), true)
	if pv[0].Outcome != "post" || pv[1].Outcome != "post" {
		t.Fatalf("preview after fix %+v", pv)
	}
	res, err := h.eng.ReplayByReason(h.ctx, string(ReasonPartnerNotMapped), false)
	if err != nil || len(res) != 2 || res[0].Status != "posted" || res[1].Status != "posted" {
		t.Fatalf("replay %+v %v", res, err)
	}
	if len(h.ifs.invoices) != 2 {
		t.Fatalf("IFS has %d invoices", len(h.ifs.invoices))
	}
	// Audited with the user and mapping version.
	ev, _ := h.st.DocumentEvents(h.ctx, excs[0].DocumentID)
	found := false
	for _, e := range ev {
		if e.Action == "replay" && e.Actor == "clerk1" && strings.Contains(string(e.DetailJSON()), `"mapping_version":1`) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no audited replay in %+v", ev)
	}
	hist, _ := h.eng.MappingHistory(h.ctx, 10)
	if len(hist) == 0 || hist[0].Actor != "clerk1" {
		t.Fatalf("history %+v", hist)
	}
}

func TestChargeWithoutGLThenRule(t *testing.T) {
	h := newHarness(t)
	s := invoiceSet("ACME01", "C1", "PO1", cleanLines()...)
	s.Invoice.Charges = []Charge{{Code: "D240", Amount: d("12.50"), Description: "Freight"}}
	s.Invoice.Total = s.Invoice.Total.Add(d("12.50"))
	h.putFile("f", s)
	h.sync(FlowInvoices)
	doc := h.only810()
	if doc.Reason != string(ReasonGLUnmapped) {
		t.Fatalf("reason %s", doc.Reason)
	}
	if err := h.eng.SetGLRule(h.ctx, "*", "D240", domain.CodeString{Account: "6100"}); err != nil {
		t.Fatal(err)
	}
	exc, _ := h.st.OpenExceptionOf(h.ctx, doc.ID)
	if r, err := h.eng.Replay(h.ctx, exc.ID); err != nil || r.Status != "posted" {
		t.Fatalf("replay %+v %v", r, err)
	}
	inv := h.ifs.invoices[0]
	if !inv.GrossAmount.Equal(d("72.50")) || inv.Postings[2].Code.Account != "6100" {
		t.Fatalf("invoice %+v", inv)
	}
}

func TestDuplicates(t *testing.T) {
	h := newHarness(t)
	h.putFile("f1", invoiceSet("ACME01", "INV-7", "PO1", cleanLines()...))
	h.sync(FlowInvoices)
	h.putFile("f2", invoiceSet("ACME01", "INV-7", "PO1", cleanLines()...)) // exact re-send
	other := invoiceSet("ACME01", "INV-7", "PO1", InvoiceLine{LineNumber: "1", Quantity: d("10"), UnitPrice: d("0.5")})
	h.putFile("f3", other) // same number, other content
	h.sync(FlowInvoices)
	ds := h.docs(store.Type810, store.Inbound)
	if ds[0].Status != store.StatusPosted || ds[1].Status != store.StatusSkippedDuplicate ||
		ds[2].Status != store.StatusException || ds[2].Reason != string(ReasonDuplicateNumber) {
		t.Fatalf("statuses %s %s %s/%s", ds[0].Status, ds[1].Status, ds[2].Status, ds[2].Reason)
	}
	if len(h.ifs.invoices) != 1 {
		t.Fatal("duplicate posted")
	}
	ev, _ := h.st.DocumentEvents(h.ctx, ds[1].ID)
	if ev[len(ev)-1].Action != "invoice.duplicate_skipped" {
		t.Fatalf("skip not audited: %+v", ev[len(ev)-1])
	}
	// An invoice already in IFS (e.g. keyed by hand) with the same amount is skipped too.
	h.ifs.invoices = append(h.ifs.invoices, domain.SupplierInvoice{Company: "MLC01", SupplierID: "S100", InvoiceNo: "HAND-1", GrossAmount: d("60"), InvoiceID: 5})
	// (On an order of its own: INV-7 has billed PO1's lines already.)
	po3 := h.ifs.orders["PO1"]
	po3.OrderNo = "PO3"
	h.ifs.orders["PO3"] = po3
	h.putFile("f4", invoiceSet("ACME01", "HAND-1", "PO3", cleanLines()...))
	h.sync(FlowInvoices)
	ds = h.docs(store.Type810, store.Inbound)
	if ds[3].Status != store.StatusSkippedDuplicate || len(h.ifs.invoices) != 2 {
		t.Fatalf("hand-keyed: %s, IFS %d", ds[3].Status, len(h.ifs.invoices))
	}
}

func TestCreditMemoNegative(t *testing.T) {
	h := newHarness(t)
	s := invoiceSet("ACME01", "CM-1", "PO1", InvoiceLine{LineNumber: "1", Quantity: d("10"), UnitPrice: d("0.50")})
	s.Invoice.CreditMemo = true
	h.putFile("f", s)
	h.sync(FlowInvoices)
	if got := h.only810(); got.Status != store.StatusPosted {
		t.Fatalf("%s %s", got.Status, got.Message)
	}
	inv := h.ifs.invoices[0]
	if !inv.CreditNote || !inv.GrossAmount.Equal(d("-5")) || !inv.Postings[0].Amount.Equal(d("-5")) {
		t.Fatalf("credit note %+v", inv)
	}
}

func TestBrokenSetDoesNotBlockOthersAndUnreadableFile(t *testing.T) {
	h := newHarness(t)
	good := invoiceSet("ACME01", "M1", "PO1", cleanLines()...)
	bad := Set{ID: "810", SenderQual: "ZZ", SenderID: "ACME01", ISAControl: "000000101", GSControl: "101", STControl: "0002", Errors: []string{"segment 3 (BIG): missing invoice number"}}
	good2 := invoiceSet("ACME01", "M3", "PO1", InvoiceLine{LineNumber: "2", Quantity: d("1"), UnitPrice: d("0.2")})
	h.putFile("multi", good, bad, good2)
	h.cleo.put("junk", "junk.x12", []byte("this is not edi"))
	h.sync(FlowInvoices)
	ds := h.docs(store.Type810, store.Inbound)
	if len(ds) != 3 || ds[0].Status != store.StatusPosted || ds[1].Reason != string(ReasonEDIInvalid) || ds[2].Status != store.StatusPosted {
		t.Fatalf("multi: %+v", ds)
	}
	excs, _, _ := h.eng.Exceptions(h.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonFileUnreadable)}})
	if len(excs) != 1 || excs[0].Subject == "" {
		t.Fatalf("unreadable: %+v", excs)
	}
	if h.cleo.acked["junk"] != 1 {
		t.Fatal("unreadable file must still be stored and acked (it is an exception, not lost)")
	}
	// One 997 for the group.
	if n := len(h.docs(store.Type997, store.Outbound)); n != 1 {
		t.Fatalf("997s %d", n)
	}
}

func TestTestModePartner(t *testing.T) {
	h := newHarness(t)
	if err := h.eng.SetPartnerMode(h.ctx, "ZZ:ACME01", "test"); err != nil {
		t.Fatal(err)
	}
	h.putFile("f", invoiceSet("ACME01", "T1", "PO1", cleanLines()...))
	h.sync(FlowInvoices, FlowPOs)
	got := h.only810()
	if got.Status != store.StatusTestReviewed || len(h.ifs.invoices) != 0 || len(h.cleo.sentNames("")) != 0 {
		t.Fatalf("test mode: %s, IFS %d, sent %v", got.Status, len(h.ifs.invoices), h.cleo.sentNames(""))
	}
	dd, _ := h.eng.Document(h.ctx, got.ID)
	if !strings.Contains(string(dd.Parsed), `"ifs_payload"`) {
		t.Fatal("would-be payload not stored")
	}
	if err := h.eng.SetPartnerMode(h.ctx, "ZZ:ACME01", "live"); err != nil {
		t.Fatal(err)
	}
	ev, _ := h.st.Events(h.ctx, store.EventQuery{ActionPrefix: "partner.mode"})
	if len(ev) != 2 || ev[0].Actor != "clerk1" {
		t.Fatalf("mode switches not audited: %+v", ev)
	}
}

func TestLostCreateResponseReconciled(t *testing.T) {
	h := newHarness(t)
	h.ifs.createThenErr = true // IFS creates, the response is lost
	h.putFile("f", invoiceSet("ACME01", "L1", "PO1", cleanLines()...))
	h.sync(FlowInvoices)
	if got := h.only810(); got.Status != store.StatusPosting {
		t.Fatalf("after lost response: %s", got.Status)
	}
	h.sync(FlowInvoices)
	got := h.only810()
	if got.Status != store.StatusPosted || got.IFSInvoiceID == 0 || h.ifs.creates != 1 {
		t.Fatalf("reconcile: %s id=%d creates=%d", got.Status, got.IFSInvoiceID, h.ifs.creates)
	}
}

func TestTransientThenExceptionAndAuthStopsRun(t *testing.T) {
	h := newHarness(t)
	h.ifs.failCreate, h.ifs.failCreateN = kindErr{domain.KindAuth, "token rejected"}, 1
	h.putFile("f", invoiceSet("ACME01", "A1", "PO1", cleanLines()...))
	if _, err := h.eng.SyncOnce(h.ctx, FlowInvoices); err == nil {
		t.Fatal("auth failure must fail the run")
	}
	if got := h.only810(); got.Status != store.StatusPosting {
		t.Fatalf("auth: doc %s", got.Status)
	}
	h.ifs.failCreate, h.ifs.failCreateN = kindErr{domain.KindTransient, "503"}, 100
	for i := 0; i < 6; i++ {
		h.sync(FlowInvoices)
	}
	got := h.only810()
	if got.Status != store.StatusException || got.Reason != string(ReasonRemoteUnavailable) {
		t.Fatalf("after retries: %s %s", got.Status, got.Reason)
	}
}

func TestHeartbeatStale(t *testing.T) {
	h := newHarness(t)
	h.sync(FlowInvoices)
	h.clock.t = h.clock.t.Add(time.Hour)
	stale, err := h.eng.CheckHeartbeats(h.ctx, map[string]time.Duration{FlowInvoices: 10 * time.Minute})
	if err != nil || len(stale) != 1 {
		t.Fatalf("stale %v %v", stale, err)
	}
	excs, _, _ := h.eng.Exceptions(h.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonHeartbeatStale)}})
	if len(excs) != 1 {
		t.Fatalf("exceptions %+v", excs)
	}
	h.sync(FlowInvoices)
	excs, _, _ = h.eng.Exceptions(h.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonHeartbeatStale)}})
	if len(excs) != 0 {
		t.Fatal("stale exception not resolved by a success")
	}
}

func TestIgnoreAndPOWithoutPartner(t *testing.T) {
	h := newHarness(t)
	h.ifs.orders["PO2"] = domain.PurchaseOrder{OrderNo: "PO2", SupplierID: "S200", State: "Released", ETag: "e1",
		Lines: []domain.PurchaseOrderLine{{LineNo: "1", Quantity: d("1"), UnitPrice: d("1")}}}
	h.sync(FlowPOs)
	var po2 store.Document
	for _, x := range h.docs(store.Type850, store.Outbound) {
		if x.BusinessKey == "PO2" {
			po2 = x
		}
	}
	if po2.Reason != string(ReasonPONoPartner) {
		t.Fatalf("PO2 %s %s", po2.Status, po2.Reason)
	}
	h.sync(FlowPOs) // not rebuilt every run
	if n := len(h.docs(store.Type850, store.Outbound)); n != 2 {
		t.Fatalf("850 docs %d", n)
	}
	if err := h.eng.SetPartnerSupplier(h.ctx, "ZZ:BOREAL", "S200"); err != nil {
		t.Fatal(err)
	}
	exc, _ := h.st.OpenExceptionOf(h.ctx, po2.ID)
	r, err := h.eng.Replay(h.ctx, exc.ID)
	if err != nil || r.Status != "sent" {
		t.Fatalf("replay %+v %v", r, err)
	}
	if n := len(h.cleo.sentNames("850_PO2_00_")); n != 1 {
		t.Fatalf("PO2 sent %d", n)
	}
	// Ignore needs a comment.
	h.putFile("f", invoiceSet("NOBODY", "X", "PO1", cleanLines()...))
	h.sync(FlowInvoices)
	exc, _ = h.st.OpenExceptionOf(h.ctx, h.only810().ID)
	if err := h.eng.Ignore(h.ctx, exc.ID, ""); err == nil {
		t.Fatal("ignore without comment")
	}
	if err := h.eng.Ignore(h.ctx, exc.ID, "test file from partner"); err != nil {
		t.Fatal(err)
	}
	if got := h.only810(); got.Status != store.StatusIgnored {
		t.Fatalf("ignored doc %s", got.Status)
	}
	if _, err := h.eng.Replay(h.ctx, exc.ID); !errors.Is(err, ErrNotReplayable) {
		t.Fatalf("replay of ignored: %v", err)
	}
}

func TestUnitConversionFixesQuantity(t *testing.T) {
	h := newHarness(t)
	// 10 boxes of 10 bolts at 5.00 a box = 100 pcs at 0.50.
	h.putFile("f", invoiceSet("ACME01", "U1", "PO1", InvoiceLine{LineNumber: "1", Quantity: d("10"), UOM: "BX", UnitPrice: d("5.00")}))
	h.sync(FlowInvoices)
	doc := h.only810()
	// Without a conversion, 10 BX against a line in pcs is not compared as numbers.
	if doc.Reason != string(ReasonUnitMismatch) || !strings.Contains(doc.Message, "bills in BX but PO PO1 line 1 is in pcs") {
		t.Fatalf("without conversion: %s %s %s", doc.Status, doc.Reason, doc.Message)
	}
	if _, err := h.st.SetUnitConversion(h.ctx, "clerk1", store.UnitConversion{SupplierID: "S100", X12Unit: "BX", IFSUnit: "pcs", Factor: d("10")}); err != nil {
		t.Fatal(err)
	}
	exc, _ := h.st.OpenExceptionOf(h.ctx, doc.ID)
	if r, err := h.eng.Replay(h.ctx, exc.ID); err != nil || r.Status != "posted" {
		t.Fatalf("after conversion: %+v %v", r, err)
	}
}

// flakyPO fails every PO read with a transient error.
type flakyPO struct{ *fakeIFS }

func (f flakyPO) PurchaseOrder(ctx context.Context, no string) (domain.PurchaseOrder, error) {
	return domain.PurchaseOrder{}, kindErr{domain.KindTransient, "503 Service Unavailable"}
}

func TestPreflightFailuresEscalate(t *testing.T) {
	h := newHarness(t)
	h.eng.p.IFS = flakyPO{h.ifs}
	h.putFile("f", invoiceSet("ACME01", "P1", "PO1", cleanLines()...))
	for i := 0; i < 6; i++ {
		h.sync(FlowInvoices)
	}
	got := h.only810()
	if got.Status != store.StatusException || got.Reason != string(ReasonRemoteUnavailable) {
		t.Fatalf("after repeated PO read failures: %s %s attempts=%d", got.Status, got.Reason, got.Attempts)
	}
}

func TestAckOverdueThenLateAck(t *testing.T) {
	h := newHarness(t)
	if err := h.eng.SetAckDeadline(h.ctx, "ZZ:ACME01", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	h.sync(FlowPOs)
	po := h.docs(store.Type850, store.Outbound)[0]
	if !po.DueAt.Equal(h.clock.t.Add(2 * time.Hour)) {
		t.Fatalf("due %v", po.DueAt)
	}
	h.clock.t = h.clock.t.Add(3 * time.Hour)
	h.sync(FlowPOs)
	got, _ := h.st.Document(h.ctx, po.ID)
	if got.Reason != string(ReasonAckOverdue) {
		t.Fatalf("after deadline: %s %s", got.Status, got.Reason)
	}
	// The late 997 still acknowledges it and clears the exception.
	h.putFile("a", Set{ID: "997", SenderQual: "ZZ", SenderID: "ACME01", ISAControl: "000000900", GSControl: "900", STControl: "0001",
		Ack: &Ack{GroupControlNumber: po.GSControl, Status: "A"}})
	h.sync(FlowInvoices)
	got, _ = h.st.Document(h.ctx, po.ID)
	if got.Status != store.StatusAcknowledged {
		t.Fatalf("late ack: %s", got.Status)
	}
	if _, err := h.st.OpenExceptionOf(h.ctx, po.ID); err == nil {
		t.Fatal("overdue exception still open")
	}
}

func TestExternalIDWriteBackAnd997Switch(t *testing.T) {
	h := newHarness(t)
	if err := h.eng.SetPartnerSupplier(h.ctx, "ZZ:BOREAL", "S200"); err != nil {
		t.Fatal(err)
	}
	h.sync(FlowReference)
	if h.cleo.extIDs["c-bor"] != "S200" {
		t.Fatalf("external ids written: %v", h.cleo.extIDs)
	}
	if _, ok := h.cleo.extIDs["c-acme"]; ok {
		t.Fatal("unchanged external id rewritten")
	}
	if err := h.eng.SetSend997(h.ctx, false); err != nil {
		t.Fatal(err)
	}
	h.putFile("f", invoiceSet("ACME01", "N1", "PO1", cleanLines()...))
	h.sync(FlowInvoices)
	if n := len(h.docs(store.Type997, store.Outbound)); n != 0 || len(h.cleo.sentNames("997")) != 0 {
		t.Fatalf("997 sent while switched off: %d", n)
	}
}

func TestTolerancesPerSupplier(t *testing.T) {
	h := newHarness(t)
	// 0.52 vs 0.50 is 4 %: over the 2 % default.
	h.putFile("f", invoiceSet("ACME01", "T1", "PO1", InvoiceLine{LineNumber: "1", Quantity: d("10"), UnitPrice: d("0.52")}))
	h.sync(FlowInvoices)
	doc := h.only810()
	if doc.Reason != string(ReasonPriceVariance) {
		t.Fatalf("default tolerance: %s %s", doc.Status, doc.Reason)
	}
	// An absolute tolerance of 0.25 on the line (10 × 0.02 = 0.20) accepts it.
	if err := h.eng.SetTolerance(h.ctx, "S100", Tolerance{PricePct: d("2"), QtyPct: d("0"), Absolute: d("0.25")}); err != nil {
		t.Fatal(err)
	}
	exc, _ := h.st.OpenExceptionOf(h.ctx, doc.ID)
	if r, err := h.eng.Replay(h.ctx, exc.ID); err != nil || r.Status != "posted" {
		t.Fatalf("with supplier tolerance: %+v %v", r, err)
	}
}
