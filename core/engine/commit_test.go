package engine

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// Events are published after the commit: when the commit fails, the
// screens hear nothing of an exception raised or resolved.
func TestNoEventForAFailedCommit(t *testing.T) {
	h := newHarness(t)
	var fail atomic.Bool
	st, err := store.Open(h.ctx, filepath.Join(t.TempDir(), "c.db"), store.WithClock(func() time.Time { return h.clock.t.Add(-time.Hour) }), store.WithBeforeCommit(func() error {
		if fail.Load() {
			return errors.New("disk full")
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := h.eng.p
	p.Store = st
	bus := events.NewBus()
	p.Bus = bus
	e, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	drain := func(sub *events.Subscription) map[events.Type]int {
		seen := map[events.Type]int{}
		for {
			ev, ok := sub.Poll(20 * time.Millisecond)
			if !ok {
				return seen
			}
			seen[ev.Type]++
		}
	}
	sub := bus.Subscribe(events.AllEvents, 0)
	defer sub.Unsubscribe()

	// A stale poller raised (committed), then its resolution fails to commit.
	if err := st.Beat(ctx, FlowInvoices, "503 from Cleo"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CheckHeartbeats(ctx, map[string]time.Duration{FlowInvoices: time.Nanosecond}); err != nil {
		t.Fatal(err)
	}
	if seen := drain(sub); seen[events.ExceptionRaised] != 1 {
		t.Fatalf("raise: %v", seen)
	}
	fail.Store(true)
	e.heartbeat(ctx, FlowInvoices, nil)
	if seen := drain(sub); seen[events.ExceptionResolved] != 0 {
		t.Fatalf("resolution announced although its commit failed: %v", seen)
	}
	fail.Store(false)
	if open, _ := st.Exceptions(ctx, store.ExceptionQuery{Reasons: []string{string(ReasonHeartbeatStale)}}); len(open) != 1 {
		t.Fatalf("stale exception after the failed commit: %d open", len(open))
	}
	e.heartbeat(ctx, FlowInvoices, nil)
	if seen := drain(sub); seen[events.ExceptionResolved] != 1 {
		t.Fatalf("resolution after a good commit: %v", seen)
	}

	// An unreadable file whose exception cannot be committed: no event, an error.
	f, _, err := st.InsertInboundFile(ctx, store.InboundFile{RemoteID: "r1", Name: "junk.edi", Raw: []byte("not x12 at all")})
	if err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	if err := e.splitFile(ctx, f); err == nil {
		t.Fatal("splitFile reported success although nothing was committed")
	}
	if seen := drain(sub); seen[events.ExceptionRaised] != 0 {
		t.Fatalf("exception announced although its commit failed: %v", seen)
	}
}

// Every audit write is checked: a reference refresh whose audit event
// cannot be written fails, and so does the replay of an unreadable file.
func TestAuditWriteFailuresFailTheirOperation(t *testing.T) {
	h := newHarness(t)
	var commits, failAt atomic.Int64
	st, err := store.Open(h.ctx, filepath.Join(t.TempDir(), "a.db"), store.WithBeforeCommit(func() error {
		if n := commits.Add(1); n == failAt.Load() {
			return errors.New("disk full")
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := h.eng.p
	p.Store = st
	e, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The refresh writes suppliers, accounts, cost centres and partners,
	// each followed by clearing its read-failure exception (two commits a
	// resource), then its audit event: the ninth commit.
	commits.Store(0)
	failAt.Store(9)
	if err := e.runReference(ctx, &run{}); err == nil || !strings.Contains(err.Error(), "audit reference refresh") {
		t.Fatalf("reference refresh with a failed audit write: %v", err)
	}
	failAt.Store(0)
	if err := e.runReference(ctx, &run{}); err != nil {
		t.Fatal(err)
	}
	// An unreadable file's exception, replayed: the replay's audit event
	// is the second commit (after closing the exception).
	f, _, err := st.InsertInboundFile(ctx, store.InboundFile{RemoteID: "r1", Name: "junk.edi", Raw: []byte("not x12")})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.splitFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	excs, _ := st.Exceptions(ctx, store.ExceptionQuery{Reasons: []string{string(ReasonFileUnreadable)}})
	if len(excs) != 1 {
		t.Fatalf("file exceptions %d", len(excs))
	}
	commits.Store(0)
	failAt.Store(2)
	if _, err := e.Replay(ctx, excs[0].ID); err == nil || !strings.Contains(err.Error(), "audit the replay") {
		t.Fatalf("replay with a failed audit write: %v", err)
	}
}

// panicIFS panics while reading suppliers, as a bug would.
type panicIFS struct{ *fakeIFS }

func (panicIFS) Suppliers(context.Context) ([]domain.Supplier, error) {
	panic("nil map write in a mapper")
}

// A panic in a flow is a failed run and an exception, not a dead app; the
// next good run clears it.
func TestPanicInAFlowIsRecordedAndTheScheduleGoesOn(t *testing.T) {
	h := newHarness(t)
	good := h.eng.p.IFS
	h.eng.p.IFS = panicIFS{h.ifs}
	res, err := h.eng.RunFlow(h.ctx, FlowReference)
	if !errors.Is(err, ErrPanic) || res.Err == nil {
		t.Fatalf("run after a panic: %+v %v", res, err)
	}
	runs, _ := h.st.Runs(h.ctx, FlowReference, 1)
	if len(runs) != 1 || runs[0].Error == "" || !strings.Contains(runs[0].Error, "internal error") {
		t.Fatalf("run record %+v", runs)
	}
	excs, _ := h.st.Exceptions(h.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonInternal)}})
	if len(excs) != 1 || excs[0].Subject != "flow:reference" || !strings.Contains(excs[0].Message, "nil map write") {
		t.Fatalf("exception %+v", excs)
	}
	h.eng.p.IFS = good
	if _, err := h.eng.RunFlow(h.ctx, FlowReference); err != nil {
		t.Fatal(err)
	}
	if excs, _ := h.st.Exceptions(h.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonInternal)}}); len(excs) != 0 {
		t.Fatalf("still open after a good run: %+v", excs)
	}
}
