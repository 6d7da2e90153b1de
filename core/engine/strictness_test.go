package engine

import (
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// tolerable810 is sender810 with two problems a lenient partner may send:
// a segment the 810 does not define (ZZZ, AK304 6) and a BIG02 invoice
// number of 23 characters where the element allows 22 (AK403 5). Neither
// changes what is billed: 10 × 0.50 = 5.00.
func tolerable810(sender, n string) string {
	raw := sender810(sender, n)
	raw = strings.Replace(raw, "BIG*20261201*INV-"+sender+"**PO1~\n", "BIG*20261201*INV-"+sender+"-1234567890123**PO1~\nZZZ*CUSTOM~\n", 1)
	return strings.Replace(raw, "SE*6*0001~", "SE*7*0001~", 1)
}

var (
	partnerC = domain.Partner{ID: "c-c", Alias: "C", ISAQualifier: "ZZ", ISAID: "SUPPLIERC", ExternalID: "S100", Enabled: true}
	partnerD = domain.Partner{ID: "c-d", Alias: "D", ISAQualifier: "ZZ", ISAID: "SUPPLIERD", ExternalID: "S100", Enabled: true}
)

// Per-partner strictness, end to end through the real codec: the same
// tolerable 810 from a lenient partner posts (5.00 reaches IFS) and is
// acknowledged AK5*E with the problems listed; from a standard partner it
// is EDI_INVALID and rejected AK5*R. A strict partner's file whose GS08
// disagrees with ISA12 (a deviation the standard reads with a warning) is
// refused, while the same deviation from a standard partner posts (with a warning).
func TestPartnerStrictness(t *testing.T) {
	h, e := x12Harness(t, partnerA, partnerB, partnerC, partnerD)
	if err := e.SetPartnerStrictness(h.ctx, "ZZ:SUPPLIERA", "lenient"); err != nil {
		t.Fatal(err)
	}
	if err := e.SetPartnerStrictness(h.ctx, "ZZ:SUPPLIERC", "strict"); err != nil {
		t.Fatal(err)
	}
	if err := e.SetPartnerStrictness(h.ctx, "ZZ:SUPPLIERA", "loose"); err == nil {
		t.Fatal("strictness 'loose' accepted")
	}
	deviating := func(sender, n string) string { // GS08 005010 under ISA12 00401
		return strings.Replace(sender810(sender, n), "*X*004010~", "*X*005010~", 1)
	}
	h.cleo.put("f1", "a.edi", []byte(tolerable810("SUPPLIERA", "1")))
	h.cleo.put("f2", "b.edi", []byte(tolerable810("SUPPLIERB", "2")))
	h.cleo.put("f3", "c.edi", []byte(deviating("SUPPLIERC", "3")))
	h.cleo.put("f4", "b2.edi", []byte(strings.ReplaceAll(deviating("SUPPLIERD", "4"), "INV-SUPPLIERD", "INV-D-DEV")))
	if _, err := e.SyncOnce(h.ctx, FlowInvoices); err != nil {
		t.Fatal(err)
	}
	byPartner := map[string]store.Document{}
	for _, d := range h.docs(store.Type810, store.Inbound) {
		byPartner[d.Partner+"/"+d.BusinessKey] = d
	}
	parsed := func(d store.Document) ParsedForm {
		full, _ := h.st.Document(h.ctx, d.ID)
		pf, _ := DecodeParsed(full.Parsed)
		return pf
	}
	a := byPartner["ZZ:SUPPLIERA/INV-SUPPLIERA-1234567890123"]
	if a.Status != store.StatusPosted || len(parsed(a).Errors) != 0 || !strings.Contains(strings.Join(parsed(a).Warnings, ";"), "tolerated, as the partner is set to lenient") {
		t.Fatalf("lenient: %s %+v", a.Status, parsed(a))
	}
	b := byPartner["ZZ:SUPPLIERB/INV-SUPPLIERB-1234567890123"]
	if b.Status == store.StatusPosted || !strings.Contains(strings.Join(parsed(b).Errors, ";"), "ZZZ is not defined") {
		t.Fatalf("standard: %s %+v", b.Status, parsed(b))
	}
	c := byPartner["ZZ:SUPPLIERC/INV-SUPPLIERC"]
	if c.Status == store.StatusPosted || len(parsed(c).Errors) == 0 {
		t.Fatalf("strict: %s %+v", c.Status, parsed(c))
	}
	dev := byPartner["ZZ:SUPPLIERD/INV-D-DEV"]
	if dev.Status != store.StatusPosted || len(parsed(dev).Warnings) == 0 {
		t.Fatalf("standard with a deviation: %s %+v", dev.Status, parsed(dev))
	}
	// What reached IFS: the lenient invoice and the standard deviation, 5.00 each.
	got := map[string]string{}
	for _, inv := range h.ifs.invoices {
		got[inv.InvoiceNo] = inv.GrossAmount.String()
	}
	if len(got) != 2 || got["INV-SUPPLIERA-1234567890123"] != "5.00" || got["INV-D-DEV"] != "5.00" {
		t.Fatalf("IFS invoices %v", got)
	}
	// The 997s: E with the problems for A, R for B.
	acks := map[string]string{}
	for _, d := range h.docs(store.Type997, store.Outbound) {
		full, _ := h.st.Document(h.ctx, d.ID)
		raw := string(full.RawEDI)
		isa := strings.Split(raw[:strings.Index(raw, "~")], "*")
		acks[strings.TrimSpace(isa[8])+"/"+strings.SplitN(between(raw, "AK1*IN*", "~"), "*", 2)[0]] = raw
	}
	if r := acks["SUPPLIERA/1"]; !strings.Contains(r, "AK3*ZZZ*3**6~") || !strings.Contains(r, "AK4*2**5*INV-SUPPLIERA-1234567890123~") || !strings.Contains(r, "AK5*E~") || !strings.Contains(r, "AK9*E*1*1*1~") {
		t.Fatalf("lenient 997:\n%s", r)
	}
	if r := acks["SUPPLIERB/2"]; !strings.Contains(r, "AK3*ZZZ*3**6~") || !strings.Contains(r, "AK5*R*5~") || !strings.Contains(r, "AK9*R*1*1*0~") {
		t.Fatalf("standard 997:\n%s", r)
	}
	// The strict partner's group is rejected for its version (AK905 2);
	// the standard partner's same deviation is accepted.
	if r := acks["SUPPLIERC/3"]; !strings.Contains(r, "AK9*R*1*1*1*2~") {
		t.Fatalf("strict 997:\n%s", r)
	}
	if r := acks["SUPPLIERD/4"]; !strings.Contains(r, "AK9*A*1*1*1~") {
		t.Fatalf("standard 997 for the deviation:\n%s", r)
	}
	// The change is audited with before and after.
	evs, err := h.st.Events(h.ctx, store.EventQuery{Subject: "partner:c-a"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		found = found || (ev.Action == "partner.x12_strictness" && string(ev.DetailJSON()) == `{"from":"standard","to":"lenient"}`)
	}
	if !found {
		t.Fatalf("no strictness audit event in %+v", evs)
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// A received 997 whose only problem is tolerable (AK103 under 004010, a
// sloppiness of many translators) still acknowledges our 850, with the
// problem kept as a warning; from a partner set to strict it is
// EDI_INVALID and the 850 keeps waiting.
func TestAckWithTolerableProblem(t *testing.T) {
	for _, c := range []struct {
		level string
		want  store.Status
	}{{"standard", store.StatusAcknowledged}, {"strict", store.StatusSent}} {
		t.Run(c.level, func(t *testing.T) {
			h, e := x12Harness(t)
			if _, err := e.SyncOnce(h.ctx, FlowPOs); err != nil {
				t.Fatal(err)
			}
			pos := h.docs(store.Type850, store.Outbound)
			if len(pos) != 1 {
				t.Fatalf("%d 850s", len(pos))
			}
			if err := e.SetPartnerStrictness(h.ctx, pos[0].Partner, c.level); err != nil {
				t.Fatal(err)
			}
			_, id, _ := strings.Cut(pos[0].Partner, ":")
			ack := "ISA*00*          *00*          *ZZ*" + id + strings.Repeat(" ", 15-len(id)) + "*ZZ*MLCONNECT      *261201*1200*U*00401*000000950*0*P*>~\n" +
				"GS*FA*" + id + "*MLCONNECT*20261201*1200*950*X*004010~\nST*997*0001~\nAK1*PO*" + pos[0].GSControl + "*004010~\n" +
				"AK9*A*1*1*1~\nSE*4*0001~\nGE*1*950~\nIEA*1*000000950~\n"
			h.cleo.put("a1", "ack.edi", []byte(ack))
			if _, err := e.SyncOnce(h.ctx, FlowInvoices); err != nil {
				t.Fatal(err)
			}
			po, _ := h.st.Document(h.ctx, pos[0].ID)
			acks := h.docs(store.Type997, store.Inbound)
			if po.Status != c.want || len(acks) != 1 {
				t.Fatalf("850 %s (%s), %d 997s; want %s", po.Status, po.Message, len(acks), c.want)
			}
			full, _ := h.st.Document(h.ctx, acks[0].ID)
			pf, _ := DecodeParsed(full.Parsed)
			all := strings.Join(append(pf.Errors, pf.Warnings...), ";")
			if !strings.Contains(all, "AK1 has 3 elements, its definition allows 2") {
				t.Fatalf("997 problems %q", all)
			}
			if c.level == "strict" && (acks[0].Status != store.StatusException || acks[0].Reason != string(ReasonEDIInvalid)) {
				t.Fatalf("strict 997: %s %s", acks[0].Status, acks[0].Reason)
			}
		})
	}
}
