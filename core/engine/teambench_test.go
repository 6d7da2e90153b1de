//go:build !windows

package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// BenchmarkTeamRequests is what a team's leader sustains on PostgreSQL
// with three client desks attached. Each desk has its own connection
// pool, follows the team's events (LISTEN/NOTIFY, no polling) and keeps up
// to 8 clerk requests outstanding: tolerance edits, each a new mapping
// version and its audit event, written by the leader as the clerk who
// asked. The leader claims, executes and finishes each request and relays
// the outcome to the desks. Metrics: requests/s, and the round trip a desk
// sees from enqueueing to hearing "done" (p50, p95).
//
// The baseline in the same run, path=direct, is the same edit made by the
// leader's engine itself: the difference is what the request path costs
// (claim, finish, NOTIFY, the event relayed and read back by the desks).
func BenchmarkTeamRequests(b *testing.B) {
	ctx := context.Background()
	leaderStore, url, pw := teamStore(b)
	s := newSandboxesOn(b, ifssim.Config{}, cleosim.Config{EmptyInbox: true, MaxPageSize: 100}, leaderStore)
	tol := func(i int) map[string]string {
		return map[string]string{"price_pct": fmt.Sprint(1 + i%9), "qty_pct": "1", "absolute": "0.50"}
	}
	b.Run("path=direct", func(b *testing.B) {
		start := time.Now()
		for i := range b.N {
			a := tol(i)
			t := Tolerance{PricePct: money.MustParse(a["price_pct"]), QtyPct: money.MustParse(a["qty_pct"]), Absolute: money.MustParse(a["absolute"])}
			if err := s.eng.setToleranceAs(ctx, "*", t, "bench-clerk"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "requests/s")
	})
	b.Run("path=requests/desks=3", func(b *testing.B) {
		old := RequestPoll
		RequestPoll = time.Hour // only NOTIFY wakes the leader
		defer func() { RequestPoll = old }()
		sctx, stop := context.WithCancel(ctx)
		defer stop()
		go s.eng.ServeRequests(sctx, nil, "bench leader")
		RelayToTeam(sctx, s.bus, leaderStore, "bench leader", nil)
		const desks, window = 3, 8
		type desk struct {
			st  *store.Store
			sub *events.Subscription
		}
		ds := make([]desk, 0, desks)
		// The desks' pools close only after their LISTEN connections are
		// let go: stop first (a pool's Close waits for every connection).
		defer func() {
			stop()
			for _, d := range ds {
				d.sub.Unsubscribe()
				d.st.Close()
			}
		}()
		for range desks {
			st, err := store.OpenURL(ctx, url, store.WithPassword(pw))
			if err != nil {
				b.Fatal(err)
			}
			bus := events.NewBus()
			ready := make(chan struct{})
			go FollowTeam(sctx, bus, st, time.Hour, nil, ready)
			<-ready
			ds = append(ds, desk{st: st, sub: bus.Subscribe(events.RequestChanged, 4096)})
		}
		var mu sync.Mutex
		var rtts []time.Duration
		b.ResetTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for d := range ds {
			quota := b.N / desks
			if d < b.N%desks {
				quota++
			}
			wg.Add(1)
			go func(dk desk, quota int) {
				defer wg.Done()
				pending := map[int64]time.Time{}
				sent := 0
				for sent < quota || len(pending) > 0 {
					for sent < quota && len(pending) < window {
						args, _ := json.Marshal(tol(sent))
						r, err := dk.st.EnqueueRequest(ctx, store.Request{Kind: "tolerance", Target: "*", Actor: "bench-clerk",
							Host: fmt.Sprintf("desk%d", d), Args: string(args)})
						if err != nil {
							b.Error(err)
							return
						}
						pending[r.ID] = time.Now()
						sent++
					}
					ev, ok := dk.sub.Poll(10 * time.Second)
					if !ok {
						b.Errorf("desk %d: no event for 10 s with %d requests outstanding", d, len(pending))
						return
					}
					rd, isReq := ev.Data.(events.RequestData)
					t0, mine := pending[rd.RequestID]
					if !isReq || !mine || !store.RequestState(rd.State).Final() {
						continue
					}
					if rd.State != string(store.RequestDone) {
						b.Errorf("request %d: %s %s", rd.RequestID, rd.State, rd.Result)
					}
					delete(pending, rd.RequestID)
					mu.Lock()
					rtts = append(rtts, time.Since(t0))
					mu.Unlock()
				}
			}(ds[d], quota)
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		slices.Sort(rtts)
		if len(rtts) > 0 {
			b.ReportMetric(float64(rtts[len(rtts)/2].Microseconds())/1000, "ms-p50")
			b.ReportMetric(float64(rtts[len(rtts)*95/100].Microseconds())/1000, "ms-p95")
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "requests/s")
	})
}
