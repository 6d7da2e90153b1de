package engine

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// listWindow is how many waiting files one pass over a streamed Cleo
// listing keeps: the oldest ones. A backlog larger than that is fetched in
// several passes, each listing again, so what a run holds of the listing
// stays about a megabyte whether 5,000 or 50,000 files wait. Each pass
// costs one more listing (a page per 100 files at Cleo), against a
// download and an ack per file.
const listWindow = 4096

// oldestFiles keeps the n oldest files (domain.RemoteFile.Before) of a
// listing it is shown one file at a time, each at most once.
type oldestFiles struct {
	n    int
	h    newestOnTop
	held map[string]bool
}

func newOldestFiles(n int) *oldestFiles {
	return &oldestFiles{n: n, held: map[string]bool{}}
}

// add offers f and reports whether it was new: false for a file already
// held (a listing that shifted between pages shows a file twice).
func (o *oldestFiles) add(f domain.RemoteFile) bool {
	if o.held[f.ID] {
		return false
	}
	switch {
	case len(o.h) < o.n:
		heap.Push(&o.h, f)
	case f.Before(o.h[0]):
		delete(o.held, o.h[0].ID)
		o.h[0] = f
		heap.Fix(&o.h, 0)
	default:
		return true // newer than every file kept: a later pass takes it
	}
	o.held[f.ID] = true
	return true
}

// sorted returns the files kept, oldest first.
func (o *oldestFiles) sorted() []domain.RemoteFile {
	out := slices.Clone(o.h)
	slices.SortFunc(out, func(a, b domain.RemoteFile) int {
		switch {
		case a.Before(b):
			return -1
		case b.Before(a):
			return 1
		}
		return 0
	})
	return out
}

// newestOnTop is a heap whose root is the newest file kept, the one to
// drop when an older file comes.
type newestOnTop []domain.RemoteFile

func (h newestOnTop) Len() int           { return len(h) }
func (h newestOnTop) Less(i, j int) bool { return h[j].Before(h[i]) }
func (h newestOnTop) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *newestOnTop) Push(x any)        { *h = append(*h, x.(domain.RemoteFile)) }
func (h *newestOnTop) Pop() any {
	old := *h
	f := old[len(old)-1]
	*h = old[:len(old)-1]
	return f
}

// fetchWindows fetches what Cleo lists in passes of at most listWindow
// files, oldest first. Every file of a pass is acked (and so not listed
// again) or, when its download or ack failed, remembered and skipped by
// the next passes; so each pass makes progress. The number of passes is
// bounded by the backlog seen at the first one, so files that keep
// arriving wait for the next run instead of making this one endless.
//
// The run's progress counts each waiting file as one document until it is
// split (fetchBatch), using the network's own count of waiting files: the
// stream may show a file twice, the count does not.
func (e *Engine) fetchWindows(ctx context.Context, r *run, s InboundStream) error {
	left := map[string]bool{} // files this run had to leave for the next
	counted, passes := 0, 1   // files counted in the progress, not yet fetched
	defer func() { r.addTotal(-counted) }()
	for pass := 0; pass < passes; pass++ {
		w := newOldestFiles(e.listWindow)
		total, err := s.InboundEach(ctx, func(f domain.RemoteFile) error {
			if !left[f.ID] {
				w.add(f)
			}
			return nil
		})
		if err != nil {
			if pass == 0 && errors.Is(err, errors.ErrUnsupported) {
				return err
			}
			return fmt.Errorf("list Cleo inbound: %w", err)
		}
		waiting := max(total-len(left), len(w.h)) // the files left are still listed
		if pass == 0 {
			passes = waiting/e.listWindow + 2
		}
		if waiting > counted { // the first pass, or files that arrived since
			r.addTotal(waiting - counted)
			counted = waiting
		}
		list := w.sorted()
		if len(list) == 0 {
			return nil
		}
		for lo := 0; lo < len(list); lo += fetchBatchSize {
			batch := list[lo:min(lo+fetchBatchSize, len(list))]
			counted -= len(batch) // fetchBatch takes them out of the progress total
			failed, err := e.fetchBatch(ctx, r, batch)
			if err != nil {
				return err
			}
			for _, id := range failed {
				left[id] = true
			}
		}
		if waiting <= len(list) {
			return nil // the whole listing fitted in this pass
		}
	}
	return nil
}
