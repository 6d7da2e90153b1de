package engine

import (
	"context"
	"math"
	"sync"
	"time"
)

// Pacer is what an IFS port may tell about its pace: the rate limit it
// keeps to (requests a minute, 0 for none) and the moving average of
// IFS's answer time (0 before the first answer).
type Pacer interface {
	Pace() (perMinute float64, latency time.Duration)
}

// Pool sizes. cleoParallel is how many calls one flow keeps open to Cleo
// at once (downloads, acknowledgements, sends, delivery questions): one
// connection's worth, as Cleo's API serves a client. defaultWorkers is an
// IFS pool's size before IFS has answered once, or when no limit is known.
const (
	cleoParallel   = 8
	defaultWorkers = 8
	minIFSWorkers  = 4
	maxIFSWorkers  = 64
)

// ifsWorkers sizes a pool whose documents wait on IFS. By Little's law the
// requests in flight that use a limit of r a second at an answer time of
// t are r × t; a worker has at most one IFS request in flight and spends
// part of its time on the store, so the pool is twice that plus two,
// within [minIFSWorkers, maxIFSWorkers]. At 1,000 requests a minute that
// is 4 workers at 25 ms, 7 at 150 ms and 36 at 1 s: a constant would
// leave a slow tenant's limit mostly unused.
func (e *Engine) ifsWorkers() int {
	if e.p.Workers > 0 {
		return e.p.Workers
	}
	p, ok := e.p.IFS.(Pacer)
	if !ok {
		return defaultWorkers
	}
	return workersFor(p.Pace())
}

// workersFor is ifsWorkers' arithmetic.
func workersFor(perMinute float64, latency time.Duration) int {
	if perMinute <= 0 || latency <= 0 {
		return defaultWorkers
	}
	n := int(math.Ceil(2*perMinute/60*latency.Seconds())) + 2
	return min(max(n, minIFSWorkers), maxIFSWorkers)
}

// cleoWorkers sizes a pool whose documents wait on Cleo.
func (e *Engine) cleoWorkers() int {
	if e.p.Workers > 0 {
		return e.p.Workers
	}
	return cleoParallel
}

// forEachByKey runs fn for every item with up to workers goroutines. Items
// with the same key run one after another, in their order (a partner's
// files, an order's revisions), different keys side by side. The IFS
// client's one rate limiter and retry budget are shared by all workers.
// The invoices flow uses the queue with claims instead (inboundClaim).
//
// fn returns an error only for what must stop the whole run (fatal); the
// first such error cancels the rest, and forEachByKey returns it after
// every running fn has finished.
func forEachByKey[T any](ctx context.Context, workers int, items []T, key func(T) string, fn func(context.Context, T) error) error {
	if len(items) == 0 {
		return nil
	}
	q := newKeyedQueue(key)
	q.add(items...)
	q.close()
	return q.run(ctx, workers, fn)
}

// claim is what an item holds while it is handled: keys no other item may
// hold at the same time (excl), and keys it may share with other sharing
// items but not with an exclusive holder (shared). The invoices flow
// claims its PO and its invoice number alone and its supplier shared, so a
// supplier's invoices for different orders are judged side by side, while
// a document that must see the whole supplier claims the supplier alone.
type claim struct {
	excl, shared []string
}

// one is the claim of a single exclusive key.
func one(k string) claim { return claim{excl: []string{k}} }

// queueWindow bounds how far past the oldest waiting item a worker looks
// for one it may start: the look is a scan, and a backlog whose head is
// all one key would otherwise be scanned in full for every item.
const queueWindow = 512

// keyedQueue feeds items to workers as they arrive. An item starts only
// when no item holding a key it claims conflicts with it, and no earlier
// waiting item claims one of its keys in a conflicting way: items that
// share a key (one exclusively) are therefore handed out in the order they
// were added, while unrelated items pass a blocked one. Unlike forEachByKey
// it takes items while workers run, so a run can judge the first documents
// of a Cleo listing while later files still download.
type keyedQueue[T any] struct {
	mu      sync.Mutex
	cond    *sync.Cond
	claimOf func(T) claim
	waiting []queued[T]    // oldest first
	held    map[string]int // key → holders: -1 one exclusive, n > 0 sharing
	closed  bool
}

type queued[T any] struct {
	it T
	c  claim
}

// newKeyedQueue queues items that claim one key each, exclusively.
func newKeyedQueue[T any](key func(T) string) *keyedQueue[T] {
	return newClaimQueue(func(it T) claim { return one(key(it)) })
}

// newClaimQueue queues items with the claims claimOf gives them.
func newClaimQueue[T any](claimOf func(T) claim) *keyedQueue[T] {
	q := &keyedQueue[T]{claimOf: claimOf, held: map[string]int{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// add queues items.
func (q *keyedQueue[T]) add(items ...T) {
	in := make([]queued[T], len(items))
	for i, it := range items { // claims first, outside the lock
		in[i] = queued[T]{it: it, c: q.claimOf(it)}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.waiting = append(q.waiting, in...)
	q.cond.Broadcast()
}

// maxWaiting is how many items addWait lets wait before it blocks: twice
// the window, so workers always have a window's worth to choose from.
const maxWaiting = 2 * queueWindow

// addWait queues items once fewer than maxWaiting wait (or the queue was
// closed or cancelled). A producer that outruns the workers (Cleo files
// split faster than IFS judges them) waits here rather than holding the
// whole backlog in memory: the files stay at Cleo until there is room.
// It must not be called from a worker of the same queue.
func (q *keyedQueue[T]) addWait(items ...T) {
	q.mu.Lock()
	for !q.closed && len(q.waiting) >= maxWaiting {
		q.cond.Wait()
	}
	q.mu.Unlock()
	q.add(items...)
}

// close says no more items come; workers end when all are handled.
func (q *keyedQueue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// startable finds the oldest waiting item that may start, within the
// window; -1 when none may.
func (q *keyedQueue[T]) startable() int {
	// Keys claimed by the older waiting items passed over: an item may not
	// overtake one it conflicts with.
	var before map[string]int
	for i := range min(len(q.waiting), queueWindow) {
		c := q.waiting[i].c
		ok := true
		for _, k := range c.excl {
			if q.held[k] != 0 || before[k] != 0 {
				ok = false
				break
			}
		}
		if ok {
			for _, k := range c.shared {
				if q.held[k] < 0 || before[k] < 0 {
					ok = false
					break
				}
			}
		}
		if ok {
			return i
		}
		if before == nil {
			before = map[string]int{}
		}
		for _, k := range c.excl {
			before[k] = -1
		}
		for _, k := range c.shared {
			if before[k] >= 0 {
				before[k]++
			}
		}
	}
	return -1
}

// next blocks for an item that may start; ok is false when the queue is
// closed and empty.
func (q *keyedQueue[T]) next() (it T, c claim, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if i := q.startable(); i >= 0 {
			// Take item i and shift the older ones up by one: i is within
			// the window, and the backlog behind it is not copied.
			w := q.waiting[i]
			copy(q.waiting[1:i+1], q.waiting[:i])
			q.waiting[0] = queued[T]{}
			q.waiting = q.waiting[1:]
			for _, k := range w.c.excl {
				q.held[k] = -1
			}
			for _, k := range w.c.shared {
				q.held[k]++
			}
			return w.it, w.c, true
		}
		if q.closed && len(q.waiting) == 0 {
			return it, c, false
		}
		q.cond.Wait()
	}
}

// done releases what an item claimed after it was handled.
func (q *keyedQueue[T]) done(c claim) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range c.excl {
		delete(q.held, k)
	}
	for _, k := range c.shared {
		if q.held[k]--; q.held[k] <= 0 {
			delete(q.held, k)
		}
	}
	q.cond.Broadcast()
}

// run starts workers that handle the queue's items with fn until it is
// closed and empty, and waits for them. A fatal error from fn cancels ctx
// for the others (items still queued are dropped) and is returned.
func (q *keyedQueue[T]) run(ctx context.Context, workers int, fn func(context.Context, T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	stop := context.AfterFunc(ctx, func() {
		// Wake waiting workers so they see the cancellation.
		q.mu.Lock()
		q.closed, q.waiting = true, nil
		q.mu.Unlock()
		q.cond.Broadcast()
	})
	defer stop()
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				it, c, ok := q.next()
				if !ok {
					return
				}
				err := error(nil)
				if ctx.Err() == nil {
					err = fn(ctx, it)
				}
				q.done(c)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}
