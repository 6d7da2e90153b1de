package engine

import (
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// sender810 is a hand-made one-810 interchange from sender, control number n.
func sender810(sender, n string) string {
	return "ISA*00*          *00*          *ZZ*" + sender + strings.Repeat(" ", 15-len(sender)) + "*ZZ*MLCONNECT      *261201*1200*U*00401*00000000" + n + "*0*P*>~\n" +
		"GS*IN*" + sender + "*MLCONNECT*20261201*1200*" + n + "*X*004010~\n" +
		"ST*810*0001~\nBIG*20261201*INV-" + sender + "**PO1~\nIT1*1*10*EA*0.50**BP*BOLT-10~\nTDS*500~\nCTT*1~\nSE*6*0001~\n" +
		"GE*1*" + n + "~\nIEA*1*00000000" + n + "~\n"
}

// Two suppliers known to Cleo by their ISA ids.
var (
	partnerA = domain.Partner{ID: "c-a", Alias: "A", ISAQualifier: "ZZ", ISAID: "SUPPLIERA", ExternalID: "S100", Enabled: true}
	partnerB = domain.Partner{ID: "c-b", Alias: "B", ISAQualifier: "ZZ", ISAID: "SUPPLIERB", ExternalID: "S200", Enabled: true}
)

// x12Harness is a harness whose engine reads files with the real X12 codec,
// with the partners added and reference data synced.
func x12Harness(t *testing.T, partners ...domain.Partner) (*harness, *Engine) {
	t.Helper()
	h := newHarness(t)
	h.cleo.partners = append(h.cleo.partners, partners...)
	h.sync(FlowReference)
	p := h.eng.p
	p.EDI = X12Codec{}
	e, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	return h, e
}

// The engine's own 997s for a file from two senders: one each, addressed
// back to its own sender (ISA08 and GS03), acknowledging its own group.
func TestEngine997PerSender(t *testing.T) {
	h, e := x12Harness(t, partnerA, partnerB)
	h.cleo.put("f", "two.edi", []byte(sender810("SUPPLIERA", "1")+sender810("SUPPLIERB", "2")))
	if _, err := e.SyncOnce(h.ctx, FlowInvoices); err != nil {
		t.Fatal(err)
	}
	acks := h.docs(store.Type997, store.Outbound)
	if len(acks) != 2 {
		t.Fatalf("%d 997s", len(acks))
	}
	seen := map[string]bool{}
	for _, a := range acks {
		full, _ := h.st.Document(h.ctx, a.ID)
		raw := string(full.RawEDI)
		isa := strings.Split(raw[:strings.Index(raw, "~")], "*")
		to := strings.TrimSpace(isa[8])
		seen[to] = true
		n := map[string]string{"SUPPLIERA": "1", "SUPPLIERB": "2"}[to]
		if n == "" || !strings.Contains(raw, "GS*FA*MLCONNECT*"+to+"*") || !strings.Contains(raw, "AK1*IN*"+n+"~") {
			t.Fatalf("997 to %q:\n%s", to, raw)
		}
	}
	if !seen["SUPPLIERA"] || !seen["SUPPLIERB"] {
		t.Fatalf("997s went to %v", seen)
	}
}

// A repeated interchange control number is flagged, and its invoice is not
// processed twice: in a later file, and twice inside one file.
func TestRepeatedInterchangeFlaggedAndNotPostedTwice(t *testing.T) {
	h, e := x12Harness(t, partnerA)
	one := sender810("SUPPLIERA", "1")
	h.cleo.put("f1", "first.edi", []byte(one))
	h.cleo.put("f2", "again.edi", []byte(one))
	h.cleo.put("f3", "twice.edi", []byte(strings.Replace(one, "INV-SUPPLIERA", "INV-OTHER", 1)+strings.Replace(one, "INV-SUPPLIERA", "INV-OTHER", 1)))
	if _, err := e.SyncOnce(h.ctx, FlowInvoices); err != nil {
		t.Fatal(err)
	}
	ds := h.docs(store.Type810, store.Inbound)
	if len(ds) != 4 {
		t.Fatalf("%d invoices", len(ds))
	}
	warn := func(d store.Document) string {
		full, _ := h.st.Document(h.ctx, d.ID)
		pf, _ := DecodeParsed(full.Parsed)
		return strings.Join(pf.Warnings, "; ")
	}
	if ds[0].Status != store.StatusPosted || warn(ds[0]) != "" {
		t.Fatalf("first: %s %q", ds[0].Status, warn(ds[0]))
	}
	if ds[1].Status != store.StatusSkippedDuplicate || !strings.Contains(warn(ds[1]), "interchange control number 000000001 from ZZ:SUPPLIERA was received before") {
		t.Fatalf("re-sent file: %s %q", ds[1].Status, warn(ds[1]))
	}
	if !strings.Contains(warn(ds[3]), "is used twice in file twice.edi") || ds[3].Status != store.StatusSkippedDuplicate {
		t.Fatalf("twice in one file: %s %q", ds[3].Status, warn(ds[3]))
	}
	if n := len(h.ifs.invoices); n != 2 {
		t.Fatalf("IFS has %d invoices, want 2 (INV-SUPPLIERA and INV-OTHER once each)", n)
	}
	// What reached IFS: each invoice once, 10 × 0.50 = 5.00 (TDS*500).
	got := map[string]string{}
	for _, inv := range h.ifs.invoices {
		got[inv.InvoiceNo] = inv.GrossAmount.String()
	}
	if got["INV-SUPPLIERA"] != "5.00" || got["INV-OTHER"] != "5.00" {
		t.Fatalf("IFS invoices %v", got)
	}
}

// The engine sends no 997 for an interchange whose envelope failed, and
// says so on its invoice.
func TestEngineNo997ForAFailedEnvelope(t *testing.T) {
	h, e := x12Harness(t, partnerA)
	raw := strings.Replace(sender810("SUPPLIERA", "1"), "IEA*1*000000001~\n", "", 1)
	h.cleo.put("f", "cut.edi", []byte(raw))
	if _, err := e.SyncOnce(h.ctx, FlowInvoices); err != nil {
		t.Fatal(err)
	}
	if n := len(h.docs(store.Type997, store.Outbound)); n != 0 {
		t.Fatalf("%d 997s for a failed envelope", n)
	}
	inv := h.docs(store.Type810, store.Inbound)
	full, _ := h.st.Document(h.ctx, inv[0].ID)
	pf, _ := DecodeParsed(full.Parsed)
	if !strings.Contains(strings.Join(pf.Warnings, ";"), "no 997 was sent: the interchange envelope (ISA/IEA) failed") {
		t.Fatalf("warnings %v", pf.Warnings)
	}
}
