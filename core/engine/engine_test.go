package engine

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/store"
)

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

type harness struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Store
	ifs   *fakeIFS
	cleo  *fakeCleo
	eng   *Engine
	clock *fixedClock
	bus   *events.Bus
}

var d = money.MustParse

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	clock := &fixedClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "mlc.db"), store.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ifs := newFakeIFS()
	ifs.suppliers = []domain.Supplier{{SupplierID: "S100", Name: "Acme Fasteners Inc", Currency: "USD", State: "Active"},
		{SupplierID: "S200", Name: "Borealis Metals", Currency: "USD", State: "Active"}}
	ifs.accounts = []domain.CodePartValue{{Company: "MLC01", CodePart: "A", Value: "4000"}, {Company: "MLC01", CodePart: "A", Value: "6100"}}
	ifs.orders["PO1"] = domain.PurchaseOrder{OrderNo: "PO1", SupplierID: "S100", Currency: "USD", State: "Released", ETag: `W/"1"`,
		Lines: []domain.PurchaseOrderLine{
			{LineNo: "1", PartNo: "BOLT-10", Quantity: d("100"), UnitPrice: d("0.50"), Unit: "pcs", CodeString: domain.CodeString{Account: "4000", CodeB: "CC10"}},
			{LineNo: "2", PartNo: "NUT-10", Quantity: d("100"), UnitPrice: d("0.20"), Unit: "pcs", CodeString: domain.CodeString{Account: "4000", CodeB: "CC10"}},
		}}
	cleo := newFakeCleo()
	cleo.partners = []domain.Partner{{ID: "c-acme", Alias: "ACME_AS2", ISAQualifier: "ZZ", ISAID: "ACME01", ExternalID: "S100", Enabled: true},
		{ID: "c-bor", Alias: "BOREALIS", ISAQualifier: "ZZ", ISAID: "BOREAL", Enabled: true}}
	bus := events.NewBus()
	eng, err := New(Params{Store: st, IFS: ifs, Cleo: cleo, EDI: jsonEDI{}, Bus: bus, Clock: clock, Company: "MLC01",
		Us: Identity{Qualifier: "ZZ", ID: "MLCONNECT"}, Actor: "clerk1"})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: ctx, st: st, ifs: ifs, cleo: cleo, eng: eng, clock: clock, bus: bus}
	h.sync(FlowReference)
	return h
}

func (h *harness) sync(flows ...string) {
	h.t.Helper()
	if _, err := h.eng.SyncOnce(h.ctx, flows...); err != nil {
		h.t.Fatalf("sync %v: %v", flows, err)
	}
}

func invoiceSet(partnerID, number, po string, lines ...InvoiceLine) Set {
	total := money.FromInt(0)
	for _, l := range lines {
		total = total.Add(l.Quantity.Mul(l.UnitPrice).Round(2))
	}
	return Set{ID: "810", SenderQual: "ZZ", SenderID: partnerID, ISAControl: "000000101", GSControl: "101", STControl: "0001",
		Invoice: &Invoice{Number: number, PONumber: po, Currency: "USD", Total: total, Lines: lines,
			Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}}
}

func (h *harness) putFile(id string, sets ...Set) {
	b, _ := json.Marshal(jsonFile{Sets: sets})
	h.cleo.put(id, id+".x12", b)
}

func (h *harness) docs(typ store.DocType, dir store.Direction) []store.Document {
	h.t.Helper()
	ds, err := h.st.Documents(h.ctx, store.DocumentQuery{Type: typ, Direction: dir, Oldest: true, Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	return ds
}

func cleanLines() []InvoiceLine {
	return []InvoiceLine{{LineNumber: "1", Quantity: d("100"), UnitPrice: d("0.50"), UOM: "EA", BuyerPart: "BOLT-10"},
		{LineNumber: "2", Quantity: d("50"), UnitPrice: d("0.20"), UOM: "EA", BuyerPart: "NUT-10"}}
}

func TestCleanInvoicePostedAnd997Sent(t *testing.T) {
	h := newHarness(t)
	sub := h.bus.Subscribe(events.AllEvents, 0)
	defer sub.Unsubscribe()
	h.putFile("f1", invoiceSet("ACME01", "INV-1", "PO1", cleanLines()...))
	h.sync(FlowInvoices)

	inv := h.docs(store.Type810, store.Inbound)
	if len(inv) != 1 || inv[0].Status != store.StatusPosted {
		t.Fatalf("invoice docs = %+v", inv)
	}
	if len(h.ifs.invoices) != 1 {
		t.Fatalf("IFS invoices = %d", len(h.ifs.invoices))
	}
	got := h.ifs.invoices[0]
	if got.SupplierID != "S100" || !got.GrossAmount.Equal(d("60")) || len(got.Postings) != 2 || got.Postings[0].Code.Account != "4000" {
		t.Fatalf("posted %+v", got)
	}
	if h.cleo.acked["f1"] != 1 {
		t.Fatal("file not acked")
	}
	acks := h.docs(store.Type997, store.Outbound)
	if len(acks) != 1 || acks[0].Status != store.StatusSent || len(h.cleo.sentNames("997_ACME01_")) != 1 {
		t.Fatalf("997 docs = %+v sent=%v", acks, h.cleo.sentNames(""))
	}
	// Events reached the subscriber.
	seen := map[events.Type]bool{}
	for {
		ev, ok := sub.Poll(10 * time.Millisecond)
		if !ok {
			break
		}
		seen[ev.Type] = true
	}
	if !seen[events.RunStarted] || !seen[events.RunFinished] || !seen[events.DocumentChanged] {
		t.Fatalf("events seen %v", seen)
	}
	rep, err := h.st.VerifyChain(h.ctx)
	if err != nil || !rep.OK {
		t.Fatalf("chain %+v %v", rep, err)
	}
}

func TestPOSentOnceAndAcknowledged(t *testing.T) {
	h := newHarness(t)
	h.sync(FlowPOs)
	h.sync(FlowPOs) // unchanged ETag: nothing new
	pos := h.docs(store.Type850, store.Outbound)
	if len(pos) != 1 || pos[0].Status != store.StatusSent || pos[0].Partner != "ZZ:ACME01" {
		t.Fatalf("850 docs = %+v", pos)
	}
	names := h.cleo.sentNames("850_")
	if len(names) != 1 || names[0] != "850_PO1_00_000000001.x12" {
		t.Fatalf("sent %v", names)
	}
	// Supplier accepts.
	h.putFile("a1", Set{ID: "997", SenderQual: "ZZ", SenderID: "ACME01", ISAControl: "000000900", GSControl: "900", STControl: "0001",
		Ack: &Ack{GroupControlNumber: pos[0].GSControl, FunctionalID: "PO", Status: "A"}})
	h.sync(FlowInvoices)
	po, _ := h.st.Document(h.ctx, pos[0].ID)
	if po.Status != store.StatusAcknowledged {
		t.Fatalf("PO status %s (%s)", po.Status, po.Message)
	}
	// A change sends a replacement (BEG 05) under a new name.
	o := h.ifs.orders["PO1"]
	o.ETag = `W/"2"`
	h.ifs.orders["PO1"] = o
	h.sync(FlowPOs)
	if names := h.cleo.sentNames("850_PO1_05_"); len(names) != 1 {
		t.Fatalf("replacement not sent: %v", h.cleo.sentNames(""))
	}
}

func TestPORejectedAckInPlainWords(t *testing.T) {
	h := newHarness(t)
	h.sync(FlowPOs)
	po := h.docs(store.Type850, store.Outbound)[0]
	h.putFile("a1", Set{ID: "997", SenderQual: "ZZ", SenderID: "ACME01", ISAControl: "000000900", GSControl: "900", STControl: "0001",
		Ack: &Ack{GroupControlNumber: po.GSControl, Status: "R", Sets: []AckSet{{ControlNumber: "0001", Status: "R",
			Problems: []AckProblem{{Segment: "PO1", Position: 7, SegmentCode: "8", Element: 3, ElementCode: "7", Data: "XX"}}}}}})
	h.sync(FlowInvoices)
	got, _ := h.st.Document(h.ctx, po.ID)
	if got.Status != store.StatusException || got.Reason != string(ReasonAckRejected) {
		t.Fatalf("PO %s %s", got.Status, got.Reason)
	}
	want := `segment PO1 (line 7): a segment has data element errors, field 3: a code value the supplier does not accept ("XX")`
	if !contains(got.Message, want) {
		t.Fatalf("message %q", got.Message)
	}
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0) }
func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// A 997 that matches nothing we sent: an acceptance needs no action, a
// rejection is never "no action needed" and says what to ask the supplier.
func TestUnmatchedAckRejectedIsNotHarmless(t *testing.T) {
	h := newHarness(t)
	h.putFile("a1", Set{ID: "997", SenderQual: "ZZ", SenderID: "ACME01", ISAControl: "000000901", GSControl: "901", STControl: "0001",
		Ack: &Ack{GroupControlNumber: "4242", FunctionalID: "PO", Status: "A"}})
	h.putFile("a2", Set{ID: "997", SenderQual: "ZZ", SenderID: "ACME01", ISAControl: "000000902", GSControl: "902", STControl: "0001",
		Ack: &Ack{GroupControlNumber: "4343", FunctionalID: "PO", Status: "R"}})
	h.sync(FlowInvoices)
	exc, _, err := h.eng.Exceptions(h.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonAckUnmatched)}})
	if err != nil || len(exc) != 2 {
		t.Fatalf("%d unmatched 997s, %v", len(exc), err)
	}
	for _, x := range exc {
		rejected := strings.Contains(x.Message, "4343")
		if rejected != strings.Contains(x.Message, "REJECTED") || rejected == strings.HasPrefix(x.Fix, "no action") {
			t.Fatalf("group %s: %q / fix %q", map[bool]string{true: "4343", false: "4242"}[rejected], x.Message, x.Fix)
		}
	}
}
