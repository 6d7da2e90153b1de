package engine

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// supplierPatches are the PATCHes the IFS sandbox got on suppliers.
func (s *sandboxes) supplierPatches() []string {
	var out []string
	for _, b := range s.ifsWrites.all() {
		if strings.HasPrefix(b, "PATCH ") && strings.Contains(strings.SplitN(b, "\n", 2)[0], "SupplierInfoGeneralSet") {
			out = append(out, b)
		}
	}
	return out
}

// The partner's EDI identity flows both ways: an identity an IFS user set
// on a supplier maps the unmapped partner it names (and that partner's
// invoice then posts, with the PO's money), and every other mapped
// supplier gets its partner's identity written into IFS with If-Match,
// once.
func TestEDIIdentityBothWays(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	sup, po, ok := cleosim.UnknownPartnerSupplier(s.w)
	if !ok {
		t.Fatal("world has no supplier behind the unknown partner")
	}
	ukey := store.PartnerKey(s.w.UnknownPartner.ISAQualifier, s.w.UnknownPartner.ISAID)
	// Someone in IFS records the supplier's new mailbox on the supplier.
	if err := s.isim.SetSupplierEDIIdentity(sup.SupplierID, ukey, ""); err != nil {
		t.Fatal(err)
	}
	s.sync()

	m, found, err := s.st.PartnerMapping(s.ctx, s.w.UnknownPartner.ISAQualifier, s.w.UnknownPartner.ISAID)
	if err != nil || !found || m.SupplierID != sup.SupplierID || !strings.Contains(m.Note, "IFS") {
		t.Fatalf("mapping of %s: %+v found=%v err=%v, want supplier %s from IFS", ukey, m, found, err, sup.SupplierID)
	}
	hist, err := s.eng.MappingHistory(s.ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	byIFS := false
	for _, ev := range hist {
		byIFS = byIFS || ev.Actor == ediIdentityActor && strings.Contains(ev.Subject, s.w.UnknownPartner.ISAID)
	}
	if !byIFS {
		t.Fatalf("no mapping event by %s in %+v", ediIdentityActor, hist)
	}
	// Its invoice posted in the same sync: line for line of the PO.
	d := s.invoiceDocs()[cleosim.UnknownPartnerInvoice]
	if d.Status != store.StatusPosted || d.SupplierID != sup.SupplierID {
		t.Fatalf("%s: %s %s supplier %s", d.BusinessKey, d.Status, d.Reason, d.SupplierID)
	}
	want := money.Zero
	for _, l := range po.Lines {
		want = want.Add(l.NetAmount)
	}
	var net money.Decimal
	for _, inv := range s.isim.Invoices() {
		if inv.InvoiceNo == cleosim.UnknownPartnerInvoice {
			if inv.SupplierID != sup.SupplierID || inv.PORef != po.OrderNo {
				t.Fatalf("IFS invoice %s: supplier %s PO %s, want %s %s", inv.InvoiceNo, inv.SupplierID, inv.PORef, sup.SupplierID, po.OrderNo)
			}
			net = inv.NetAmount
		}
	}
	if net.Cmp(want) != 0 {
		t.Fatalf("IFS net amount of %s = %s, want %s (the PO's lines)", cleosim.UnknownPartnerInvoice, net, want)
	}

	// App → IFS: every other supplier with a Cleo partner now carries that
	// partner's identity and alias; the mailbox IFS named stays.
	for _, ws := range s.w.Suppliers {
		addr, alias, _, _ := s.isim.SupplierEDIIdentity(ws.SupplierID)
		if ws.SupplierID == sup.SupplierID {
			if addr != ukey {
				t.Fatalf("supplier %s: IFS now says %q, want the %q IFS named", ws.SupplierID, addr, ukey)
			}
			continue
		}
		if ws.Partner.ISAID == "" {
			continue
		}
		wkey := store.PartnerKey(ws.Partner.ISAQualifier, ws.Partner.ISAID)
		if addr != wkey || alias != ws.Partner.Alias {
			t.Fatalf("supplier %s in IFS: %q/%q, want %q/%q", ws.SupplierID, addr, alias, wkey, ws.Partner.Alias)
		}
	}
	patches := s.supplierPatches()
	if len(patches) == 0 {
		t.Fatal("no supplier PATCH reached IFS")
	}
	for _, p := range patches {
		body := strings.SplitN(p, "\n", 2)[1]
		if strings.Contains(body, "Name") || !strings.Contains(body, "EdiAddress") {
			t.Fatalf("supplier PATCH writes more or less than the identity: %s", p)
		}
	}
	// Written once: a second refresh finds IFS in step and writes nothing.
	s.sync(FlowReference)
	if n := len(s.supplierPatches()); n != len(patches) {
		t.Fatalf("supplier PATCHes %d → %d on a refresh with nothing to change", len(patches), n)
	}
	// Audited with the ETag IFS gave the row.
	evs, err := s.st.Events(s.ctx, store.EventQuery{ActionPrefix: "partner.edi_identity_in_ifs", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(patches) {
		t.Fatalf("%d identity events for %d PATCHes", len(evs), len(patches))
	}
	for _, ev := range evs {
		var det struct {
			ETag string `json:"etag"`
		}
		raw, _ := ev.Detail.(json.RawMessage)
		if err := json.Unmarshal(raw, &det); err != nil || !strings.HasPrefix(det.ETag, "W/") {
			t.Fatalf("event without the row's ETag: %+v", ev)
		}
	}
}

// A mapping confirmed in the app appears on the IFS supplier at once; a
// refusal by IFS is an IFS_REJECTED exception the next accepted write
// clears, and the mapping itself is never lost.
func TestEDIIdentityFromAMappingAndRefused(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	sup, _, ok := cleosim.UnknownPartnerSupplier(s.w)
	if !ok {
		t.Fatal("world has no supplier behind the unknown partner")
	}
	ukey := store.PartnerKey(s.w.UnknownPartner.ISAQualifier, s.w.UnknownPartner.ISAID)
	if addr, _, _, _ := s.isim.SupplierEDIIdentity(sup.SupplierID); addr == ukey {
		t.Fatalf("IFS already names %s before the mapping", ukey)
	}
	if err := s.eng.SetPartnerSupplier(s.ctx, ukey, sup.SupplierID); err != nil {
		t.Fatal(err)
	}
	addr, alias, ver, _ := s.isim.SupplierEDIIdentity(sup.SupplierID)
	if addr != ukey || alias != s.w.UnknownPartner.Alias {
		t.Fatalf("IFS supplier %s after mapping: %q/%q, want %q/%q", sup.SupplierID, addr, alias, ukey, s.w.UnknownPartner.Alias)
	}
	// The supplier's own mailbox must not win it back on the next refresh.
	s.sync(FlowReference)
	if a, _, v, _ := s.isim.SupplierEDIIdentity(sup.SupplierID); a != ukey || v != ver {
		t.Fatalf("refresh changed supplier %s: %q (version %d → %d)", sup.SupplierID, a, ver, v)
	}

	// IFS refuses writes to suppliers (no grant); a person clears the
	// identity in IFS meanwhile.
	s.breakIFS.set(func(r *http.Request) bool {
		return r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "SupplierInfoGeneralSet")
	})
	if err := s.isim.SetSupplierEDIIdentity(sup.SupplierID, "", ""); err != nil {
		t.Fatal(err)
	}
	s.sync(FlowReference)
	excs, _, err := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonIFSRejected)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(excs) != 1 || !strings.Contains(excs[0].Message, sup.SupplierID) || !strings.Contains(excs[0].Message, ukey) || excs[0].Fix != fixEDIIdentity {
		t.Fatalf("IFS_REJECTED exceptions: %+v", excs)
	}
	if m, found, _ := s.st.PartnerMapping(s.ctx, s.w.UnknownPartner.ISAQualifier, s.w.UnknownPartner.ISAID); !found || m.SupplierID != sup.SupplierID {
		t.Fatalf("the refusal lost the mapping: %+v", m)
	}
	// Same refusal again: still one exception.
	s.sync(FlowReference)
	if excs, _, _ := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonIFSRejected)}}); len(excs) != 1 {
		t.Fatalf("%d IFS_REJECTED exceptions after a second refusal", len(excs))
	}
	// Granted again: the replay re-runs the refresh, IFS takes it, the
	// exception clears.
	s.breakIFS.set(nil)
	res, err := s.eng.Replay(s.ctx, excs[0].ID)
	if err != nil || res.Outcome == "still_failing" {
		t.Fatalf("replay: %+v %v", res, err)
	}
	if a, _, _, _ := s.isim.SupplierEDIIdentity(sup.SupplierID); a != ukey {
		t.Fatalf("IFS supplier %s after the replay: %q", sup.SupplierID, a)
	}
	if excs, _, _ := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonIFSRejected)}}); len(excs) != 0 {
		t.Fatalf("IFS_REJECTED still open: %+v", excs)
	}
}
