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
