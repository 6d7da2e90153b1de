//go:build !windows

package bridge

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/serve"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// On a team database a desk runs the flows only while it leads: a client
// desk refuses Sync now in words naming the leader and never starts its
// scheduler; a leader-capable desk stands by while a server leads and takes
// over when the server's connection dies.
func TestTeamDeskRunsFlowsOnlyAsLeader(t *testing.T) {
	ctx := context.Background()
	p, err := serve.StartPair(1, ifssim.Config{}, cleosim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	url, pw := testharness.PostgresDatabase(t)
	open := func() *store.Store {
		st, err := store.OpenURL(ctx, url, store.WithPassword(pw), store.WithLeaderHeartbeat(200*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	server := open()
	sec := secrets.NewMemory()
	if err := p.Configure(ctx, server, sec); err != nil {
		t.Fatal(err)
	}
	// The server leads.
	lead, err := server.TryLead(ctx, store.NodeInfo{Host: "srv1", User: "svc", PID: 4242, Command: "run"})
	if err != nil {
		t.Fatal(err)
	}

	// A client desk: the flows never run here.
	client := New(Config{Store: open(), Secrets: sec, Bus: events.NewBus(), Loc: time.UTC, DataDir: t.TempDir(),
		Node: store.NodeInfo{Host: "desk1", User: "ann", PID: 1, Command: "gui"}})
	defer client.Close()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	err = (&control{client}).SyncNow(ctx)
	if !errors.Is(err, ErrClient) || !strings.Contains(err.Error(), "svc on srv1 (pid 4242, run)") {
		t.Fatalf("client Sync now: %v", err)
	}
	if _, sched, _ := client.engine(); sched == nil || sched.Schedules()[0].Next != (time.Time{}) {
		t.Fatal("a client desk's scheduler is running")
	}

	// A leader-capable desk stands by while the server leads …
	desk := New(Config{Store: open(), Secrets: sec, Bus: events.NewBus(), Loc: time.UTC, DataDir: t.TempDir(),
		LeaderCapable: true, Node: store.NodeInfo{Host: "desk2", User: "bob", PID: 2, Command: "gui"}})
	defer desk.Close()
	if err := desk.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for desk.mayRun() == nil || !strings.Contains(desk.mayRun().Error(), "svc on srv1") {
		if time.Now().After(deadline) {
			t.Fatalf("standby desk: %v", desk.mayRun())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// … and leads, with its scheduler running, once the server is gone.
	lead.Release()
	deadline = time.Now().Add(10 * time.Second)
	for desk.mayRun() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("desk never took over: %v", desk.mayRun())
		}
		time.Sleep(50 * time.Millisecond)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		_, sched, err := desk.engine()
		if err == nil && sched.Schedules()[0].Next != (time.Time{}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("leading desk's scheduler not running: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := (&control{desk}).SyncNow(ctx); err != nil {
		t.Fatalf("leading desk Sync now: %v", err)
	}
	// The client still refuses, now naming the desk that leads.
	if err := (&control{client}).SyncNow(ctx); !errors.Is(err, ErrClient) || !strings.Contains(err.Error(), "bob on desk2") {
		t.Fatalf("client after take-over: %v", err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	testharness.StopSharedPostgres()
	os.Exit(code)
}
