package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

func (s *sandboxes) count997Out() int {
	s.t.Helper()
	n, err := s.st.CountDocuments(s.ctx, store.DocumentQuery{Direction: store.Outbound, Type: store.Type997})
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// inboundOf returns the inbound documents split from files whose Cleo
// name is name.
func (s *sandboxes) inboundByKey(typ store.DocType, key string) []store.Document {
	s.t.Helper()
	ds, err := s.st.Documents(s.ctx, store.DocumentQuery{Direction: store.Inbound, Type: typ, BusinessKey: key, Limit: 100})
	if err != nil {
		s.t.Fatal(err)
	}
	var out []store.Document
	for _, d := range ds {
		if d.BusinessKey == key {
			out = append(out, d)
		}
	}
	return out
}

// 850s and 810s in our mailbox: a copy of what we sent is matched and
// goes no further (no 997 to ourselves, never posted); a PO from another
// buying system, and an 810 in our name that we did not send, are
// UNEXPECTED_DOCUMENT, readable, never dropped and never posted.
func TestInboundEchoesAndUnexpectedDocuments(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	sup := s.markSelfBilling()
	s.sync(FlowPOs, FlowInvoicesOut, FlowInvoices) // drain the seeded inbox first
	ifsBefore := len(s.isim.Invoices())
	acksBefore := s.count997Out()

	// 1. A copy of an 850 we sent, and of a self-billing 810 we sent.
	var po store.Document
	for _, d := range s.out850() {
		if d.Status == store.StatusSent && (po.ID == 0 || d.BusinessKey < po.BusinessKey) {
			po = d
		}
	}
	sb := s.out810()["SB-P10001"]
	if po.ID == 0 || sb.ID == 0 {
		t.Fatalf("nothing sent to echo: 850 %+v, 810 %+v", po.ID, sb.ID)
	}
	po, err := s.st.Document(s.ctx, po.ID) // with its body
	if err != nil || len(po.RawEDI) == 0 {
		t.Fatalf("850 body: %v", err)
	}
	poSup, _ := s.w.SupplierByID(po.SupplierID)
	if _, err := s.csim.Inject(poSup.Partner.Alias, "echo_"+po.CleoName, po.RawEDI, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.csim.Inject(sup.Partner.Alias, "echo_"+sb.CleoName, sb.RawEDI, time.Time{}); err != nil {
		t.Fatal(err)
	}

	// 2. A PO from another buying system, hand-made: 12 EA at 3.50 and
	// 4 BX at 19.99 (worked by hand: 42.00 + 79.96 = 121.96).
	var b bytes.Buffer
	xpo := &x12.PurchaseOrder{Purpose: x12.PurposeOriginal, Type: "SA", Number: "EXT-4500017", Date: x12.DateOf(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)), Currency: "GBP",
		Lines: []x12.POLine{{LineNumber: "1", Quantity: money.MustParse("12"), UOM: "EA", UnitPrice: money.MustParse("3.50"), BuyerPart: "BOLT-M8"},
			{LineNumber: "2", Quantity: money.MustParse("4"), UOM: "BX", UnitPrice: money.MustParse("19.99"), BuyerPart: "WASHER-8"}}}
	env := x12.Envelope{SenderQualifier: poSup.Partner.ISAQualifier, SenderID: poSup.Partner.ISAID, ReceiverQualifier: s.w.Us.Qualifier,
		ReceiverID: s.w.Us.ID, InterchangeControl: 7001, GroupControl: 7001, SetControl: 1, Time: s.w.Today, Replacement: ' '}
	if err := x12.Write850(&b, env, xpo); err != nil {
		t.Fatal(err)
	}
	if _, err := s.csim.Inject(poSup.Partner.Alias, "foreign_850.edi", b.Bytes(), time.Time{}); err != nil {
		t.Fatal(err)
	}

	// 3. An 810 in our own name that we never sent: our 810 with another number.
	forged := bytes.Replace(sb.RawEDI, []byte("*SB-P10001*"), []byte("*SB-X99999*"), 1)
	if bytes.Equal(forged, sb.RawEDI) {
		t.Fatalf("no BIG02 to change in\n%s", sb.RawEDI)
	}
	if _, err := s.csim.Inject(sup.Partner.Alias, "forged_810.edi", forged, time.Time{}); err != nil {
		t.Fatal(err)
	}

	s.sync(FlowInvoices)

	echo850 := s.inboundByKey(store.Type850, po.BusinessKey)
	if len(echo850) != 1 || echo850[0].Status != store.StatusMatched || echo850[0].RelatedID != po.ID || !strings.Contains(echo850[0].Message, "copy of the 850") {
		t.Fatalf("echo of 850 %s: %+v", po.BusinessKey, echo850)
	}
	echo810 := s.inboundByKey(store.Type810, "SB-P10001")
	if len(echo810) != 1 || echo810[0].Status != store.StatusMatched || echo810[0].RelatedID != sb.ID {
		t.Fatalf("echo of 810 SB-P10001: %+v", echo810)
	}
	foreign := s.inboundByKey(store.Type850, "EXT-4500017")
	if len(foreign) != 1 || foreign[0].Status != store.StatusException || foreign[0].Reason != string(ReasonUnexpected) ||
		!strings.Contains(foreign[0].Message, "another buying system") || foreign[0].Fix != fixUnexpected {
		t.Fatalf("foreign 850: %+v", foreign)
	}
	// Readable as our own 850s are: both lines with their figures.
	dd, err := s.eng.Document(s.ctx, foreign[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := DecodeParsed(dd.Parsed)
	if err != nil || pf.PO == nil || len(pf.PO.Order.Lines) != 2 {
		t.Fatalf("parsed form of the foreign 850: %v %s", err, dd.Parsed)
	}
	total := money.Zero
	for _, l := range pf.PO.Order.Lines {
		total = total.Add(l.Quantity.Mul(l.UnitPrice))
	}
	if l := pf.PO.Order.Lines[1]; l.PartNo != "WASHER-8" || l.Unit != "BX" || total.Cmp(money.MustParse("121.96")) != 0 {
		t.Errorf("foreign 850 reads as %+v, total %s", pf.PO.Order.Lines, total)
	}
	forgedDocs := s.inboundByKey(store.Type810, "SB-X99999")
	if len(forgedDocs) != 1 || forgedDocs[0].Reason != string(ReasonUnexpected) || !strings.Contains(forgedDocs[0].Message, "our own name") ||
		!strings.Contains(forgedDocs[0].Message, "not posted") {
		t.Fatalf("810 in our name: %+v", forgedDocs)
	}
	excs := s.exceptionsOf(ReasonUnexpected)
	if len(excs) != 2 {
		t.Fatalf("%d UNEXPECTED_DOCUMENT, want 2", len(excs))
	}
	for _, x := range excs {
		if pv, err := s.eng.PreviewReplay(s.ctx, x.ID); err != nil || pv.Outcome != "not_replayable" {
			t.Errorf("replay of %s: %+v %v", x.BusinessKey, pv, err)
		}
	}
	// Nothing reached IFS; a 997 went to the partner for its own 850 only
	// (the copies of ours and the 810 in our name are not acknowledged).
	if n := len(s.isim.Invoices()); n != ifsBefore {
		t.Errorf("IFS invoices %d → %d", ifsBefore, n)
	}
	if n := s.count997Out(); n != acksBefore+1 {
		t.Errorf("997s sent %d → %d, want one more (the foreign 850's group)", acksBefore, n)
	}
}
