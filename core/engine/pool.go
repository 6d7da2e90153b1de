package engine

import (
	"context"
	"sync"
)

// forEachByKey runs fn for every item with up to workers goroutines. Items
// with the same key run one after another, in their order: the engine
// keys by trading partner, so one supplier's invoices (a correction after
// its original, a credit memo after its invoice, two invoices billing one
// PO line, a repeated invoice number) are never judged at the same time,
// while different suppliers' invoices wait on IFS side by side. The IFS
// client's one rate limiter and retry budget are shared by all workers.
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

// keyedQueue feeds items to workers as they arrive, one key at a time:
// an item waits while another item of its key is being handled, and
// items of one key are handed out in the order they were added. Unlike
// forEachByKey it takes items while workers run, so a run can judge the
// first documents of a Cleo listing while later files still download.
type keyedQueue[T any] struct {
	mu     sync.Mutex
	cond   *sync.Cond
	key    func(T) string
	queues map[string][]T
	busy   map[string]bool
	ready  []string // keys with items and no item in hand, oldest first
	queued int
	closed bool
}

func newKeyedQueue[T any](key func(T) string) *keyedQueue[T] {
	q := &keyedQueue[T]{key: key, queues: map[string][]T{}, busy: map[string]bool{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// add queues items.
func (q *keyedQueue[T]) add(items ...T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, it := range items {
		k := q.key(it)
		if len(q.queues[k]) == 0 && !q.busy[k] {
			q.ready = append(q.ready, k)
		}
		q.queues[k] = append(q.queues[k], it)
		q.queued++
	}
	q.cond.Broadcast()
}

// close says no more items come; workers end when all are handled.
func (q *keyedQueue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// next blocks for an item whose key is free; ok is false when the queue is
// closed and empty.
func (q *keyedQueue[T]) next() (it T, k string, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 {
		if q.closed && q.queued == 0 {
			return it, "", false
		}
		q.cond.Wait()
	}
	k, q.ready = q.ready[0], q.ready[1:]
	it = q.queues[k][0]
	q.queues[k] = q.queues[k][1:]
	q.queued--
	q.busy[k] = true
	return it, k, true
}

// done releases key after its item was handled.
func (q *keyedQueue[T]) done(k string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.busy[k] = false
	if len(q.queues[k]) > 0 {
		q.ready = append(q.ready, k)
	} else {
		delete(q.queues, k)
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
		q.closed, q.queued = true, 0
		q.ready, q.queues = nil, map[string][]T{}
		q.mu.Unlock()
		q.cond.Broadcast()
	})
	defer stop()
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				it, k, ok := q.next()
				if !ok {
					return
				}
				err := error(nil)
				if ctx.Err() == nil {
					err = fn(ctx, it)
				}
				q.done(k)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}
