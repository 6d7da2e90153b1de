package engine

import (
	"encoding/json"
	"fmt"
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

// A team's client desk has no engine: its clerks' decisions reach the
// leader as "decide" requests and are taken as the person who asked, with
// that person's role (an approver's override, a clerk's hold and dispute);
// asked twice, one effect. The replay-all preview and the IFS correction
// go the same way.
func TestDecisionsAsRequests(t *testing.T) {
	h := newHarness(t)
	h.putFile("a", invoiceSet("ACME01", "O-1", "PO1", bolt("10", "0.60")))
	h.putFile("b", invoiceSet("ACME01", "O-2", "PO1", InvoiceLine{LineNumber: "2", Quantity: d("10"), UnitPrice: d("0.30"), UOM: "EA"}))
	h.sync(FlowInvoices)
	ds := h.docs(store.Type810, store.Inbound)
	a, b := ds[0], ds[1]
	if err := h.eng.SetRole(h.ctx, "erin", RoleApprover); err != nil {
		t.Fatal(err)
	}
	excA, excB := h.excOf(a.ID).ID, h.excOf(b.ID).ID
	ask := func(kind string, target any, actor, args string) store.Request {
		t.Helper()
		r, err := h.st.EnqueueRequest(h.ctx, store.Request{Kind: kind, Target: fmt.Sprint(target), Actor: actor, Host: "desk1", Args: args})
		if err != nil {
			t.Fatal(err)
		}
		r.State, r.Result = h.eng.executeRequest(h.ctx, nil, r)
		return r
	}
	// A clerk's override: refused by the leader with the reason, nothing posted.
	r := ask("decide", excA, "frank", `{"decision":"override","comment":"agreed by phone"}`)
	if r.State != store.RequestRefused || !strings.Contains(r.Result, "frank is a clerk; only an approver may do this") || len(h.ifs.invoices) != 0 {
		t.Fatalf("clerk override: %s %q, %d IFS invoices", r.State, r.Result, len(h.ifs.invoices))
	}
	// The approver's: posted, 10 × 0.60 = 6.00 in IFS, audited as erin.
	r = ask("decide", excA, "erin", `{"decision":"override","comment":"new price list from 1 Nov"}`)
	if r.State != store.RequestDone || r.Result != "O-1: posted" {
		t.Fatalf("approver override: %s %q", r.State, r.Result)
	}
	if len(h.ifs.invoices) != 1 || !h.ifs.invoices[0].GrossAmount.Equal(d("6.00")) {
		t.Fatalf("IFS %+v", h.ifs.invoices)
	}
	ev, _ := h.st.DocumentEvents(h.ctx, a.ID)
	audited := false
	for _, e := range ev {
		audited = audited || e.Action == "decision.override" && e.Actor == "erin"
	}
	if !audited {
		t.Fatal("override not audited as erin")
	}
	// Asked again (a take-over re-ran it): nothing more reaches IFS.
	r = ask("decide", excA, "erin", `{"decision":"override","comment":"new price list from 1 Nov"}`)
	if r.State != store.RequestDone || !strings.Contains(r.Result, "already resolved: nothing to do") || len(h.ifs.invoices) != 1 {
		t.Fatalf("second override: %s %q, %d IFS invoices", r.State, r.Result, len(h.ifs.invoices))
	}
	// The replay-all preview, read by the leader: O-2 would still fail.
	r = ask("preview_reason", ReasonPriceVariance, "frank", "")
	var items []PreviewItem
	if err := json.Unmarshal([]byte(r.Result), &items); err != nil || r.State != store.RequestDone {
		t.Fatalf("preview: %s %q %v", r.State, r.Result, err)
	}
	if len(items) != 1 || items[0].ExceptionID != excB || items[0].BusinessKey != "O-2" || items[0].Outcome != "still_failing" {
		t.Fatalf("preview items %+v", items)
	}
	// A clerk's hold (a real date, in the future) and dispute, as frank.
	if r = ask("decide", excB, "frank", `{"decision":"hold","comment":"x","until":"someday"}`); r.State != store.RequestFailed ||
		!strings.Contains(r.Result, `hold until "someday": not a date`) {
		t.Fatalf("hold someday: %s %q", r.State, r.Result)
	}
	until := h.clock.t.Add(72 * time.Hour).Format("2006-01-02")
	r = ask("decide", excB, "frank", `{"decision":"hold","comment":"buyer to confirm","until":"`+until+`"}`)
	if r.State != store.RequestDone || r.Result != "On hold until "+until+"; it leaves the queue until then." {
		t.Fatalf("hold: %s %q", r.State, r.Result)
	}
	if got := h.excOf(b.ID); got.Decision != store.DecisionHold || got.DecisionBy != "frank" || got.HeldUntil.Format("2006-01-02") != until {
		t.Fatalf("held exception %+v", got)
	}
	r = ask("decide", excB, "frank", `{"decision":"dispute","comment":"Our contract price for line 2 is 0.25."}`)
	if r.State != store.RequestDone || !strings.Contains(r.Result, "Draft to S100 (Acme Fasteners Inc)") || !strings.Contains(r.Result, "Our contract price for line 2 is 0.25.") {
		t.Fatalf("dispute: %s %q", r.State, r.Result)
	}
	if got := h.excOf(b.ID); got.Decision != store.DecisionDispute || got.DecisionBy != "frank" {
		t.Fatalf("disputed exception %+v", got)
	}
	// Correcting IFS is only for a pending correction: said, nothing written.
	r = ask("update_ifs", excB, "frank", `{"reapply":"false"}`)
	if r.State != store.RequestFailed || !strings.Contains(r.Result, "only an open CORRECTION_PENDING exception can") || len(h.ifs.invoices) != 1 {
		t.Fatalf("update_ifs: %s %q", r.State, r.Result)
	}
}
