package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Team events on both backends: ids in order, catch-up after an id, the
// newest id, pruning by age; on PostgreSQL a second pool (another desk)
// is woken by the NOTIFY of a publish although its poll is an hour, and a
// queued request wakes the leader's listener the same way.
func TestTeamEvents(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := openBackend(t, WithClock(clock))
	if id, err := s.LastTeamEvent(ctx); err != nil || id != 0 {
		t.Fatalf("empty: %d %v", id, err)
	}
	var ids []int64
	for i := range 3 {
		id, err := s.PublishTeamEvent(ctx, "DocumentChanged", fmt.Appendf(nil, `{"DocumentID":%d}`, i+1), "srv1 (run)")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if ids[0] >= ids[1] || ids[1] >= ids[2] {
		t.Fatalf("ids not increasing: %v", ids)
	}
	got, err := s.TeamEventsAfter(ctx, ids[0], 0)
	if err != nil || len(got) != 2 || got[0].ID != ids[1] || string(got[1].Data) != `{"DocumentID":3}` ||
		got[1].Type != "DocumentChanged" || got[1].Origin != "srv1 (run)" || !got[1].At.Equal(now) {
		t.Fatalf("after %d: %+v %v", ids[0], got, err)
	}
	if last, _ := s.LastTeamEvent(ctx); last != ids[2] {
		t.Fatalf("last %d, want %d", last, ids[2])
	}
	now = now.Add(8 * 24 * time.Hour)
	if _, err := s.PublishTeamEvent(ctx, "RunStarted", []byte(`{}`), "srv1 (run)"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneTeamEvents(ctx, now.Add(-7*24*time.Hour)); err != nil || n != 3 {
		t.Fatalf("pruned %d %v, want the 3 old events", n, err)
	}
	if got, _ := s.TeamEventsAfter(ctx, 0, 0); len(got) != 1 || got[0].Type != "RunStarted" {
		t.Fatalf("after prune: %+v", got)
	}
	if testBackend != "postgres" {
		return
	}
	other, err := OpenURL(ctx, s.pool.Config().ConnString(), WithPassword(s.pool.Config().ConnConfig.Password))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, c := range []struct {
		name   string
		listen func(context.Context, time.Duration) <-chan struct{}
		do     func() error
	}{
		{"event", other.ListenTeamEvents, func() error {
			_, err := s.PublishTeamEvent(ctx, "RunFinished", []byte(`{}`), "srv1 (run)")
			return err
		}},
		{"request", other.ListenRequests, func() error {
			_, err := s.EnqueueRequest(ctx, Request{Kind: "sync_now", Target: "invoices", Actor: "bob", Host: "desk1"})
			return err
		}},
	} {
		wake := c.listen(lctx, time.Hour)
		// The first wake-up says "listening now, catch up".
		select {
		case <-wake:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: the listener never started", c.name)
		}
		if err := c.do(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-wake:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no NOTIFY reached the other pool", c.name)
		}
	}
}
