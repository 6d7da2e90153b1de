package events

import (
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestSubscribeMask(t *testing.T) {
	b := NewBus()
	runs := b.Subscribe(RunStarted|RunFinished, 10)
	defer runs.Unsubscribe()
	all := b.Subscribe(AllEvents, 10)
	defer all.Unsubscribe()

	b.Publish(RunStarted, RunData{Flow: "pos"})
	b.Publish(DocumentChanged, DocumentData{DocumentID: 1})
	b.Publish(RunFinished, RunData{Flow: "pos"})

	var got []Type
	for len(got) < 2 {
		ev, ok := runs.Poll(time.Second)
		if !ok {
			t.Fatal("missing event")
		}
		got = append(got, ev.Type)
	}
	if got[0] != RunStarted || got[1] != RunFinished {
		t.Fatalf("got %v", got)
	}
	if _, ok := runs.Poll(10 * time.Millisecond); ok {
		t.Fatal("DocumentChanged leaked into a run-only subscription")
	}
	var ids []int64
	for i := 0; i < 3; i++ {
		ev, ok := all.Poll(time.Second)
		if !ok {
			t.Fatal("missing event on all")
		}
		ids = append(ids, ev.ID)
	}
	if ids[0]+1 != ids[1] || ids[1]+1 != ids[2] {
		t.Fatalf("ids not consecutive: %v", ids)
	}
}

func TestPublishNeverBlocks(t *testing.T) {
	b := NewBus()
	s := b.Subscribe(AllEvents, 4)
	defer s.Unsubscribe()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			b.Publish(RunProgress, RunData{Done: i})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publisher blocked on a slow subscriber")
	}
	if s.Dropped() != 96 {
		t.Fatalf("dropped %d, want 96", s.Dropped())
	}
	// The newest events survive.
	ev, _ := s.Poll(time.Second)
	if ev.Data.(RunData).Done != 96 {
		t.Fatalf("oldest kept = %v, want 96", ev.Data)
	}
}

func TestUnsubscribeClosesAndConcurrentUse(t *testing.T) {
	b := NewBus()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := b.Subscribe(DocumentChanged, 2)
			for j := 0; j < 50; j++ {
				b.Publish(DocumentChanged, nil)
			}
			s.Unsubscribe()
			s.Unsubscribe()
			for range s.C() {
			}
		}()
	}
	wg.Wait()
	var nilBus *Bus
	nilBus.Publish(RunStarted, nil)
}

func TestTypeString(t *testing.T) {
	if got := (RunStarted | HeartbeatStale).String(); got != "RunStarted|HeartbeatStale" {
		t.Fatal(got)
	}
	if AllEvents&SchedulerChanged == 0 || AllEvents>>10 != 0 {
		t.Fatalf("AllEvents = %b", AllEvents)
	}
}

// Every event type survives the trip through the team database's wire form
// with its typed data intact (what a client desk's screens type-switch on).
func TestEncodeDecodeEveryType(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)
	cases := []struct {
		t    Type
		data any
	}{
		{RunStarted, RunData{RunID: 7, Flow: "invoices"}},
		{RunProgress, RunData{RunID: 7, Flow: "invoices", Done: 2, Total: 5, OK: 1, Failed: 1}},
		{RunFinished, RunData{RunID: 7, Flow: "invoices", Err: "cleo: 503"}},
		{DocumentChanged, DocumentData{DocumentID: 12, Type: "810", Direction: "inbound", Partner: "ACME", BusinessKey: "INV-1", Status: "posted"}},
		{ExceptionRaised, ExceptionData{ExceptionID: 3, DocumentID: 12, Reason: "PRICE_VARIANCE", Message: "unit price 10.50 > 10.00"}},
		{ExceptionResolved, ExceptionData{ExceptionID: 3, Resolution: "replayed"}},
		{HeartbeatStale, HeartbeatData{Poller: "invoices", LastSuccess: at, StaleFor: 90 * time.Minute}},
		{ConnectionStatus, ConnectionData{Connection: "ifs", OK: true, Detail: "ok"}},
		{SchedulerChanged, SchedulerData{Paused: true, Flow: "pos"}},
		{RequestChanged, RequestData{RequestID: 9, Kind: "replay", Target: "3", Actor: "ann", State: "done", Result: "posted"}},
	}
	seen := Type(0)
	for _, c := range cases {
		name, data, err := Encode(Event{Type: c.t, Data: c.data})
		if err != nil {
			t.Fatalf("%v: %v", c.t, err)
		}
		gt, gd, err := Decode(name, data)
		if err != nil {
			t.Fatalf("%v: %v", c.t, err)
		}
		if gt != c.t || !reflect.DeepEqual(gd, c.data) {
			t.Fatalf("%v: round trip gave %v %#v, want %#v", c.t, gt, gd, c.data)
		}
		seen |= c.t
	}
	if seen != AllEvents {
		t.Fatalf("types without a round-trip case: %v", AllEvents&^seen)
	}
	if _, _, err := Decode("NoSuchEvent", []byte(`{}`)); err == nil {
		t.Fatal("unknown type decoded")
	}
	if _, _, err := Decode("RunStarted", []byte(`{`)); err == nil {
		t.Fatal("broken JSON decoded")
	}
}
