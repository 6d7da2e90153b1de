package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func (h *harness) excOf(id int64) store.Exception {
	h.t.Helper()
	exc, err := h.st.OpenExceptionOf(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return exc
}

// engineAs is a second engine on the same store and remotes, acting as user
// (another clerk's desk).
func (h *harness) engineAs(user string) *Engine {
	h.t.Helper()
	p := h.eng.p
	p.Actor = user
	e, err := New(p)
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

func TestOverrideIsForApproversAndThisInvoiceOnly(t *testing.T) {
	h := newHarness(t)
	// Two invoices 20 % dearer than the PO (0.60 vs 0.50), on different lines.
	h.putFile("a", invoiceSet("ACME01", "O-1", "PO1", bolt("10", "0.60")))
	h.putFile("b", invoiceSet("ACME01", "O-2", "PO1", InvoiceLine{LineNumber: "2", Quantity: d("10"), UnitPrice: d("0.30"), UOM: "EA"}))
	h.sync(FlowInvoices)
	ds := h.docs(store.Type810, store.Inbound)
	a, b := ds[0], ds[1]
	if a.Reason != string(ReasonPriceVariance) || b.Reason != string(ReasonPriceVariance) {
		t.Fatalf("%s %s", a.Reason, b.Reason)
	}
	// Roles: clerk1 (the harness user) becomes admin by assigning roles, then
	// a clerk may not override.
	if err := h.eng.SetRole(h.ctx, "erin", RoleApprover); err != nil {
		t.Fatal(err)
	}
	clerk := h.engineAs("frank")
	if _, err := clerk.AcceptWithOverride(h.ctx, h.excOf(a.ID).ID, "agreed by phone"); domain.KindOf(err) != domain.KindForbidden ||
		!strings.Contains(err.Error(), "frank is a clerk; only an approver may do this") {
		t.Fatalf("clerk override: %v", err)
	}
	if err := clerk.SetRole(h.ctx, "frank", RoleAdmin); domain.KindOf(err) != domain.KindForbidden {
		t.Fatalf("clerk made himself admin: %v", err)
	}
	approver := h.engineAs("erin")
	if _, err := approver.AcceptWithOverride(h.ctx, h.excOf(a.ID).ID, ""); err == nil {
		t.Fatal("override without a comment")
	}
	r, err := approver.AcceptWithOverride(h.ctx, h.excOf(a.ID).ID, "new price list from 1 Nov, PO not updated yet")
	if err != nil || r.Status != string(store.StatusPosted) {
		t.Fatalf("approved override: %+v %v", r, err)
	}
	// 10 × 0.60 = 6.00 reached IFS.
	if len(h.ifs.invoices) != 1 || !h.ifs.invoices[0].GrossAmount.Equal(d("6.00")) {
		t.Fatalf("IFS %+v", h.ifs.invoices)
	}
	ev, _ := h.st.DocumentEvents(h.ctx, a.ID)
	audited := false
	for _, e := range ev {
		audited = audited || e.Action == "decision.override" && e.Actor == "erin" && strings.Contains(string(e.DetailJSON()), "new price list")
	}
	if !audited {
		t.Fatal("override not audited with who and why")
	}
	// The other invoice is untouched: still a variance.
	if got, _ := h.st.Document(h.ctx, b.ID); got.Reason != string(ReasonPriceVariance) {
		t.Fatalf("other invoice %s", got.Reason)
	}
	// A line already invoiced is never overridable: bill line 1 again.
	h.putFile("c", invoiceSet("ACME01", "O-3", "PO1", bolt("95", "0.50")))
	h.sync(FlowInvoices)
	c := h.last810()
	if c.Reason != string(ReasonQuantityOver) {
		t.Fatalf("O-3: %s %s", c.Reason, c.Message)
	}
	if _, err := approver.AcceptWithOverride(h.ctx, h.excOf(c.ID).ID, "supplier says so"); err == nil || !strings.Contains(err.Error(), "partly invoiced already") {
		t.Fatalf("override over a partly invoiced line: %v", err)
	}
	h.putFile("d", invoiceSet("ACME01", "O-4", "PO1", bolt("90", "0.50")))
	h.sync(FlowInvoices)
	h.putFile("e", invoiceSet("ACME01", "O-5", "PO1", bolt("1", "0.50")))
	h.sync(FlowInvoices)
	e5 := h.last810()
	if e5.Reason != string(ReasonAlreadyInvoiced) {
		t.Fatalf("O-5: %s", e5.Reason)
	}
	if _, err := approver.AcceptWithOverride(h.ctx, h.excOf(e5.ID).ID, "pay it"); err == nil || !strings.Contains(err.Error(), "cannot be overridden") {
		t.Fatalf("override of an already invoiced line: %v", err)
	}
}

func TestHoldDisputeAndReReference(t *testing.T) {
	h := newHarness(t)
	po2 := h.ifs.orders["PO1"]
	po2.OrderNo = "PO2"
	h.ifs.orders["PO2"] = po2
	h.ifs.orders["PO9"] = domain.PurchaseOrder{OrderNo: "PO9", SupplierID: "S200", Currency: "USD", State: "Released"}
	// The supplier quoted a PO that does not exist.
	h.putFile("a", invoiceSet("ACME01", "H-1", "PO7", bolt("10", "0.50")))
	h.putFile("b", invoiceSet("ACME01", "H-2", "PO1", bolt("10", "0.70")))
	h.sync(FlowInvoices)
	ds := h.docs(store.Type810, store.Inbound)
	a, b := ds[0], ds[1]
	if a.Reason != string(ReasonPONotFound) {
		t.Fatalf("%s", a.Reason)
	}
	// Hold: needs a future date and a comment; hidden from the queue until then.
	if err := h.eng.Hold(h.ctx, h.excOf(b.ID).ID, h.clock.t.Add(-time.Hour), "x"); err == nil {
		t.Fatal("hold into the past")
	}
	if err := h.eng.Hold(h.ctx, h.excOf(b.ID).ID, h.clock.t.Add(48*time.Hour), "waiting for the buyer to confirm the price"); err != nil {
		t.Fatal(err)
	}
	vis, _ := h.st.Exceptions(h.ctx, store.ExceptionQuery{HideHeld: true, Now: h.clock.t})
	for _, x := range vis {
		if x.DocumentID == b.ID {
			t.Fatal("held exception still in the queue")
		}
	}
	// Dispute: recorded and a draft to send.
	dsp, err := h.eng.Dispute(h.ctx, h.excOf(b.ID).ID, "Our contract price for BOLT-10 is 0.50.")
	if err != nil || !strings.Contains(dsp.Body, "Invoice H-2 for our purchase order PO1") || !strings.Contains(dsp.Body, "Our contract price for BOLT-10 is 0.50.") ||
		!strings.Contains(dsp.To, "S100 (Acme Fasteners Inc)") {
		t.Fatalf("dispute %+v %v", dsp, err)
	}
	if got := h.excOf(b.ID); got.Decision != store.DecisionDispute || got.DecisionBy != "clerk1" {
		t.Fatalf("exception %+v", got)
	}
	// Re-reference: another supplier's PO is refused, the right one posts.
	if _, err := h.eng.ReReference(h.ctx, h.excOf(a.ID).ID, "PO9", "supplier typo"); err == nil || !strings.Contains(err.Error(), "of supplier S200") {
		t.Fatalf("re-reference to another supplier's PO: %v", err)
	}
	if _, err := h.eng.ReReference(h.ctx, h.excOf(a.ID).ID, "PO404", "supplier typo"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("re-reference to no PO: %v", err)
	}
	r, err := h.eng.ReReference(h.ctx, h.excOf(a.ID).ID, "PO2", "supplier typo: PO7 is their order, ours is PO2")
	if err != nil || r.Status != string(store.StatusPosted) {
		t.Fatalf("re-reference: %+v %v", r, err)
	}
	if got := h.ifs.invoices[0]; got.PORef != "PO2" || got.Lines[0].OrderNo != "PO2" {
		t.Fatalf("IFS got PO %q line PO %q", got.PORef, got.Lines[0].OrderNo)
	}
	_, pf, _ := h.eng.loadParsed(h.ctx, a.ID)
	if pf.OriginalPO != "PO7" || pf.Invoice.PONumber != "PO2" {
		t.Fatalf("parsed %q → %q", pf.OriginalPO, pf.Invoice.PONumber)
	}
}
