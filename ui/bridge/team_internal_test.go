//go:build !windows

package bridge

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/serve"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/testharness"
	"github.com/ml-connector/ifs-cleo/ui/documents"
	"github.com/ml-connector/ifs-cleo/ui/exceptions"
	"github.com/ml-connector/ifs-cleo/ui/mappings"
)

// On a team database a desk runs the flows only while it leads: a client
// desk never starts its scheduler, and its Sync now, pause and replay go to
// the leader as requests (queued while nobody serves them, naming the
// leader; done once a leader executes them). A leader-capable desk stands
// by while a server leads and takes over when the server goes; the client
// hears the new leader's work as team events, without polling the store.
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
	client.askWait = time.Second
	clientEvents := client.cfg.Bus.Subscribe(events.RequestChanged|events.RunStarted, 0)
	defer clientEvents.Unsubscribe()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// The server leads but serves no requests in this test: the client's
	// Sync now stays queued, and says where the engine runs.
	queued, err := client.ask(ctx, "sync_now", "", nil)
	if err != nil || !strings.Contains(queued, "queued for the team's engine (at svc on srv1 (pid 4242, run)") {
		t.Fatalf("client Sync now while the leader is busy: %q %v", queued, err)
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
	// Both dashboards say who leads now, and each desk's part.
	for _, c := range []struct {
		b    *Bridge
		part string
	}{{client, "client"}, {desk, "leads the engine"}} {
		snap, err := (&dashboardSource{c.b}).Snapshot(ctx)
		if err != nil || snap.Team == nil || snap.Team.Leader != "bob on desk2 (pid 2, gui)" || !strings.HasPrefix(snap.Team.ThisDesk, c.part) ||
			strings.Contains(snap.Team.Database, pw) {
			t.Fatalf("%s dashboard team: %+v %v", c.part, snap.Team, err)
		}
	}
	// The client's actions now reach the leading desk: pause is done (the
	// first person on the database is its admin) and the client reads the
	// paused schedules from the store; resume likewise.
	client.askWait = 30 * time.Second
	if err := (&control{client}).SetPaused(ctx, true); err != nil {
		t.Fatalf("client pause: %v", err)
	}
	if p, err := (&control{client}).Paused(ctx); err != nil || !p {
		t.Fatalf("client sees paused=%v %v", p, err)
	}
	if err := (&control{client}).SetPaused(ctx, false); err != nil {
		t.Fatalf("client resume: %v", err)
	}
	if p, _ := (&control{client}).Paused(ctx); p {
		t.Fatal("client still sees paused")
	}
	// A schedule changed on the client changes the leading desk's running
	// scheduler (not only the stored row), and the client lists it.
	if err := (&scheduleSource{client}).SetSpec(ctx, engine.FlowInvoices, "*/7 * * * *"); err != nil {
		t.Fatalf("client schedule: %v", err)
	}
	_, leaderSched, _ := desk.engine()
	var leaderSpec string
	for _, i := range leaderSched.Schedules() {
		if i.Flow == engine.FlowInvoices {
			leaderSpec = i.Spec
		}
	}
	listed, err := (&scheduleSource{client}).List(ctx)
	if err != nil || leaderSpec != "*/7 * * * *" || len(listed) != len(engine.Flows) || listed[1].Flow != engine.FlowInvoices || listed[1].Spec != "*/7 * * * *" {
		t.Fatalf("leader runs invoices on %q; client lists %+v %v", leaderSpec, listed, err)
	}
	// A tolerance saved on the client is written by the leading desk, as
	// the client's person, checked there (an unknown supplier is refused).
	if err := (&mappingSource{client}).SaveTolerance(ctx, mappings.Tolerance{SupplierID: "*", PricePct: "3", QtyPct: "1", Absolute: "0.50"}); err != nil {
		t.Fatalf("client tolerance: %v", err)
	}
	vs, err := client.cfg.Store.MappingHistory(ctx, store.MappingTolerances, "", 1)
	if err != nil || len(vs) == 0 || vs[0].ChangedBy != engine.OSUser() || !strings.Contains(string(vs[0].Value), "3") {
		t.Fatalf("tolerance history: %+v %v", vs, err)
	}
	err = (&mappingSource{client}).SaveTolerance(ctx, mappings.Tolerance{SupplierID: "NOSUCH", PricePct: "3"})
	if err == nil || !strings.Contains(err.Error(), "NOSUCH") || !strings.Contains(err.Error(), "failed in the team's engine") {
		t.Fatalf("client tolerance for an unknown supplier: %v", err)
	}
	// An exception's decisions and the replay-all preview on the client are
	// the leader's work too (the client reaches no IFS): a received invoice
	// in the queue is held until a date by the client's person.
	var held store.Exception
	for deadline := time.Now().Add(30 * time.Second); held.ID == 0; time.Sleep(100 * time.Millisecond) {
		xs, err := client.cfg.Store.Exceptions(ctx, store.ExceptionQuery{DocType: store.Type810, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range xs {
			if x.DocumentID != 0 && x.State == store.ExceptionOpen {
				held = x
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no invoice exception reached the queue from the leader's run")
		}
	}
	xsrc := &exceptionSource{client}
	pv, err := xsrc.PreviewReplayAll(ctx, held.Reason)
	if err != nil || len(pv.Items) == 0 || !slices.ContainsFunc(pv.Items, func(it exceptions.PreviewItem) bool { return it.ID == held.ID }) {
		t.Fatalf("client preview of %s: %+v %v", held.Reason, pv, err)
	}
	// Replay-all on the client: each item's fate read back from the queue
	// (this reason still fails: the leader changed nothing about it).
	ro, err := xsrc.ReplayAll(ctx, held.Reason)
	if err != nil || ro.Replayed != len(pv.Items) || ro.Resolved+len(ro.StillFailing) != len(pv.Items) ||
		!slices.ContainsFunc(ro.StillFailing, func(s string) bool { return strings.HasPrefix(s, held.BusinessKey+": ") }) {
		t.Fatalf("client replay-all of %s: %+v %v (preview %d items)", held.Reason, ro, err, len(pv.Items))
	}
	// The replay closed that exception and the document failed again
	// under a new one: the hold is for that.
	if held, err = client.cfg.Store.OpenExceptionOf(ctx, held.DocumentID); err != nil {
		t.Fatalf("the replayed invoice's new exception: %v", err)
	}
	until := time.Now().AddDate(0, 0, 3)
	msg, err := xsrc.Decide(ctx, held.ID, exceptions.Decision{Kind: exceptions.DecideHold, Until: until, Comment: "buyer to confirm"})
	if err != nil || msg != "On hold until "+until.Format("2006-01-02")+"; it leaves the queue until then." {
		t.Fatalf("client hold: %q %v", msg, err)
	}
	if x, err := client.cfg.Store.Exception(ctx, held.ID); err != nil || x.Decision != store.DecisionHold || x.DecisionBy != engine.OSUser() {
		t.Fatalf("held exception as stored: %+v %v", x, err)
	}
	if _, err := xsrc.UpdateIFS(ctx, held.ID, false); err == nil || !strings.Contains(err.Error(), "failed in the team's engine") {
		t.Fatalf("client update IFS of a %s exception: %v", held.Reason, err)
	}
	// A posted invoice re-coded from the client: the leader reads the
	// posting proposal from IFS and writes the new account there, as the
	// client's person; the amounts stay; the PO tab reads through it too.
	var posted []store.Document
	for deadline := time.Now().Add(60 * time.Second); len(posted) == 0; time.Sleep(200 * time.Millisecond) {
		posted, err = client.cfg.Store.Documents(ctx, store.DocumentQuery{Type: store.Type810, Direction: store.Inbound,
			Statuses: []store.Status{store.StatusPosted}, Limit: 1})
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("no posted invoice from the leader's run: %v", err)
		}
	}
	dsrc := &documentSource{client}
	before, err := dsrc.Postings(ctx, posted[0].ID)
	if err != nil || len(before) == 0 {
		t.Fatalf("client postings of %s: %+v %v", posted[0].BusinessKey, before, err)
	}
	accs, err := client.cfg.Store.CodePartValues(ctx, p.World.Company.ID, "A")
	if err != nil {
		t.Fatal(err)
	}
	to := ""
	for _, a := range accs {
		if a.Value != before[0].Account && a.Valid(time.Now()) {
			to = a.Value
			break
		}
	}
	msg, err = dsrc.Recode(ctx, posted[0].ID, documents.Recode{Row: 1, Account: to, CodeB: before[0].CodeB})
	if err != nil || !strings.Contains(msg, "re-coded from "+before[0].Account+" / ") || !strings.Contains(msg, " to "+to+" / ") {
		t.Fatalf("client re-code to %q: %q %v", to, msg, err)
	}
	after, err := dsrc.Postings(ctx, posted[0].ID)
	if err != nil || len(after) != len(before) || after[0].Account != to || after[0].Amount != before[0].Amount {
		t.Fatalf("row 1 in IFS after the client's re-code: %+v %v (before %+v)", after, err, before)
	}
	if evs, _ := client.cfg.Store.DocumentEvents(ctx, posted[0].ID); !slices.ContainsFunc(evs, func(e store.Event) bool {
		return e.Action == "invoice.recoded" && e.Actor == engine.OSUser()
	}) {
		t.Fatal("the re-coding is not audited as the client's person")
	}
	if _, err := dsrc.Recode(ctx, posted[0].ID, documents.Recode{Row: 1, Account: "zzz"}); err == nil || !strings.Contains(err.Error(), "zzz") {
		t.Fatalf("client re-code to an unknown account: %v", err)
	}
	full, err := client.cfg.Store.Document(ctx, posted[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	inv := parsedInvoice(full.Parsed)
	if inv == nil || inv.PONumber == "" {
		t.Fatalf("posted invoice %s has no PO", posted[0].BusinessKey)
	}
	po, err := xsrc.PurchaseOrder(ctx, inv.PONumber)
	if err != nil || po.OrderNo != inv.PONumber || len(po.Lines) == 0 || po.OrderDate.IsZero() {
		t.Fatalf("client PO %q: %+v %v", inv.PONumber, po, err)
	}
	if _, err := xsrc.PurchaseOrder(ctx, "NOSUCH-PO"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("client read of a PO IFS lacks: %v", err)
	}
	// The client heard, as team events: the queued Sync now executed by the
	// new leader, and a run starting in the leader.
	var syncDone, runStarted bool
	deadline = time.Now().Add(30 * time.Second)
	for !(syncDone && runStarted) && time.Now().Before(deadline) {
		ev, ok := clientEvents.Poll(time.Until(deadline))
		if !ok {
			break
		}
		switch d := ev.Data.(type) {
		case events.RequestData:
			syncDone = syncDone || (ev.Remote && d.Kind == "sync_now" && d.State == "done")
		case events.RunData:
			runStarted = runStarted || ev.Remote
		}
	}
	if !syncDone || !runStarted {
		t.Fatalf("client heard sync done=%v, a leader's run=%v", syncDone, runStarted)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	testharness.StopSharedPostgres()
	// Suite-wide: no PATCH to IFS without the record's ETag in If-Match.
	os.Exit(testharness.CheckIFSPatches(code))
}

// The database card's source against a real PostgreSQL: the test reports
// an empty database over TLS and migrates nothing; a URL with a password in
// it is refused; the switch puts the password in the secret store only
// (no file in the data dir holds it) and the next start chooses the team
// database; back to the desk's file.
func TestDatabaseSourceSwitchesADesk(t *testing.T) {
	ctx := context.Background()
	url, pw := testharness.PostgresDatabase(t)
	p := testharness.SharedPostgres(t)
	url = strings.Replace(url, "sslmode=disable", "sslmode=verify-full&sslrootcert="+p.CAFile, 1)
	dir := t.TempDir()
	sec := secrets.NewMemory()
	src := &databaseSource{&Bridge{cfg: Config{DataDir: dir, Secrets: sec}}}
	verdict, ok, err := src.TestTeam(ctx, url, pw)
	if err != nil || !ok || !strings.Contains(verdict, "an empty database") || !strings.Contains(verdict, "connection encrypted") {
		t.Fatalf("test: %q %v %v", verdict, ok, err)
	}
	if _, _, err := src.TestTeam(ctx, strings.Replace(url, "postgres://", "postgres://x:"+pw+"@", 1), ""); err == nil ||
		!strings.Contains(err.Error(), "carries a password") {
		t.Fatalf("URL with a password: %v", err)
	}
	if _, _, err := src.TestTeam(ctx, url, "wrong"); err == nil {
		t.Fatal("a wrong password passed")
	}
	if err := src.UseTeam(ctx, url, pw, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := sec.Get(ctx, connector.StorePasswordKey); got != pw {
		t.Fatal("password not in the secret store")
	}
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), pw) {
				t.Errorf("%s holds the database password", path)
			}
		}
		return nil
	})
	d, err := src.Database(ctx)
	if err != nil || !d.Team || !d.LeaderCapable || d.ChosenBy != "team-store.url" {
		t.Fatalf("after the switch: %+v %v", d, err)
	}
	if err := src.UseDesk(ctx); err != nil {
		t.Fatal(err)
	}
	if d, _ := src.Database(ctx); d.Team || d.ChosenBy != "data dir" {
		t.Fatalf("back to the desk: %+v", d)
	}
}
