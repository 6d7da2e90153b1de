package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestDeliveriesLifecycleAndAudit(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	newPO := func(key string) int64 {
		d := Document{Direction: Outbound, Type: Type850, BusinessKey: key, Status: StatusSent, CleoName: "850_" + key + ".edi"}
		if err := s.InsertDocument(ctx, &d, SystemActor); err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	a, b, c := newPO("P1"), newPO("P2"), newPO("P3")
	if _, err := s.Delivery(ctx, a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no delivery yet: %v", err)
	}
	handed := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	put := func(d Delivery) {
		t.Helper()
		if err := s.PutDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	put(Delivery{DocumentID: a, State: DeliveryPending, TransferID: "T1", NetworkStatus: "In Progress", HandedAt: handed})
	put(Delivery{DocumentID: b, State: DeliveryPending, TransferID: "T2", NetworkStatus: "Receipt Pending", HandedAt: handed.Add(time.Minute)})
	put(Delivery{DocumentID: c, State: DeliveryPending, TransferID: "T3", NetworkStatus: "In Progress", HandedAt: handed.Add(-time.Minute)})
	// The same facts again: no new audit event.
	put(Delivery{DocumentID: a, State: DeliveryPending, TransferID: "T1", NetworkStatus: "In Progress", HandedAt: handed})
	put(Delivery{DocumentID: a, State: DeliveryDelivered, TransferID: "T1", NetworkStatus: "Success", HandedAt: handed, SettledAt: handed.Add(30 * time.Second)})
	put(Delivery{DocumentID: b, State: DeliveryFailed, TransferID: "T2", NetworkStatus: "Error", Detail: "certificate expired", HandedAt: handed.Add(time.Minute)})

	got, err := s.Delivery(ctx, a)
	if err != nil || got.State != DeliveryDelivered || got.TransferID != "T1" || !got.SettledAt.Equal(handed.Add(30*time.Second)) || got.Attempts != 1 {
		t.Fatalf("a: %+v %v", got, err)
	}
	pending, err := s.DeliveriesIn(ctx, DeliveryPending, DeliveryFailed)
	if err != nil {
		t.Fatal(err)
	}
	// Oldest hand-over first: c (08:59) before b (09:01).
	if len(pending) != 2 || pending[0].DocumentID != c || pending[1].DocumentID != b || pending[1].Detail != "certificate expired" {
		t.Fatalf("pending/failed: %+v", pending)
	}
	counts, err := s.DeliveryCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[DeliveryDelivered] != 1 || counts[DeliveryFailed] != 1 || counts[DeliveryPending] != 1 || counts[DeliveryStuck] != 0 {
		t.Fatalf("counts %v", counts)
	}
	of, err := s.DeliveriesOf(ctx, []int64{a, b, 999})
	if err != nil || len(of) != 2 || of[b].NetworkStatus != "Error" {
		t.Fatalf("of: %v %v", of, err)
	}
	// Audit: a has pending then delivered (the repeat was not written).
	evs, err := s.Events(ctx, EventQuery{DocumentID: a, ActionPrefix: "delivery."})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		{
			actions = append(actions, e.Action)
			if e.Action == "delivery.delivered" {
				var d map[string]any
				_ = json.Unmarshal(e.Detail.(json.RawMessage), &d)
				if d["from"] != "pending" || d["transfer_id"] != "T1" || d["network_status"] != "Success" {
					t.Errorf("delivered detail %v", d)
				}
			}
		}
	}
	// Newest first.
	if len(actions) != 2 || actions[0] != "delivery.delivered" || actions[1] != "delivery.pending" {
		t.Fatalf("audit %v", actions)
	}
	for _, bad := range []Delivery{{State: DeliveryPending, HandedAt: handed}, {DocumentID: a, State: "lost", HandedAt: handed}, {DocumentID: a, State: DeliveryPending}} {
		if err := s.PutDelivery(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
