package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestDeliveriesLifecycleAndAudit(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	newPO := func(key string) int64 {
		d := Document{Direction: Outbound, Type: Type850, BusinessKey: key, Status: StatusSent, CleoName: "850_" + key + ".edi", Partner: "p-" + key}
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
	// Paged by document ID: a < b < c were inserted in that order; a is
	// delivered now, so pending or failed are b then c, one per page.
	var paged []int64
	for after := int64(0); ; {
		page, err := s.DeliveriesAfter(ctx, after, 1, DeliveryPending, DeliveryFailed)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) != 1 {
			t.Fatalf("a page of %d, limit 1", len(page))
		}
		paged, after = append(paged, page[0].DocumentID), page[0].DocumentID
	}
	if fmt.Sprint(paged) != fmt.Sprint([]int64{b, c}) {
		t.Fatalf("paged %v, want [%d %d]", paged, b, c)
	}
	// The same documents as references, oldest first and newest first.
	for _, oldest := range []bool{true, false} {
		refs, err := s.DocumentRefs(ctx, DocumentQuery{Type: Type850, Statuses: []Status{StatusSent}, Oldest: oldest, Limit: 10})
		want := []DocRef{{a, "p-P1"}, {b, "p-P2"}, {c, "p-P3"}}
		if !oldest {
			want = []DocRef{{c, "p-P3"}, {b, "p-P2"}, {a, "p-P1"}}
		}
		if err != nil || fmt.Sprint(refs) != fmt.Sprint(want) {
			t.Fatalf("refs (oldest %v): %v %v, want %v", oldest, refs, err, want)
		}
	}
	// Keyset pages by id: two, then one, then none.
	var refPages []DocRef
	for after, n := int64(0), 0; ; n++ {
		refs, err := s.DocumentRefs(ctx, DocumentQuery{Type: Type850, Statuses: []Status{StatusSent}, ByID: true, AfterID: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) == 0 {
			if n != 2 {
				t.Fatalf("%d pages of 2 for 3 documents, want 2", n)
			}
			break
		}
		refPages = append(refPages, refs...)
		after = refs[len(refs)-1].ID
	}
	if want := []DocRef{{a, "p-P1"}, {b, "p-P2"}, {c, "p-P3"}}; fmt.Sprint(refPages) != fmt.Sprint(want) {
		t.Fatalf("paged by id: %v, want %v", refPages, want)
	}
	if page, err := s.DeliveriesAfter(ctx, 0, 10); err != nil || page != nil {
		t.Fatalf("no states: %v %v", page, err)
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
