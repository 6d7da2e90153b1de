package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Items of one key are handled one at a time and in order, different keys
// side by side, items added while workers run are picked up, and a fatal
// error stops the rest.
func TestKeyedQueue(t *testing.T) {
	type item struct {
		key string
		n   int
	}
	q := newKeyedQueue(func(it item) string { return it.key })
	var mu sync.Mutex
	inFlight := map[string]bool{}
	seen := map[string][]int{}
	maxParallel, cur := 0, 0
	for i := range 10 {
		q.add(item{fmt.Sprintf("k%d", i%3), i})
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		for i := 10; i < 20; i++ {
			q.add(item{fmt.Sprintf("k%d", i%3), i})
		}
		q.close()
	}()
	err := q.run(context.Background(), 4, func(ctx context.Context, it item) error {
		mu.Lock()
		if inFlight[it.key] {
			t.Errorf("two items of %s at once", it.key)
		}
		inFlight[it.key] = true
		cur++
		maxParallel = max(maxParallel, cur)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		inFlight[it.key] = false
		cur--
		seen[it.key] = append(seen[it.key], it.n)
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for k, ns := range seen {
		for i := 1; i < len(ns); i++ {
			if ns[i] < ns[i-1] {
				t.Errorf("%s out of order: %v", k, ns)
			}
		}
		total += len(ns)
	}
	if total != 20 || maxParallel < 2 || maxParallel > 3 {
		t.Fatalf("handled %d of 20, at most %d at once (3 keys, 4 workers)", total, maxParallel)
	}

	// A fatal error ends the run; nothing hangs.
	q2 := newKeyedQueue(func(it item) string { return it.key })
	for i := range 50 {
		q2.add(item{fmt.Sprintf("k%d", i%5), i})
	}
	boom := errors.New("fatal")
	done := make(chan error, 1)
	go func() {
		done <- q2.run(context.Background(), 3, func(ctx context.Context, it item) error {
			if it.n == 7 {
				return boom
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Fatalf("err %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run hung after a fatal error")
	}
}

// The pool waiting on IFS is sized from the limit and the measured answer
// time (Little's law, twice, plus two), worked out by hand per row.
func TestWorkersFor(t *testing.T) {
	for _, c := range []struct {
		perMinute float64
		latency   time.Duration
		want      int
	}{
		{1000, 0, defaultWorkers},                   // IFS has not answered yet
		{0, 150 * time.Millisecond, defaultWorkers}, // no limit known
		{1000, 25 * time.Millisecond, 4},            // 2 × 16.67 × 0.025 = 0.83 → 1 + 2 = 3, at least 4
		{1000, 150 * time.Millisecond, 7},           // 2 × 16.67 × 0.15 = 5 → 5 + 2
		{980, 150 * time.Millisecond, 7},            // 4.9 → 5 + 2
		{1000, time.Second, 36},                     // 33.3 → 34 + 2
		{6000, 2 * time.Second, maxIFSWorkers},      // 400 + 2, at most 64
	} {
		if got := workersFor(c.perMinute, c.latency); got != c.want {
			t.Errorf("workersFor(%v, %v) = %d, want %d", c.perMinute, c.latency, got, c.want)
		}
	}
}

type pacedIFS struct {
	IFS
	perMinute float64
	latency   time.Duration
}

func (p pacedIFS) Pace() (float64, time.Duration) { return p.perMinute, p.latency }

// Params.Workers fixes every pool; unset, the IFS pools follow the port's
// pace and the Cleo pools hold cleoParallel calls.
func TestPoolSizes(t *testing.T) {
	slow := pacedIFS{perMinute: 1000, latency: 600 * time.Millisecond} // 20 + 2
	e := &Engine{p: Params{IFS: slow}}
	if got := e.ifsWorkers(); got != 22 {
		t.Errorf("a 600 ms tenant: %d IFS workers, want 22", got)
	}
	if got := e.cleoWorkers(); got != cleoParallel {
		t.Errorf("Cleo workers %d, want %d", got, cleoParallel)
	}
	e.p.Workers = 3
	if e.ifsWorkers() != 3 || e.cleoWorkers() != 3 {
		t.Errorf("Params.Workers = 3 gives %d and %d", e.ifsWorkers(), e.cleoWorkers())
	}
	if got := (&Engine{p: Params{IFS: &fakeIFS{}}}).ifsWorkers(); got != defaultWorkers {
		t.Errorf("a port that does not pace: %d, want %d", got, defaultWorkers)
	}
}

// addWait holds a producer back while maxWaiting items wait, lets it go on
// as workers take items, and lets it go when the run is cancelled.
func TestAddWaitBounds(t *testing.T) {
	q := newKeyedQueue(func(i int) string { return fmt.Sprint(i) })
	q.add(make([]int, maxWaiting)...) // full, nobody working yet
	added := make(chan struct{})
	go func() { q.addWait(-1); close(added) }()
	select {
	case <-added:
		t.Fatal("addWait added to a full queue")
	case <-time.After(50 * time.Millisecond):
	}
	var mu sync.Mutex
	most := 0
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- q.run(context.Background(), 4, func(context.Context, int) error {
			<-release
			q.mu.Lock()
			n := len(q.waiting)
			q.mu.Unlock()
			mu.Lock()
			most = max(most, n)
			mu.Unlock()
			return nil
		})
	}()
	close(release)
	<-added // room was made
	// A producer that keeps adding never finds more than maxWaiting
	// waiting when it returns.
	for i := range 3 * maxWaiting {
		q.addWait(i)
	}
	q.close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if most > maxWaiting {
		t.Errorf("%d items waited, at most %d may", most, maxWaiting)
	}

	// Cancelled with a full queue: the producer is let go.
	q2 := newKeyedQueue(func(i int) string { return "k" })
	q2.add(make([]int, maxWaiting)...)
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	go func() { _ = q2.run(ctx, 1, func(context.Context, int) error { <-block; return nil }) }()
	let := make(chan struct{})
	go func() { q2.addWait(1); close(let) }()
	cancel()
	select {
	case <-let:
	case <-time.After(5 * time.Second):
		t.Fatal("addWait still blocked after the run was cancelled")
	}
	close(block)
}
