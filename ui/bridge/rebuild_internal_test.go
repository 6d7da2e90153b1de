package bridge

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/serve"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// Replacing the engine waits for the running step without holding the
// bridge's lock: a screen's call made meanwhile returns before the
// replacement does.
func TestScreensAnswerWhileTheEngineIsReplaced(t *testing.T) {
	ctx := context.Background()
	p, err := serve.StartPair(1, ifssim.Config{}, cleosim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sec := secrets.NewMemory()
	if err := p.Configure(ctx, st, sec); err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	b := New(Config{Store: st, Secrets: sec, Bus: bus, Loc: time.UTC, DataDir: t.TempDir()})
	defer b.Close()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Every IFS call now takes 1.5 s: a run lasts many seconds.
	p.IFS.SetFaults(ifssim.Faults{LatencyMS: 1500})
	sub := bus.Subscribe(events.RunStarted, 0)
	defer sub.Unsubscribe()
	_, sched, err := b.engine()
	if err != nil {
		t.Fatal(err)
	}
	sched.SyncNow()
	if _, ok := sub.Poll(30 * time.Second); !ok {
		t.Fatal("no run started")
	}
	rebuilt := make(chan error, 1)
	go func() { rebuilt <- b.rebuild(ctx) }()
	time.Sleep(100 * time.Millisecond) // let the rebuild reach its wait
	if _, err := (&dashboardSource{b}).Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-rebuilt:
		t.Fatalf("the rebuild (%v) finished before the screen's call returned: the call was not shown to go past the wait", err)
	default:
	}
	p.IFS.SetFaults(ifssim.Faults{})
	if err := <-rebuilt; err != nil {
		t.Fatal(err)
	}
	if !b.Configured() {
		t.Fatal("no engine after the rebuild")
	}
}
