package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestLeadership: one leader at a time; a standby is told who leads; when
// the leader releases (or its connection dies) a standby takes over, and
// every take-over is in the audit chain with the leader it replaced.
func TestLeadership(t *testing.T) {
	const beat = 200 * time.Millisecond
	ctx := context.Background()
	a := openBackend(t, WithLeaderHeartbeat(beat))
	t.Cleanup(func() { a.Close() })
	first, err := a.TryLead(ctx, NodeInfo{Host: "srv1", User: "svc", PID: 11, Command: "run"})
	if err != nil {
		t.Fatal(err)
	}
	if testBackend != "postgres" {
		// One desk: the data dir's engine lock decides; the store always grants.
		first.Release()
		return
	}
	// A second process: a second pool on the same database.
	b := openSame(t, a)
	_, err = b.TryLead(ctx, NodeInfo{Host: "srv2", User: "svc", PID: 22, Command: "run"})
	if !errors.Is(err, ErrNotLeader) || !strings.Contains(err.Error(), "svc on srv1 (pid 11, run)") {
		t.Fatalf("second TryLead: %v", err)
	}
	ns, err := b.Nodes(ctx)
	if err != nil || len(ns) != 2 || ns[0].Role != "leader" || ns[0].Host != "srv1" || ns[1].Role != "standby" {
		t.Fatalf("nodes %+v %v", ns, err)
	}
	// The standby waits; the leader's connection dies (as when its process is
	// killed): the standby leads within a few heartbeats.
	got := make(chan *Leadership, 1)
	var told string
	go func() {
		l, err := b.Lead(ctx, NodeInfo{Host: "srv2", User: "svc", PID: 22, Command: "run"}, func(s string) { told = s })
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	time.Sleep(3 * beat)
	killed := time.Now()
	// The server drops the leader's connection (a killed process, a cut
	// network, a DBA): the session lock goes with it.
	if _, err := b.w.ExecContext(ctx, `SELECT pg_terminate_backend(?)`, int64(first.conn.Conn().PgConn().PID())); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first.Lost():
	case <-time.After(10 * beat):
		t.Fatal("the old leader never noticed it lost its connection")
	}
	var second *Leadership
	select {
	case second = <-got:
	case <-time.After(20 * beat):
		t.Fatal("no take-over")
	}
	if took := time.Since(killed); took > 5*beat {
		t.Fatalf("take-over took %v", took)
	}
	if !strings.Contains(told, "srv1") {
		t.Fatalf("standby was told %q", told)
	}
	ns, _ = a.Nodes(ctx)
	if len(ns) < 1 || ns[0].Host != "srv2" || ns[0].Role != "leader" {
		t.Fatalf("after take-over %+v", ns)
	}
	evs, _ := a.Events(ctx, EventQuery{Subject: "engine:leader"})
	if len(evs) != 2 || !strings.Contains(string(evs[0].DetailJSON()), `"replaces":"srv1/11/`) {
		t.Fatalf("leader events %d %s", len(evs), evs[0].DetailJSON())
	}
	second.Release()
	ns, _ = a.Nodes(ctx)
	for _, n := range ns {
		if n.Host == "srv2" {
			t.Fatalf("released node still listed %+v", n)
		}
	}
	first.Release()
}

// openSame opens a second Store (its own pool: another "process") on the
// database a is open on.
func openSame(t *testing.T, a *Store) *Store {
	t.Helper()
	b, err := OpenURL(context.Background(), a.pool.Config().ConnString(), WithPassword(a.pool.Config().ConnConfig.Password), WithClock(a.now), WithLeaderHeartbeat(a.beatEvery))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
