package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDecideHoldAndDispute(t *testing.T) {
	ctx := context.Background()
	s, clk := openTest(t)
	open := func(key string) Exception {
		d := Document{Direction: Inbound, Type: Type810, BusinessKey: key, Status: StatusReceived}
		if err := s.InsertDocument(ctx, &d, SystemActor); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Transition(ctx, d.ID, Transition{To: StatusException, Reason: "PRICE_VARIANCE", Message: "m", Fix: "f"}); err != nil {
			t.Fatal(err)
		}
		e, err := s.OpenExceptionOf(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b := open("A"), open("B")
	until := clk.t.Add(72 * time.Hour)
	if _, err := s.Decide(ctx, a.ID, DecisionHold, "carol", "", until); !errors.Is(err, ErrInvalid) {
		t.Fatalf("hold without a note: %v", err)
	}
	if _, err := s.Decide(ctx, a.ID, DecisionHold, "carol", "supplier sends credit note", time.Time{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("hold without a date: %v", err)
	}
	got, err := s.Decide(ctx, a.ID, DecisionHold, "carol", "supplier sends credit note", until)
	if err != nil || got.Decision != DecisionHold || got.DecisionBy != "carol" || !got.HeldUntil.Equal(until) || got.State != ExceptionOpen {
		t.Fatalf("hold: %+v %v", got, err)
	}
	if _, err := s.Decide(ctx, b.ID, DecisionDispute, "dave", "price is not the contract price", time.Time{}); err != nil {
		t.Fatal(err)
	}
	// The queue hides A until its date; the dispute stays visible.
	list, _ := s.Exceptions(ctx, ExceptionQuery{HideHeld: true, Now: clk.t})
	if len(list) != 1 || list[0].ID != b.ID || list[0].DecisionNote != "price is not the contract price" {
		t.Fatalf("queue while held: %+v", list)
	}
	list, _ = s.Exceptions(ctx, ExceptionQuery{HideHeld: true, Now: until.Add(time.Minute)})
	if len(list) != 2 {
		t.Fatalf("queue after the follow-up date: %d", len(list))
	}
	if list, _ := s.Exceptions(ctx, ExceptionQuery{Decision: DecisionDispute}); len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("disputes: %+v", list)
	}
	// Audited on the document's timeline.
	ev, _ := s.DocumentEvents(ctx, a.DocumentID)
	if last := ev[len(ev)-1]; last.Action != "decision.hold" || last.Actor != "carol" {
		t.Fatalf("audit %+v", last)
	}
	// A closed exception takes no decision.
	if _, err := s.CloseException(ctx, b.ID, ExceptionIgnored, "dave", "settled by phone"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, b.ID, DecisionHold, "dave", "x", until); !errors.Is(err, ErrConflict) {
		t.Fatalf("decision on a closed exception: %v", err)
	}
}
