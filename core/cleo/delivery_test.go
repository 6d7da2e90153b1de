package cleo_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
)

func TestDecideDelivery(t *testing.T) {
	at := func(min int) string {
		return time.Date(2026, 12, 4, 9, min, 0, 0, time.UTC).Format("2006/01/02 15:04:05")
	}
	rec := func(id, status, text string, min int) cleo.TransferRecord {
		var r cleo.TransferRecord
		if err := r.UnmarshalJSON([]byte(`{"transferId":"` + id + `","direction":"send","isReceipt":"F","status":"` + status +
			`","resultText":"` + text + `","startDT":"` + at(min) + `","endDT":null}`)); err != nil {
			t.Fatal(err)
		}
		return r
	}
	receipt := rec("T9", "Error", "MDN signature invalid", 9)
	receipt.IsReceipt = "T"
	for _, tc := range []struct {
		name    string
		recs    []cleo.TransferRecord
		state   domain.DeliveryState
		id, st  string
		attempt int
	}{
		{"nothing logged yet", nil, domain.DeliveryPending, "", "", 0},
		{"in progress", []cleo.TransferRecord{rec("T1", "In Progress", "Queued", 0)}, domain.DeliveryPending, "T1", "In Progress", 1},
		{"AS2 waiting for its MDN", []cleo.TransferRecord{rec("T1", "Receipt Pending", "", 0)}, domain.DeliveryPending, "T1", "Receipt Pending", 1},
		{"success", []cleo.TransferRecord{rec("T1", "Success", "Sent", 0)}, domain.DeliveryDelivered, "T1", "Success", 1},
		{"warning is delivered", []cleo.TransferRecord{rec("T1", "Warning", "not X12", 0)}, domain.DeliveryDelivered, "T1", "Warning", 1},
		{"error", []cleo.TransferRecord{rec("T1", "Error", "refused", 0)}, domain.DeliveryFailed, "T1", "Error", 1},
		{"discarded", []cleo.TransferRecord{rec("T1", "Discarded", "", 0)}, domain.DeliveryFailed, "T1", "Discarded", 1},
		// Listed out of order: T2 (09:05) is the later attempt and succeeded.
		{"failed then succeeded", []cleo.TransferRecord{rec("T2", "Success", "Sent", 5), rec("T1", "Interrupted", "timed out", 0)}, domain.DeliveryDelivered, "T2", "Success", 2},
		{"succeeded then a stray retry", []cleo.TransferRecord{rec("T1", "Success", "Sent", 0), rec("T2", "Error", "x", 5)}, domain.DeliveryDelivered, "T1", "Success", 2},
		// A failure with only a queued retry after it: nothing went out.
		{"failed, retry queued", []cleo.TransferRecord{rec("T1", "Error", "certificate expired", 0), rec("T2", "In Progress", "Queued for retry", 5)}, domain.DeliveryFailed, "T2", "Error", 2},
		// Receipt records are about the MDN, not a send attempt of their own.
		{"receipt records ignored", []cleo.TransferRecord{rec("T1", "Receipt Pending", "", 0), receipt}, domain.DeliveryPending, "T1", "Receipt Pending", 1},
		{"unknown status waits for the stuck limit", []cleo.TransferRecord{rec("T1", "Paused", "", 0)}, domain.DeliveryPending, "T1", "Paused", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cleo.DecideDelivery(tc.recs)
			if got.State != tc.state || got.TransferID != tc.id || got.Status != tc.st || got.Attempts != tc.attempt {
				t.Fatalf("got %+v, want %s %s %s %d", got, tc.state, tc.id, tc.st, tc.attempt)
			}
		})
	}
}

func TestRESTDeliveryFromTheTransferLog(t *testing.T) {
	ctx := context.Background()
	clock := httpxtest.NewClock(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	s := newSim(t, cleosim.Config{EmptyInbox: true, SupplierDelay: -1, Now: clock.Now})
	r := s.client(t, nil)
	w := s.sim.World()
	send := func(i int) (domain.Partner, domain.SendResult, []byte) {
		t.Helper()
		po := w.PurchaseOrders[i]
		sup, _ := w.SupplierByID(po.SupplierID)
		edi := sample850(t, w, po)
		p := domain.Partner{Alias: sup.Partner.Alias}
		res, err := r.Send(ctx, p, cleo.OutboundName("850", po.OrderNo, "1"), bytes.NewReader(edi))
		if err != nil || res.ID == "" {
			t.Fatalf("send: %+v %v", res, err)
		}
		return p, res, edi
	}
	delivery := func(p domain.Partner, res domain.SendResult) domain.DeliveryReport {
		t.Helper()
		rep, err := r.Delivery(ctx, p, res)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	// 1. A plain send: Success in the log, delivered.
	p, res, _ := send(0)
	if rep := delivery(p, res); rep.State != domain.DeliveryDelivered || rep.Status != "Success" || rep.TransferID == "" || rep.InOutbox {
		t.Fatalf("plain send: %+v", rep)
	}

	// 2. The partner's certificate expired: Error, the file stays queued;
	// Redeliver runs the send action again and it goes out.
	s.sim.SetFaults(cleosim.Faults{FailTransfers: 1})
	p, res, edi := send(1)
	rep := delivery(p, res)
	if rep.State != domain.DeliveryFailed || rep.Status != "Error" || !rep.InOutbox || !bytes.Contains([]byte(rep.Detail), []byte("certificate has expired")) {
		t.Fatalf("failed send: %+v", rep)
	}
	uploads := s.sim.Stats().Uploads
	rep, err := r.Redeliver(ctx, p, res, bytes.NewReader(edi))
	if err != nil || rep.State != domain.DeliveryDelivered || rep.Attempts != 2 {
		t.Fatalf("redeliver: %+v %v", rep, err)
	}
	if got := s.sim.Stats().Uploads; got != uploads {
		t.Fatalf("redeliver of a queued file uploaded again (%d → %d uploads)", uploads, got)
	}
	// Redeliver of a delivered file does nothing.
	if rep, err := r.Redeliver(ctx, p, res, bytes.NewReader(edi)); err != nil || rep.State != domain.DeliveryDelivered || rep.Attempts != 2 {
		t.Fatalf("redeliver delivered: %+v %v", rep, err)
	}

	// 3. A failed redelivery reports the run's error.
	s.sim.SetFaults(cleosim.Faults{FailTransfers: 2})
	p, res, edi = send(2)
	if _, err := r.Redeliver(ctx, p, res, bytes.NewReader(edi)); domain.KindOf(err) != domain.KindBusinessRule {
		t.Fatalf("redeliver into a failing partner: %v", err)
	}

	// 4. Late: In Progress until 90 s after the start, then Success.
	s.sim.SetFaults(cleosim.Faults{LateTransfersS: 90})
	p, res, _ = send(3)
	if rep := delivery(p, res); rep.State != domain.DeliveryPending || rep.Status != "In Progress" || !rep.Since.Equal(clock.Now()) {
		t.Fatalf("late, at once: %+v", rep)
	}
	clock.Advance(91 * time.Second)
	if rep := delivery(p, res); rep.State != domain.DeliveryDelivered {
		t.Fatalf("late, after 91 s: %+v", rep)
	}

	// 5. Stuck: In Progress for ever; Redeliver does not touch it.
	s.sim.SetFaults(cleosim.Faults{StuckTransfers: true})
	p, res, edi = send(4)
	uploads = s.sim.Stats().Uploads
	clock.Advance(48 * time.Hour)
	rep, err = r.Redeliver(ctx, p, res, bytes.NewReader(edi))
	if err != nil || rep.State != domain.DeliveryPending || s.sim.Stats().Uploads != uploads {
		t.Fatalf("stuck: %+v %v", rep, err)
	}

	// 6. The send log: one listing says the same as Delivery for every
	// delivered file, and nothing for a file not delivered (Delivery must
	// ask); a file sent before the window is not in it.
	s.sim.SetFaults(cleosim.Faults{})
	start := clock.Now()
	clock.Advance(time.Minute)
	var sent []domain.SendResult
	var partners []domain.Partner
	for i := 5; i < 9; i++ {
		p, res, _ := send(i)
		sent, partners = append(sent, res), append(partners, p)
	}
	log, err := r.SendLog(ctx, start, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, res := range sent {
		want := delivery(partners[i], res)
		got, ok := log.Delivered(partners[i], res.Name)
		if !ok || got != want {
			t.Errorf("%s from the log: %+v %v, from Delivery: %+v", res.Name, got, ok, want)
		}
	}
	if _, ok := log.Delivered(p, res.Name); ok {
		t.Error("the stuck file (sent before the window, never delivered) is delivered by the log")
	}
	other := domain.Partner{Alias: "SOMEONE_ELSE"}
	if _, ok := log.Delivered(other, sent[0].Name); ok {
		t.Error("a file sent to one partner is delivered to another")
	}
	if _, err := r.SendLog(ctx, start, 3); !errors.Is(err, cleo.ErrSendLogTooLarge) {
		t.Errorf("four records, at most three: %v", err)
	}
}

func TestFolderDeliveryIsLeavingTheOutbox(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	f, err := cleo.NewFolder(cleo.FolderConfig{Root: root, Layout: cleo.Layout{PerPartner: true, Sent: "sent",
		Partners: []domain.Partner{{Alias: "ACME"}}}})
	if err != nil {
		t.Fatal(err)
	}
	p := domain.Partner{Alias: "ACME"}
	res, err := f.Send(ctx, p, "850_P1_1.edi", bytes.NewReader([]byte("ISA*x~")))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.Delivery(ctx, p, res)
	if err != nil || rep.State != domain.DeliveryPending || !rep.InOutbox || rep.Since.IsZero() {
		t.Fatalf("in outbox: %+v %v", rep, err)
	}
	// Redeliver cannot push a file the network has not taken: it reports.
	if rep, err := f.Redeliver(ctx, p, res, nil); err != nil || rep.State != domain.DeliveryPending {
		t.Fatalf("redeliver: %+v %v", rep, err)
	}
	// The network moves it to its sent folder: delivered.
	if err := os.MkdirAll(filepath.Join(root, "sent", "ACME"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(root, "outbox", "ACME", "850_P1_1.edi"), filepath.Join(root, "sent", "ACME", "850_P1_1.edi")); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.Delivery(ctx, p, res); err != nil || rep.State != domain.DeliveryDelivered {
		t.Fatalf("moved: %+v %v", rep, err)
	}
	// Without the id the transport finds the outbox path itself.
	if rep, err := f.Delivery(ctx, p, domain.SendResult{Name: "850_P1_1.edi"}); err != nil || rep.State != domain.DeliveryDelivered {
		t.Fatalf("by name: %+v %v", rep, err)
	}
}
