package engine

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// World 1's self-billing supplier is SUP1005 (Midlands Castings, GBP,
// partner MIDLANDS_CASTINGS_SFTP). By hand, from its Closed order P10001:
// line 1 bills 23,043.70 and line 2 7,100.00, so SB-P10001 totals
// 30,143.70 (TDS 3014370); the credit note SB-P10001-CR returns one unit of
// line 1 at 53.59 (TDS 5359, BIG07 CR, positive amounts); SB-P10003
// (5,673.00) waits in Preliminary until IFS posts it.
func TestE2ESelfBillingInvoicesOut(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	sup, ok := s.w.SupplierByID(world.SelfBillingSupplier(s.w))
	if !ok || sup.SupplierID != "SUP1005" {
		t.Fatalf("self-billing supplier = %+v", sup)
	}
	// Not marked self-billing in Mappings: nothing goes out.
	s.sync(FlowInvoicesOut)
	if n := len(s.out810()); n != 0 {
		t.Fatalf("%d 810s built before the supplier was marked self-billing", n)
	}
	s.markSelfBilling()
	sentBefore := len(s.csim.Sent())
	s.sync(FlowInvoicesOut)
	docs := s.out810()
	want := map[string]struct {
		typ, tds string
		lines    int
		amount   string
		ext      []string // IT1 quantity × price per PO line 1, 2 …
	}{
		"SB-P10001":    {"DI", "3014370", 2, "30143.70", []string{"23043.70", "7100.00"}},
		"SB-P10001-CR": {"CR", "5359", 1, "53.59", []string{"53.59"}},
	}
	if len(docs) != len(want) {
		t.Fatalf("810s: %v, want SB-P10001 and SB-P10001-CR", keys(docs))
	}
	for no, w := range want {
		d, ok := docs[no]
		if !ok {
			t.Fatalf("no 810 for %s", no)
		}
		if d.Status != store.StatusSent || d.CleoID == "" || d.Amount.Cmp(money.MustParse(w.amount)) != 0 || d.Currency != "GBP" ||
			!strings.HasPrefix(d.CleoName, "810_"+no+"_") || d.DueAt.IsZero() {
			t.Errorf("%s: %+v", no, d)
		}
		set := readOneSet(t, d.RawEDI)
		if set.ID != "810" || set.Group.FunctionalID != "IN" || len(set.Errors) > 0 {
			t.Errorf("%s: set %s in group %s, errors %v", no, set.ID, set.Group.FunctionalID, set.Errors)
		}
		inv, err := x12.ParseInvoice(set)
		if err != nil || len(inv.Errors) > 0 {
			t.Fatalf("%s: our own 810 does not read back: %v %v", no, err, inv.Errors)
		}
		if inv.Number != no || inv.PONumber != "P10001" || inv.Type != w.typ || len(inv.Lines) != w.lines ||
			inv.Total.Cmp(money.MustParse(w.amount)) != 0 || inv.Currency != "GBP" {
			t.Errorf("%s reads back as %s PO %s type %s, %d lines, total %s %s", no, inv.Number, inv.PONumber, inv.Type, len(inv.Lines), inv.Total, inv.Currency)
		}
		if !bytes.Contains(d.RawEDI, []byte("TDS*"+w.tds+"~")) && !bytes.Contains(d.RawEDI, []byte("TDS*"+w.tds+"\n")) {
			t.Errorf("%s: no TDS*%s in\n%s", no, w.tds, d.RawEDI)
		}
		for i, l := range inv.Lines {
			if l.Quantity.Sign() <= 0 || l.UnitPrice.Sign() <= 0 || l.BuyerPart == "" || l.LineNumber != fmt.Sprint(i+1) ||
				i < len(w.ext) && l.Extension().Round(2).Cmp(money.MustParse(w.ext[i])) != 0 {
				t.Errorf("%s line %s: %s × %s, part %q: want PO line %d, positive figures, our part number and %s", no, l.LineNumber,
					l.Quantity, l.UnitPrice, l.BuyerPart, i+1, w.ext[i])
			}
		}
		if w.typ == "CR" && inv.Lines[0].Quantity.Cmp(money.FromInt(1)) != 0 {
			t.Errorf("credit memo returns %s units, want 1", inv.Lines[0].Quantity)
		}
	}
	if n := len(s.csim.Sent()) - sentBefore; n != 2 {
		t.Errorf("%d files reached Cleo, want 2", n)
	}
	marked := map[int64]bool{}
	for _, inv := range s.isim.SelfBillingInvoices() {
		marked[inv.InvoiceID] = inv.Sent
	}
	if !marked[900001] || !marked[900003] || marked[900002] {
		t.Errorf("IFS sent markers: %v, want 900001 and 900003 only", marked)
	}
	// Nothing is sent twice: a second run finds nothing new.
	s.sync(FlowInvoicesOut)
	if n := len(s.csim.Sent()) - sentBefore; n != 2 || len(s.out810()) != 2 {
		t.Errorf("after a second run: %d files at Cleo, %d 810s", n, len(s.out810()))
	}
	// The supplier acknowledges: both 810s become acknowledged.
	s.csim.Respond()
	s.sync(FlowInvoices)
	for no, d := range s.out810() {
		if d.Status != store.StatusAcknowledged {
			t.Errorf("%s after the 997: %s %s", no, d.Status, d.Message)
		}
	}
	// IFS posts SB-P10003: it goes out on the next run, alone.
	if err := s.isim.SetInvoiceState("MLC01", 900002, "Posted"); err != nil {
		t.Fatal(err)
	}
	s.sync(FlowInvoicesOut)
	if d, ok := s.out810()["SB-P10003"]; !ok || d.Status != store.StatusSent || d.Amount.Cmp(money.MustParse("5673.00")) != 0 {
		t.Errorf("SB-P10003 after posting: %+v", d)
	}
	n810 := 0
	for _, f := range s.csim.Sent() {
		if strings.HasPrefix(f.Filename, "810_") {
			n810++
		}
	}
	if n810 != 3 {
		t.Errorf("%d 810 files at Cleo, want 3", n810)
	}
}

// A self-billing invoice that cannot be stated exactly (here: IFS cannot
// find the order it bills) is an exception with its fix and nothing goes
// to Cleo; after the fix a replay reads it from IFS again, builds it and
// sends it, once.
func TestSelfBillingProblemAndReplay(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	s.markSelfBilling()
	s.breakIFS.set(func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.Contains(r.URL.Path+"?"+r.URL.RawQuery, "P10001") && strings.Contains(r.URL.Path, "PurchaseOrder")
	})
	s.sync(FlowInvoicesOut)
	d, ok := s.out810()["SB-P10001"]
	if !ok || d.Status != store.StatusException || d.Reason != string(ReasonSBIIncomplete) || len(d.RawEDI) != 0 ||
		!strings.Contains(d.Message, "P10001") || d.Fix == "" {
		t.Fatalf("SB-P10001 with its order unreadable: %+v", d)
	}
	for _, f := range s.csim.Sent() {
		if strings.HasPrefix(f.Filename, "810_SB-P10001_") {
			t.Fatalf("%s reached Cleo although it could not be built", f.Filename)
		}
	}
	// A second run does not build it again.
	s.sync(FlowInvoicesOut)
	if n := countDocs(s, "SB-P10001"); n != 1 {
		t.Fatalf("%d documents for SB-P10001 after a second run", n)
	}
	s.breakIFS.set(nil)
	excs, _, err := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonSBIIncomplete)}, Limit: 10})
	// The invoice and its credit note both bill P10001.
	if err != nil || len(excs) != 2 {
		t.Fatalf("SELF_BILLING_INCOMPLETE exceptions: %d %v", len(excs), err)
	}
	for _, e := range excs {
		if pv, err := s.eng.PreviewReplay(s.ctx, e.ID); err != nil || pv.Outcome != "rebuild" {
			t.Errorf("preview: %+v %v", pv, err)
		}
		if res, err := s.eng.Replay(s.ctx, e.ID); err != nil || res.Status != string(store.StatusSent) {
			t.Fatalf("replay: %+v %v", res, err)
		}
	}
	s.sync(FlowInvoicesOut)
	sent := 0
	for _, f := range s.csim.Sent() {
		if strings.HasPrefix(f.Filename, "810_SB-P10001_") {
			sent++
		}
	}
	if d := s.out810()["SB-P10001"]; sent != 1 || d.Status != store.StatusSent || d.Amount.Cmp(money.MustParse("30143.70")) != 0 {
		t.Errorf("after the replay: %d files at Cleo, document %s %s", sent, d.Status, d.Amount)
	}
}

func countDocs(s *sandboxes, no string) int {
	ds, err := s.st.Documents(s.ctx, store.DocumentQuery{Type: store.Type810, Direction: store.Outbound, BusinessKey: no, Limit: 100})
	if err != nil {
		s.t.Fatal(err)
	}
	n := 0
	for _, d := range ds {
		if d.BusinessKey == no {
			n++
		}
	}
	return n
}

// resolveSBILines states a line exactly or refuses the invoice; the
// figures are worked out by hand.
func TestResolveSBILines(t *testing.T) {
	m := money.MustParse
	po := domain.PurchaseOrder{OrderNo: "P1", Lines: []domain.PurchaseOrderLine{
		{LineNo: "1", ReleaseNo: "1", Unit: "pcs", UnitPrice: m("2.5000"), PartNo: "A"},
		{LineNo: "2", ReleaseNo: "1", Unit: "kg", UnitPrice: m("3.33"), PartNo: "B"},
	}}
	for _, tc := range []struct {
		name    string
		lines   []domain.SupplierInvoiceLine
		net     string
		wantQty []string // resolved quantities; nil when refused
		refuse  string   // part of the message
	}{
		{name: "quantities from IFS", net: "35.00", lines: []domain.SupplierInvoiceLine{
			{LineNo: "1", NetAmount: m("25.00"), Quantity: m("10"), UnitPrice: m("2.5"), UOM: "pcs"},
			{LineNo: "2", NetAmount: m("10.00"), Quantity: m("4"), UnitPrice: m("2.50"), UOM: "kg"}}, wantQty: []string{"10", "4"}},
		{name: "quantity from net ÷ PO price when exact (25.00 / 2.5 = 10)", net: "25.00", lines: []domain.SupplierInvoiceLine{
			{LineNo: "1", NetAmount: m("25.00")}}, wantQty: []string{"10"}},
		{name: "9.99 / 3.33 = 3 exactly", net: "9.99", lines: []domain.SupplierInvoiceLine{
			{LineNo: "2", NetAmount: m("9.99")}}, wantQty: []string{"3"}},
		{name: "10.00 / 3.33 is no quantity", net: "10.00", lines: []domain.SupplierInvoiceLine{
			{LineNo: "2", NetAmount: m("10.00")}}, refuse: "no quantity and unit price"},
		{name: "line disagrees with quantity × price (3 × 3.33 = 9.99, IFS 10.00)", net: "10.00", lines: []domain.SupplierInvoiceLine{
			{LineNo: "2", NetAmount: m("10.00"), Quantity: m("3")}}, refuse: "3 × 3.33 = 9.99"},
		{name: "lines do not add up to the header", net: "26.00", lines: []domain.SupplierInvoiceLine{
			{LineNo: "1", NetAmount: m("25.00")}}, refuse: "add up to 25.00"},
		{name: "no PO line, no price", net: "5.00", lines: []domain.SupplierInvoiceLine{
			{LineNo: "9", NetAmount: m("5.00")}}, refuse: "no quantity and unit price"},
		{name: "no lines", net: "5.00", refuse: "no lines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sbi := SelfBilling810{Order: po, Invoice: domain.SupplierInvoice{InvoiceNo: "SB-1", NetAmount: m(tc.net), Lines: tc.lines}}
			p := resolveSBILines(&sbi)
			if tc.refuse != "" {
				if p == nil || p.Reason != ReasonSBIIncomplete || !strings.Contains(p.Message, tc.refuse) {
					t.Fatalf("problem %v, want %q", p, tc.refuse)
				}
				return
			}
			if p != nil {
				t.Fatal(p)
			}
			for i, q := range tc.wantQty {
				if l := sbi.Invoice.Lines[i]; l.Quantity.Cmp(m(q)) != 0 || l.UOM == "" {
					t.Errorf("line %d: %s %s, want %s", i+1, l.Quantity, l.UOM, q)
				}
			}
		})
	}
}

// markSelfBilling maps world 1's self-billing supplier to its own Cleo
// partner with the self-billing flag, and returns the supplier.
func (s *sandboxes) markSelfBilling() world.Supplier {
	s.t.Helper()
	sup, ok := s.w.SupplierByID(world.SelfBillingSupplier(s.w))
	if !ok {
		s.t.Fatal("world 1 has no self-billing supplier")
	}
	if _, err := s.st.SetPartnerMapping(s.ctx, "admin", store.PartnerMapping{ISAQualifier: sup.Partner.ISAQualifier,
		ISAID: sup.Partner.ISAID, SupplierID: sup.SupplierID, SelfBilling: true}); err != nil {
		s.t.Fatal(err)
	}
	return sup
}

// A self-billing supplier whose Cleo partner neither is mapped nor names
// it by external id: SELF_BILLING_NO_PARTNER, nothing sent; mapping the
// partner and replaying sends it once.
func TestSelfBillingNoPartnerThenMapped(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	sup, _ := s.w.SupplierByID(world.SelfBillingSupplier(s.w))
	// Flagged through a mapping of some other sender key; the supplier's
	// own partner loses its external id, so nothing leads to it.
	if _, err := s.st.SetPartnerMapping(s.ctx, "admin", store.PartnerMapping{ISAQualifier: "ZZ", ISAID: "OLDSENDERID",
		SupplierID: sup.SupplierID, SelfBilling: true}); err != nil {
		t.Fatal(err)
	}
	recs, err := s.st.Partners(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ps []domain.Partner
	for _, r := range recs {
		if r.ExternalID == sup.SupplierID {
			r.ExternalID = ""
		}
		ps = append(ps, r.Partner)
	}
	if err := s.st.ReplacePartners(s.ctx, ps); err != nil {
		t.Fatal(err)
	}
	s.sync(FlowInvoicesOut)
	d := s.out810()["SB-P10001"]
	if d.Status != store.StatusException || d.Reason != string(ReasonSBINoPartner) || len(d.RawEDI) != 0 || !strings.Contains(d.Message, sup.SupplierID) {
		t.Fatalf("SB-P10001 without a partner: %s %s %q", d.Status, d.Reason, d.Message)
	}
	for _, f := range s.csim.Sent() {
		if strings.HasPrefix(f.Filename, "810_") {
			t.Fatalf("%s reached Cleo without a partner", f.Filename)
		}
	}
	if _, err := s.st.SetPartnerMapping(s.ctx, "admin", store.PartnerMapping{ISAQualifier: sup.Partner.ISAQualifier,
		ISAID: sup.Partner.ISAID, SupplierID: sup.SupplierID, SelfBilling: true}); err != nil {
		t.Fatal(err)
	}
	excs, _, err := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonSBINoPartner)}, Limit: 10})
	if err != nil || len(excs) != 2 {
		t.Fatalf("SELF_BILLING_NO_PARTNER exceptions: %d %v (want the invoice and its credit note)", len(excs), err)
	}
	for _, e := range excs {
		if res, err := s.eng.Replay(s.ctx, e.ID); err != nil || res.Status != string(store.StatusSent) {
			t.Fatalf("replay: %+v %v", res, err)
		}
	}
	if d := s.out810()["SB-P10001"]; d.Status != store.StatusSent || d.Partner != sup.Partner.ISAQualifier+":"+sup.Partner.ISAID {
		t.Errorf("after mapping and replay: %s to %s", d.Status, d.Partner)
	}
}

// IFS refusing the "already sent" marker is an exception a clerk sees
// (once, not once per run); the 810 is not sent again; the exception
// clears itself when IFS takes the marker.
func TestSelfBillingMarkerRefusedIsVisibleAndClears(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	s.markSelfBilling()
	s.breakIFS.set(func(r *http.Request) bool {
		return r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "ManSuppInvoiceSet")
	})
	s.sync(FlowInvoicesOut)
	s.sync(FlowInvoicesOut)
	excs, _, err := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonIFSRejected)}, Limit: 10})
	if err != nil || len(excs) != 2 {
		t.Fatalf("marker exceptions after two runs: %d %v, want one per invoice", len(excs), err)
	}
	if !strings.Contains(excs[0].Message, "already sent") || excs[0].Fix == "" {
		t.Errorf("exception: %q fix %q", excs[0].Message, excs[0].Fix)
	}
	if pv, err := s.eng.PreviewReplay(s.ctx, excs[0].ID); err != nil || pv.Outcome != "not_replayable" {
		t.Errorf("preview: %+v %v", pv, err)
	}
	for _, inv := range s.isim.SelfBillingInvoices() {
		if inv.Sent {
			t.Errorf("%s marked although every PATCH failed", inv.InvoiceNo)
		}
	}
	s.breakIFS.set(nil)
	s.sync(FlowInvoicesOut)
	if excs, _, _ = s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonIFSRejected)}, Limit: 10}); len(excs) != 0 {
		t.Errorf("%d marker exceptions open after IFS took the marker", len(excs))
	}
	n810 := 0
	for _, f := range s.csim.Sent() {
		if strings.HasPrefix(f.Filename, "810_") {
			n810++
		}
	}
	marked := 0
	for _, inv := range s.isim.SelfBillingInvoices() {
		if inv.Sent {
			marked++
		}
	}
	if n810 != 2 || marked != 2 {
		t.Errorf("%d 810s at Cleo and %d marked in IFS, want 2 and 2", n810, marked)
	}
}

// out810 maps invoice number → the live outbound 810 (replaced ones skipped).
func (s *sandboxes) out810() map[string]store.Document {
	ds, err := s.st.Documents(s.ctx, store.DocumentQuery{Type: store.Type810, Direction: store.Outbound, Oldest: true, Limit: 1000})
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]store.Document{}
	for _, d := range ds {
		if d.Status != store.StatusIgnored {
			full, err := s.st.Document(s.ctx, d.ID)
			if err != nil {
				s.t.Fatal(err)
			}
			out[d.BusinessKey] = full
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func readOneSet(t *testing.T, raw []byte) *x12.Set {
	t.Helper()
	rd := x12.NewReader(bytes.NewReader(raw))
	if !rd.Next() {
		t.Fatalf("no set in\n%s", raw)
	}
	return rd.Set()
}

// A supplier rejects a self-billing 810 with a 997 that names the field:
// the 810 becomes ACK_REJECTED with the reason in words and the fix for an
// invoice (correct it in IFS), and its IFS marker stays set.
func TestSelfBilling810RejectedBySupplier(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	sup := s.markSelfBilling()
	s.sync(FlowInvoicesOut)
	d := s.out810()["SB-P10001"]
	if d.Status != store.StatusSent {
		t.Fatalf("SB-P10001: %s", d.Status)
	}
	ack := &x12.Ack{FunctionalID: "IN", GroupControlNumber: d.GSControl, Status: "R", SetsIncluded: 1, SetsReceived: 1,
		Sets: []x12.SetAck{{ID: "810", ControlNumber: d.STControl, Status: "R", Errors: []x12.AckCode{{Code: "5"}},
			Segments: []x12.SegmentError{{SegmentID: "IT1", Position: 6, Code: "8",
				Elements: []x12.ElementError{{Position: 3, Code: "7", Value: "EA"}}}}}},
		Errors: []x12.AckCode{{Code: "5"}}}
	env := x12.Envelope{SenderQualifier: sup.Partner.ISAQualifier, SenderID: sup.Partner.ISAID,
		ReceiverQualifier: s.w.Us.Qualifier, ReceiverID: s.w.Us.ID, AppReceiver: s.w.Us.GSID,
		InterchangeControl: 812000001, GroupControl: 8120, SetControl: 1, Time: s.w.Today, Usage: "P"}
	var b bytes.Buffer
	if err := x12.Write997(&b, env, ack); err != nil {
		t.Fatal(err)
	}
	if _, err := s.csim.Inject(sup.Partner.Alias, "997_reject_SB-P10001.edi", b.Bytes(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	s.sync(FlowInvoices)
	d = s.out810()["SB-P10001"]
	if d.Status != store.StatusException || d.Reason != string(ReasonAckRejected) ||
		!strings.Contains(d.Message, "rejected invoice SB-P10001") || !strings.Contains(d.Message, "IT1") ||
		!strings.Contains(d.Fix, "correct the invoice in IFS") {
		t.Fatalf("after the rejecting 997: %s %s %q fix %q", d.Status, d.Reason, d.Message, d.Fix)
	}
	if other := s.out810()["SB-P10001-CR"]; other.Status != store.StatusSent {
		t.Errorf("the credit note (another group) is %s, want still sent", other.Status)
	}
	for _, inv := range s.isim.SelfBillingInvoices() {
		if inv.InvoiceID == 900001 && !inv.Sent {
			t.Error("the IFS marker of the rejected invoice was cleared")
		}
	}
}

// An IFS invoice this connector itself created from a supplier's 810 is
// never sent back to that supplier as a self-billing 810, even when IFS
// marks it self-billing; the other invoices of the supplier still go.
func TestSelfBillingSkipsInvoicesPostedFromInbound810s(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	var sb domain.SupplierInvoice
	for _, inv := range world.SelfBillingInvoices(s.w) {
		if inv.InvoiceNo == "SB-P10001" {
			sb = inv
		}
	}
	if sb.InvoiceID == 0 {
		t.Fatal("world 1 has no SB-P10001")
	}
	// As if invoices-in had posted the supplier's own 810 as this IFS invoice.
	d := store.Document{Direction: store.Inbound, Type: store.Type810, BusinessKey: sb.InvoiceNo, Status: store.StatusPosted,
		IFSCompany: sb.Company, IFSInvoiceID: sb.InvoiceID, SupplierID: sb.SupplierID}
	if err := s.st.InsertDocument(s.ctx, &d, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	s.markSelfBilling()
	s.sync(FlowInvoicesOut)
	docs := s.out810()
	if _, sent := docs["SB-P10001"]; sent || len(docs) != 1 {
		t.Fatalf("810s built: %v, want only SB-P10001-CR", keys(docs))
	}
	for _, f := range s.csim.Sent() {
		if strings.HasPrefix(f.Filename, "810_SB-P10001_") {
			t.Fatalf("%s went to the supplier that invoiced it", f.Filename)
		}
	}
}

// Self-billing is switched per mapped partner, versioned and audited; an
// unmapped partner cannot be marked.
func TestSetPartnerSelfBilling(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	sup, _ := s.w.SupplierByID(world.SelfBillingSupplier(s.w))
	key := store.PartnerKey(sup.Partner.ISAQualifier, sup.Partner.ISAID)
	if err := s.eng.SetPartnerSelfBilling(s.ctx, key, true); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unmapped partner marked: %v", err)
	}
	if err := s.eng.SetPartnerSupplier(s.ctx, key, sup.SupplierID); err != nil {
		t.Fatal(err)
	}
	if err := s.eng.SetPartnerSelfBilling(s.ctx, key, true); err != nil {
		t.Fatal(err)
	}
	m, ok, err := s.st.PartnerMapping(s.ctx, sup.Partner.ISAQualifier, sup.Partner.ISAID)
	if err != nil || !ok || !m.SelfBilling || m.SupplierID != sup.SupplierID {
		t.Fatalf("mapping %+v %v %v", m, ok, err)
	}
	s.sync(FlowInvoicesOut)
	if n := len(s.out810()); n != 2 {
		t.Fatalf("%d 810s after marking self-billing", n)
	}
	// Re-mapping keeps the flag; switching it off stops new 810s.
	if err := s.eng.SetPartnerSupplier(s.ctx, key, sup.SupplierID); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := s.st.PartnerMapping(s.ctx, sup.Partner.ISAQualifier, sup.Partner.ISAID); !m.SelfBilling {
		t.Fatal("re-mapping dropped the self-billing flag")
	}
	if err := s.eng.SetPartnerSelfBilling(s.ctx, key, false); err != nil {
		t.Fatal(err)
	}
	evs, err := s.st.Events(s.ctx, store.EventQuery{Subject: "mapping:*", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	// Two updates changed it (on, off); the unchanged re-mapping wrote none.
	changes := 0
	for _, e := range evs {
		if e.Action == "mapping.update" && strings.Contains(string(e.DetailJSON()), "self_billing") {
			changes++
		}
	}
	if changes != 2 {
		t.Errorf("self-billing changes audited: %d mapping updates mention it, want 2", changes)
	}
}
