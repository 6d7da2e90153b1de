package events

import (
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
	if AllEvents&SchedulerChanged == 0 || AllEvents>>9 != 0 {
		t.Fatalf("AllEvents = %b", AllEvents)
	}
}
