//go:build !windows

package engine

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// A clerk on a client desk fixes a partner mapping and asks for a replay;
// the request goes through the team database to the leader, which replays
// as that clerk: the invoice is posted in IFS once, the audit names the
// clerk. A clerk asking to pause the schedules is refused by the engine
// (audited); a request a dead leader left running is executed by the next
// leader, once.
func TestTeamRequestsExecutedByTheLeader(t *testing.T) {
	old := RequestPoll
	RequestPoll = 50 * time.Millisecond
	defer func() { RequestPoll = old }()
	ctx := context.Background()
	url, pw := testharness.PostgresDatabase(t)
	leaderStore, err := store.OpenURL(ctx, url, store.WithPassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer leaderStore.Close()
	s := newSandboxesOn(t, ifssim.Config{}, cleosim.Config{}, leaderStore)
	s.sync()
	// The first person on the database is its admin.
	if r, err := leaderStore.RoleOf(ctx, "ann"); err != nil || r != store.RoleAdmin {
		t.Fatalf("first person: %s %v", r, err)
	}
	// The desk: its own connection pool, no engine.
	desk, err := store.OpenURL(ctx, url, store.WithPassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	excs, err := desk.Exceptions(ctx, store.ExceptionQuery{Reasons: []string{string(ReasonPartnerNotMapped)}, Limit: 10})
	if err != nil || len(excs) != 1 {
		t.Fatalf("PARTNER_NOT_MAPPED: %d %v", len(excs), err)
	}
	sup, _, _ := cleosim.UnknownPartnerSupplier(s.w)
	if _, err := desk.SetPartnerMapping(ctx, "bob", store.PartnerMapping{ISAQualifier: s.w.UnknownPartner.ISAQualifier,
		ISAID: s.w.UnknownPartner.ISAID, SupplierID: sup.SupplierID}); err != nil {
		t.Fatal(err)
	}
	// A dead leader claimed a request and never finished it.
	stale, err := desk.EnqueueRequest(ctx, store.Request{Kind: "replay", Target: strconv.FormatInt(excs[0].ID, 10), Actor: "bob", Host: "desk1"})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok, err := leaderStore.ClaimRequest(ctx); err != nil || !ok || r.ID != stale.ID {
		t.Fatalf("claim %+v %v %v", r, ok, err)
	}
	before := len(s.isim.Invoices())
	// The new leader serves.
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	sched := NewScheduler(s.eng)
	go s.eng.ServeRequests(sctx, sched, "srv1 (test)")
	waitFinal := func(id int64) store.Request {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, err := desk.Request(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if r.State.Final() {
				return r
			}
			if time.Now().After(deadline) {
				t.Fatalf("request %d still %s", id, r.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	r := waitFinal(stale.ID)
	if r.State != store.RequestDone || !strings.Contains(r.Result, "posted") {
		t.Fatalf("replay request: %+v", r)
	}
	// The same replay asked again (a double click, a retry): one effect.
	again, _ := desk.EnqueueRequest(ctx, store.Request{Kind: "replay", Target: strconv.FormatInt(excs[0].ID, 10), Actor: "bob", Host: "desk1"})
	if r := waitFinal(again.ID); r.State != store.RequestDone || !strings.Contains(r.Result, "already resolved") {
		t.Fatalf("second replay: %+v", r)
	}
	if n := len(s.isim.Invoices()); n != before+1 {
		t.Fatalf("IFS invoices %d → %d, want one more", before, n)
	}
	d := s.invoiceDocs()[cleosim.UnknownPartnerInvoice]
	if d.Status != store.StatusPosted || d.SupplierID != sup.SupplierID {
		t.Fatalf("document %s %s", d.Status, d.SupplierID)
	}
	evs, _ := desk.Events(ctx, store.EventQuery{Actor: "bob"})
	var replayedByBob bool
	for _, e := range evs {
		if e.Action == "replay" {
			replayedByBob = true
		}
	}
	if !replayedByBob {
		var acts []string
		for _, e := range evs {
			acts = append(acts, e.Action)
		}
		t.Fatalf("no exception or document event by bob: %v", acts)
	}
	// A clerk may not pause the schedules: refused by the engine, audited.
	p, _ := desk.EnqueueRequest(ctx, store.Request{Kind: "pause", Actor: "bob", Host: "desk1"})
	if r := waitFinal(p.ID); r.State != store.RequestRefused || !strings.Contains(r.Result, "bob is a clerk") {
		t.Fatalf("clerk pause: %+v", r)
	}
	if scheds, _ := desk.Schedules(ctx); len(scheds) != 0 && scheds[0].Paused {
		t.Fatal("schedules paused by a clerk")
	}
	// The admin may.
	p, _ = desk.EnqueueRequest(ctx, store.Request{Kind: "pause", Actor: "ann", Host: "desk2"})
	if r := waitFinal(p.ID); r.State != store.RequestDone {
		t.Fatalf("admin pause: %+v", r)
	}
	refused, _ := desk.Events(ctx, store.EventQuery{Subject: "request:" + strconv.FormatInt(p.ID-1, 10)})
	if len(refused) < 2 || refused[0].Action != "request.refused" {
		t.Fatalf("refusal not audited: %+v", refused)
	}
	// A clerk cannot grant roles either.
	if err := desk.SetRole(ctx, "bob", "bob", store.RoleAdmin); err == nil {
		t.Fatal("a clerk made himself admin")
	}
}
