//go:build !windows

package engine_test

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

func init() { afterTests = append(afterTests, testharness.StopSharedPostgres) }

// TestFailoverChaos runs two `run` processes (two servers of a team) on one
// real PostgreSQL database and the sandboxes, SIGKILLs whichever leads at
// random moments while invoices and PO changes are fed in, restarts it (as
// systemd would) to stand by, and at the end checks the chaos invariants
// and that every take-over happened within 30 s (the worst is reported).
// MLC_FAILOVER_KILLS (default 5) and MLC_CHAOS_SEED shape it.
func TestFailoverChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and processes")
	}
	url, pw := testharness.PostgresDatabase(t)
	kills := int(envInt("MLC_FAILOVER_KILLS", 5))
	seed := envInt("MLC_CHAOS_SEED", time.Now().UnixNano())
	t.Logf("fail-over chaos: %d leader kills, seed %d (MLC_CHAOS_SEED=%d to repeat)", kills, seed, seed)
	rnd := rand.New(rand.NewSource(seed))

	w := world.New(1)
	dir := t.TempDir()
	bin, childEnv := os.Getenv("MLC_CHAOS_BIN"), []string{}
	if bin == "" {
		bin, childEnv = os.Args[0], []string{"MLC_CHAOS_CHILD=1"}
	}
	run := func(ctx context.Context, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(append(os.Environ(), childEnv...), "DBUS_SESSION_BUS_ADDRESS=disabled:", "ML_CONNECTOR_STORE="+url)
		return cmd
	}
	sb := startSandboxProcess(t, run, dir)
	dds := []string{filepath.Join(dir, "srv1"), filepath.Join(dir, "srv2")}
	for i, dd := range dds {
		sec := filepath.Join(dd, "secrets")
		cmd := run(context.Background(), "store", "password", "--data-dir", dd, "--secrets-dir", sec)
		cmd.Stdin = strings.NewReader(pw + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("store password: %v\n%s", err, out)
		}
		// Each server gets the IFS and Cleo secrets; the settings land once,
		// in the team database.
		if out, err := run(context.Background(), "connect", "--data-dir", dd, "--sandbox", sb.infoPath(), "--secrets-dir", sec, "--no-test").CombinedOutput(); err != nil {
			t.Fatalf("connect %d: %v\n%s", i, err, out)
		}
	}
	ctx := context.Background()
	st, err := store.OpenURL(ctx, url, store.WithPassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	type proc struct {
		cmd  *exec.Cmd
		out  *bytes.Buffer
		done chan struct{}
	}
	procs := make([]*proc, 2)
	start := func(i int) {
		cmd := run(context.Background(), "run", "--data-dir", dds[i])
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p := &proc{cmd: cmd, out: &out, done: make(chan struct{})}
		go func() { _ = cmd.Wait(); close(p.done) }()
		procs[i] = p
	}
	defer func() {
		for _, p := range procs {
			if p != nil {
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
	}()
	// leaderIndex waits until one of the two live processes is recorded as
	// leader and returns it (-1 after limit).
	leaderIndex := func(limit time.Duration, not int) int {
		deadline := time.Now().Add(limit)
		for time.Now().Before(deadline) {
			ns, _ := st.Nodes(ctx)
			for _, n := range ns {
				if n.Role != "leader" {
					continue
				}
				for i, p := range procs {
					if i != not && p.cmd.Process.Pid == n.PID {
						return i
					}
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		return -1
	}

	feeder := newFeeder(w, sb, rnd)
	injected := 0
	feed := func(n int) {
		for range n {
			injected += feeder.file()
		}
	}
	feed(30)
	start(0)
	start(1)
	if leaderIndex(30*time.Second, -1) < 0 {
		t.Fatalf("no leader\n%s\n%s", procs[0].out, procs[1].out)
	}
	var orders []string
	for _, po := range w.PurchaseOrders {
		orders = append(orders, po.OrderNo)
	}
	var worst time.Duration
	for k := range kills {
		feed(8)
		for range 10 {
			no := orders[rnd.Intn(len(orders))]
			if po, ok := sb.po(no); ok && (po.State == "Released" || po.State == "Confirmed") {
				_ = sb.touch(no)
			}
		}
		sb.respond()
		time.Sleep(time.Duration(300+rnd.Intn(2500)) * time.Millisecond)
		li := leaderIndex(30*time.Second, -1)
		if li < 0 {
			t.Fatalf("kill %d: no leader", k)
		}
		killed := time.Now()
		_ = procs[li].cmd.Process.Signal(syscall.SIGKILL)
		<-procs[li].done
		next := leaderIndex(40*time.Second, li)
		took := time.Since(killed)
		if next < 0 {
			t.Fatalf("kill %d: the standby never took over\n%s", k, procs[1-li].out)
		}
		if took > worst {
			worst = took
		}
		start(li) // back as a standby, as systemd's Restart= would
	}
	// Stop both, then let one finish the work and the suppliers answer.
	for _, p := range procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		select {
		case <-p.done:
		case <-time.After(2 * time.Minute):
			t.Fatal("run did not stop on SIGTERM")
		}
	}
	procs = []*proc{}
	for i := range 5 {
		out, err := run(ctx, "sync", "--once", "--data-dir", dds[0]).CombinedOutput()
		if err != nil && i == 4 {
			t.Fatalf("final sync: %v\n%s", err, out)
		}
		if i == 2 {
			sb.respond()
		}
	}
	checkChaosInvariants(t, st, sb, w, feeder, injected)
	evs, _ := st.Events(ctx, store.EventQuery{Subject: "engine:leader"})
	t.Logf("fail-over chaos: %d leader kills, %d leadership changes audited, worst take-over %v (bound 30 s)", kills, len(evs), worst.Round(time.Millisecond))
	if worst > 30*time.Second {
		t.Errorf("worst take-over %v exceeds 30 s", worst)
	}
	if len(evs) < kills+1 {
		t.Errorf("%d leadership changes audited, want at least %d", len(evs), kills+1)
	}
}
