//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// Two clerks' desks on one team database, each a real GUI process on its
// own X server, with a headless `run` on the "server" leading the engine
// (a real PostgreSQL, the sandboxes as a process). The clerk on desk A maps
// the unknown partner from its exception and replays it with the keyboard;
// the leader executes both as requests; desk B, untouched, shows the queue
// one exception shorter (its window title, which the taskbar shows) within
// seconds, from the team's events alone. Both desks are clerks: a clerk's
// desk cannot change the team's connections.
func TestXvfbTwoDesksOnATeamDatabase(t *testing.T) {
	xvfbOnly(t)
	sup, _, ok := cleosim.UnknownPartnerSupplier(world.New(1))
	if !ok {
		t.Fatal("the seed-1 world has no supplier behind the unknown partner")
	}
	bin := buildBinary(t)
	url, pw := testharness.PostgresDatabase(t)
	sb := testharness.StartSandbox(t, testharness.ExecCommand(bin))
	tmp := t.TempDir()
	cli := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=disabled:")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// The server: the store password and the IFS/Cleo secrets in its
	// secrets folder, the settings in the team database; it leads.
	srv := filepath.Join(tmp, "srv")
	cli(pw+"\n", "--data-dir", srv, "store", "password", "--secrets-dir", filepath.Join(srv, "secrets"))
	cli("", "--store", url, "--data-dir", srv, "connect", "--sandbox", sb.Path, "--secrets-dir", filepath.Join(srv, "secrets"), "--no-test")
	lctx, stopLeader := context.WithCancel(context.Background())
	leader := exec.CommandContext(lctx, bin, "--store", url, "--data-dir", srv, "run")
	leader.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=disabled:")
	var lout strings.Builder
	leader.Stdout, leader.Stderr = &lout, &lout
	leader.Cancel = func() error { return leader.Process.Signal(syscall.SIGTERM) }
	leader.WaitDelay = 10 * time.Second
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopLeader()
		_ = leader.Wait()
		if t.Failed() {
			t.Logf("leader output:\n%s", lout.String())
		}
	})
	ctx := context.Background()
	st, err := store.OpenURL(ctx, url, store.WithPassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ukey := store.PartnerKey(world.New(1).UnknownPartner.ISAQualifier, world.New(1).UnknownPartner.ISAID)
	waitFor(t, 120*time.Second, "the unknown partner's exception in the team database", func() bool {
		ex, err := st.Exceptions(ctx, store.ExceptionQuery{Reasons: []string{"PARTNER_NOT_MAPPED"}, Limit: 10})
		return err == nil && len(ex) > 0
	})
	// The person who connected the server is the database's admin; the
	// desks' clerk is made a clerk (another admin first).
	cli("", "--store", url, "--data-dir", srv, "store", "role", "carol", "admin")
	cli("", "--store", url, "--data-dir", srv, "store", "role", osUser(t), "clerk")

	// Two client desks: the database password in each desk's secrets
	// folder, the team database chosen; no IFS or Cleo secrets.
	desk := func(name, display string) (*runningApp, string) {
		dir := filepath.Join(tmp, name)
		cli(pw+"\n", "--data-dir", dir, "store", "password", "--secrets-dir", filepath.Join(dir, "secrets"))
		cli("", "--data-dir", dir, "store", "use", url)
		t.Setenv("DISPLAY", display)
		return startApp(t, bin, "--data-dir", dir, "gui", "--open", "exceptions"), display
	}
	a, dispA := desk("deskA", startXvfb(t, "1280x800x24"))
	b, dispB := desk("deskB", startXvfb(t, "1280x800x24"))
	titleOf := func(app *runningApp, display string) string {
		cmd := exec.Command("xdotool", "getwindowname", app.window)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out))
	}
	openIn := func(title string) int {
		var n int
		if i := strings.Index(title, "— "); i >= 0 {
			fmt.Sscanf(title[i+len("— "):], "%d open", &n)
		}
		return n
	}
	// Desk B shows what the team database holds (the leader may still be
	// raising the last of the seeded exceptions when it opens).
	openNow := func() int {
		n, err := st.CountExceptions(ctx, store.ExceptionQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The leader's first runs are over when the count holds for 6 s.
	before, since := openNow(), time.Now()
	waitFor(t, 90*time.Second, "a settled queue shown on desk B", func() bool {
		if n := openNow(); n != before {
			before, since = n, time.Now()
		}
		return before > 0 && time.Since(since) > 6*time.Second && openIn(titleOf(b, dispB)) == before
	})
	t.Logf("desk B: %q", titleOf(b, dispB))

	// The clerk on desk A fixes the mapping in place and replays.
	t.Setenv("DISPLAY", dispA)
	time.Sleep(2 * time.Second)
	xdo(t, "key", "ctrl+f")
	xdo(t, "type", "--delay", "30", "ORPHAN")
	time.Sleep(2 * time.Second)
	xdo(t, "key", "ctrl+Down")
	time.Sleep(2 * time.Second)
	a.screenshot("team-deskA-1-unmapped.png")
	xdo(t, "key", "ctrl+m")
	xdo(t, "key", "ctrl+a")
	xdo(t, "type", "--delay", "30", sup.SupplierID)
	xdo(t, "key", "Return")
	waitFor(t, 90*time.Second, "the invoice posted by the leader", func() bool {
		ds, err := st.Documents(ctx, store.DocumentQuery{Text: cleosim.UnknownPartnerInvoice, Limit: 5})
		for _, d := range ds {
			if err == nil && d.BusinessKey == cleosim.UnknownPartnerInvoice && d.Status == store.StatusPosted && d.SupplierID == sup.SupplierID {
				return true
			}
		}
		return false
	})
	m, found, err := st.PartnerMapping(ctx, strings.SplitN(ukey, ":", 2)[0], strings.SplitN(ukey, ":", 2)[1])
	if err != nil || !found || m.SupplierID != sup.SupplierID {
		t.Fatalf("mapping in the team database: %+v %v %v", m, found, err)
	}
	// Desk B: nobody touched it; its queue follows.
	if n := openNow(); n != before-1 {
		t.Fatalf("open exceptions in the team database %d → %d, want one fewer", before, n)
	}
	for deadline := time.Now().Add(30 * time.Second); openIn(titleOf(b, dispB)) != before-1; time.Sleep(300 * time.Millisecond) {
		if time.Now().After(deadline) {
			evs, err := st.TeamEventsAfter(ctx, 0, 500)
			for _, e := range evs {
				t.Logf("team event %d %s from %s: %.120s", e.ID, e.Type, e.Origin, e.Data)
			}
			t.Fatalf("desk B still says %q 30 s after the fix (team events: %d, %v)", titleOf(b, dispB), len(evs), err)
		}
	}
	t.Logf("desk B now: %q", titleOf(b, dispB))
	t.Setenv("DISPLAY", dispB)
	b.screenshot("team-deskB-after.png")

	// A clerk's desk cannot change the team's connections.
	cmd := exec.Command(bin, "--data-dir", filepath.Join(tmp, "deskB"), "connect", "--sandbox", sb.Path,
		"--secrets-dir", filepath.Join(tmp, "deskB", "secrets"), "--no-test")
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=disabled:")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "only an admin may change the connections") {
		t.Fatalf("a clerk's connect on desk B: %v\n%s", err, out)
	}
}

// waitFor polls cond until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, limit)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// osUser is the user the processes run as (the actor of their requests).
func osUser(t *testing.T) string {
	out, err := exec.Command("id", "-un").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
