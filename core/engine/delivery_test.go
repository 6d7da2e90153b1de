package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// out850 returns the outbound 850s by PO number (the latest per PO).
func (s *sandboxes) out850() map[string]store.Document {
	s.t.Helper()
	ds, err := s.st.Documents(s.ctx, store.DocumentQuery{Type: store.Type850, Direction: store.Outbound, Oldest: true, Limit: 1000})
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]store.Document{}
	for _, d := range ds {
		out[d.BusinessKey] = d
	}
	return out
}

func (s *sandboxes) delivery(id int64) store.Delivery {
	s.t.Helper()
	dl, err := s.st.Delivery(s.ctx, id)
	if err != nil {
		s.t.Fatalf("delivery of document %d: %v", id, err)
	}
	return dl
}

func (s *sandboxes) exceptionsOf(reason Reason) []store.Exception {
	s.t.Helper()
	excs, _, err := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(reason)}, Limit: 1000})
	if err != nil {
		s.t.Fatal(err)
	}
	return excs
}

// A transfer that fails at Cleo (the partner's certificate expired) is a
// DELIVERY_FAILED exception in Cleo's words, the supplier has nothing, and
// replay runs Cleo's send again for the queued file: no second upload, one
// file at the supplier.
func TestDeliveryFailedThenReplayed(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	// The partner of the first PO's supplier is down at Cleo's end.
	sup, _ := s.w.SupplierByID(s.w.PurchaseOrders[0].SupplierID)
	s.csim.SetFaults(cleosim.Faults{FailTo: sup.Partner.Alias})
	s.sync(FlowPOs)
	docs := s.out850()
	if len(docs) < 2 {
		t.Fatalf("only %d 850s", len(docs))
	}
	excs := s.exceptionsOf(ReasonDeliveryFailed)
	failedTo := 0
	for _, d := range docs {
		if d.SupplierID == sup.SupplierID {
			failedTo++
		}
	}
	if len(excs) != failedTo || failedTo == 0 || failedTo == len(docs) {
		t.Fatalf("DELIVERY_FAILED exceptions: %d, want one per 850 to %s (%d of %d)", len(excs), sup.Partner.Alias, failedTo, len(docs))
	}
	t.Logf("%d of %d 850s go to %s, which is down", failedTo, len(docs), sup.Partner.Alias)
	exc := excs[0]
	var failed store.Document
	for _, d := range docs {
		dl := s.delivery(d.ID)
		if d.SupplierID == sup.SupplierID {
			if d.ID == exc.DocumentID {
				failed = d
			}
			if d.Status != store.StatusException || dl.State != store.DeliveryFailed || dl.NetworkStatus != "Error" || dl.TransferID == "" {
				t.Fatalf("failed 850 %s: %s, delivery %+v", d.BusinessKey, d.Status, dl)
			}
			continue
		}
		if d.Status != store.StatusSent || dl.State != store.DeliveryDelivered || dl.NetworkStatus != "Success" || dl.Attempts != 1 {
			t.Errorf("850 %s: %s, delivery %+v", d.BusinessKey, d.Status, dl)
		}
	}
	for _, want := range []string{"Cleo could not deliver PO " + failed.BusinessKey, failed.CleoName, "certificate has expired", "transfer T"} {
		if !strings.Contains(exc.Message, want) {
			t.Errorf("message %q lacks %q", exc.Message, want)
		}
	}
	if exc.Fix != fixDeliveryFailed {
		t.Errorf("fix %q", exc.Fix)
	}
	atSupplier := func() (string, int) {
		for _, f := range s.csim.Sent() {
			if f.Filename == failed.CleoName {
				return f.Folder, 1
			}
		}
		return "", 0
	}
	if folder, _ := atSupplier(); folder != "outbox" {
		t.Fatalf("the failed file is in %q at Cleo, want still queued in the outbox", folder)
	}
	// Another run neither re-sends nor raises it twice.
	s.sync(FlowPOs)
	if n := len(s.exceptionsOf(ReasonDeliveryFailed)); n != failedTo {
		t.Fatalf("%d DELIVERY_FAILED after a second run", n)
	}
	pv, err := s.eng.PreviewReplay(s.ctx, exc.ID)
	if err != nil || pv.Outcome != "redeliver" {
		t.Fatalf("preview %+v %v", pv, err)
	}
	uploads := s.csim.Stats().Uploads
	// Replay while the partner is still down: Cleo's run fails again,
	// the exception stays, nothing is uploaded.
	res, err := s.eng.Replay(s.ctx, exc.ID)
	if err != nil || res.Outcome != "still_failing" || !strings.Contains(res.Message, "certificate expired") {
		t.Fatalf("replay into a partner still down: %+v %v", res, err)
	}
	s.csim.SetFaults(cleosim.Faults{})
	res, err = s.eng.Replay(s.ctx, exc.ID)
	if err != nil || res.Status != string(store.StatusSent) {
		t.Fatalf("replay %+v %v", res, err)
	}
	if got := s.csim.Stats().Uploads; got != uploads {
		t.Errorf("replay uploaded the file again (%d → %d)", uploads, got)
	}
	if folder, n := atSupplier(); folder != "sent" || n != 1 {
		t.Errorf("after replay the file is in %q (%d copies)", folder, n)
	}
	dl := s.delivery(failed.ID)
	if dl.State != store.DeliveryDelivered || dl.Attempts != 2 || dl.NetworkStatus != "Success" {
		t.Errorf("delivery after replay %+v", dl)
	}
	// Cleo's re-run sent every file queued for that partner, so the next
	// run finds the other failures delivered and clears them by itself.
	if n := len(s.exceptionsOf(ReasonDeliveryFailed)); n != failedTo-1 {
		t.Errorf("%d DELIVERY_FAILED open after one replay, want %d", n, failedTo-1)
	}
	s.sync(FlowPOs)
	if n := len(s.exceptionsOf(ReasonDeliveryFailed)); n != 0 {
		t.Errorf("%d DELIVERY_FAILED open after the next run", n)
	}
	d := s.out850()[failed.BusinessKey]
	if d.Status != store.StatusSent || d.DueAt.IsZero() {
		t.Errorf("850 after replay: %s due %v", d.Status, d.DueAt)
	}
	// The audit trail has the failure and the recovery.
	evs, err := s.st.Events(s.ctx, store.EventQuery{DocumentID: failed.ID, ActionPrefix: "delivery."})
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range evs {
		acts = append(acts, e.Action)
	}
	if strings.Join(acts, ",") != "delivery.delivered,delivery.failed,delivery.failed,delivery.pending" &&
		strings.Join(acts, ",") != "delivery.delivered,delivery.failed,delivery.pending" {
		t.Errorf("delivery audit (newest first) %v", acts)
	}
}

// A transfer still "In Progress" beyond the partner's limit is
// DELIVERY_STUCK; replay while Cleo still shows it pending leaves it (never
// a second file); when Cleo completes it, the next run clears the
// exception by itself.
func TestDeliveryStuckThenArrives(t *testing.T) {
	clock := httpxtest.NewClock(time.Now())
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{Now: clock.Now})
	s.eng.p.DeliveryLimit = time.Millisecond
	s.sync(FlowReference)
	s.csim.SetFaults(cleosim.Faults{LateTransfersS: 3600})
	s.sync(FlowPOs)
	time.Sleep(5 * time.Millisecond)
	s.sync(FlowPOs)
	docs := s.out850()
	stuck := s.exceptionsOf(ReasonDeliveryStuck)
	if len(stuck) != len(docs) || len(docs) == 0 {
		t.Fatalf("%d DELIVERY_STUCK for %d 850s", len(stuck), len(docs))
	}
	exc := stuck[0]
	if !strings.Contains(exc.Message, `as "In Progress" since`) || !strings.Contains(exc.Message, "0 minutes allowed") && !strings.Contains(exc.Message, "allowed for this partner") {
		t.Errorf("message %q", exc.Message)
	}
	uploads := s.csim.Stats().Uploads
	res, err := s.eng.Replay(s.ctx, exc.ID)
	if err != nil || res.Outcome != "still_failing" || !strings.Contains(res.Message, "In Progress") {
		t.Fatalf("replay of a stuck transfer: %+v %v", res, err)
	}
	if s.csim.Stats().Uploads != uploads {
		t.Fatal("replay of a pending transfer uploaded it again")
	}
	if n := len(s.exceptionsOf(ReasonDeliveryStuck)); n != len(docs) {
		t.Fatalf("%d stuck after replay", n)
	}
	// An hour later at Cleo, the transfers complete.
	clock.Advance(time.Hour + time.Second)
	s.sync(FlowPOs)
	if n := len(s.exceptionsOf(ReasonDeliveryStuck)); n != 0 {
		t.Fatalf("%d still stuck after Cleo completed them", n)
	}
	for k, d := range s.out850() {
		if dl := s.delivery(d.ID); d.Status != store.StatusSent || dl.State != store.DeliveryDelivered {
			t.Errorf("%s: %s, delivery %+v", k, d.Status, dl)
		}
	}
	counts, err := s.st.DeliveryCounts(s.ctx)
	if err != nil || counts[store.DeliveryStuck] != 0 || counts[store.DeliveryDelivered] != len(docs) {
		t.Errorf("counts %v %v", counts, err)
	}
}

// The 997s we return are followed through Cleo like 850s: every one sent
// has a delivery record, delivered with its transfer id.
func TestDeliveryOf997sWeSend(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference, FlowInvoices)
	acks, err := s.st.Documents(s.ctx, store.DocumentQuery{Direction: store.Outbound, Type: store.Type997, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(acks) == 0 {
		t.Fatal("no 997 sent")
	}
	for _, a := range acks {
		if a.Status != store.StatusSent {
			continue
		}
		if dl := s.delivery(a.ID); dl.State != store.DeliveryDelivered || !strings.HasPrefix(dl.TransferID, "T") {
			t.Errorf("997 %s (%s): delivery %+v", a.BusinessKey, a.CleoName, dl)
		}
	}
}

// Many open deliveries are settled from one read of Cleo's send log: the
// same verdicts and transfer IDs as asking file by file, in a few calls
// instead of one or two per file.
func TestTrackDeliveriesFromTheSendLog(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{EmptyInbox: true})
	s.sync(FlowReference, FlowPOs)
	ds, err := s.st.DeliveriesIn(s.ctx, store.DeliveryDelivered)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) < sendLogMin {
		t.Fatalf("%d 850s delivered, the test needs at least %d", len(ds), sendLogMin)
	}
	reopen := func() {
		t.Helper()
		for _, d := range ds {
			d.State, d.TransferID, d.NetworkStatus, d.SettledAt = store.DeliveryPending, "", "", time.Time{}
			if err := s.st.PutDelivery(s.ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(how string) {
		t.Helper()
		for _, d := range ds {
			got, err := s.st.Delivery(s.ctx, d.DocumentID)
			if err != nil || got.State != store.DeliveryDelivered || got.TransferID != d.TransferID || got.NetworkStatus != d.NetworkStatus {
				t.Fatalf("%s: document %d: %+v %v, want delivered in %s (%s)", how, d.DocumentID, got, err, d.TransferID, d.NetworkStatus)
			}
		}
	}

	reopen()
	before := s.csim.Stats().APICalls
	if err := s.eng.trackDeliveries(s.ctx, &run{}, store.Type850); err != nil {
		t.Fatal(err)
	}
	logCalls := s.csim.Stats().APICalls - before
	check("from the send log")
	// One listing of the send log: its pages at the sandbox's smallest
	// page cap, plus one.
	if limit := (len(ds)+slices.Min(cleosim.PageCaps)-1)/slices.Min(cleosim.PageCaps) + 1; logCalls > limit {
		t.Errorf("%d files settled with %d Cleo calls, want one listing (at most %d)", len(ds), logCalls, limit)
	}

	// Without the log (a transport that has none), file by file.
	s.eng.p.Cleo = noSendLog{s.eng.p.Cleo.(CleoTransport)}
	reopen()
	before = s.csim.Stats().APICalls
	if err := s.eng.trackDeliveries(s.ctx, &run{}, store.Type850); err != nil {
		t.Fatal(err)
	}
	check("file by file")
	if calls := s.csim.Stats().APICalls - before; calls < len(ds) {
		t.Errorf("file by file: %d calls for %d files", calls, len(ds))
	}
	t.Logf("%d deliveries settled with %d Cleo calls from the send log, file by file with %d", len(ds), logCalls, s.csim.Stats().APICalls-before)
}

// noSendLog is a Cleo transport without a send log.
type noSendLog struct{ CleoTransport }

func (noSendLog) DeliveredSince(context.Context, time.Time, int) (func(string, string, domain.SendResult) (domain.DeliveryReport, bool), error) {
	return nil, unsupportedErr{errors.ErrUnsupported}
}
