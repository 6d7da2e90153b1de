//go:build !windows

package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/events"
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
// leader, once. The desk hears of every step through the team's events
// (the leader relays, the desk follows) with the polls set to an hour, so
// only PostgreSQL's NOTIFY can have woken the leader and the desk.
func TestTeamRequestsExecutedByTheLeader(t *testing.T) {
	old := RequestPoll
	RequestPoll = time.Hour // read once by ServeRequests at its start
	defer func() { RequestPoll = old }()
	ctx := context.Background()
	leaderStore, url, pw := teamStore(t)
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
	// The desk follows the team's events on its own bus; the leader relays.
	fctx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	deskBus := events.NewBus()
	deskSub := deskBus.Subscribe(events.RequestChanged|events.DocumentChanged|events.ExceptionResolved, 0)
	ready := make(chan struct{})
	go FollowTeam(fctx, deskBus, desk, time.Hour, nil, ready)
	RelayToTeam(fctx, s.bus, leaderStore, "srv1 (test)", nil)
	<-ready
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
	// What the desk heard, in order, without polling: the replay running and
	// done, the invoice's exception resolved and its document posted; then the
	// second replay running and done ("already resolved"). Every event is
	// marked as coming from the team.
	var heard []string
	var postedDoc events.DocumentData
	deadline := time.Now().Add(30 * time.Second)
	for len(heard) < 6 && time.Now().Before(deadline) {
		ev, ok := deskSub.Poll(time.Until(deadline))
		if !ok {
			break
		}
		if !ev.Remote {
			t.Fatalf("desk event not marked remote: %+v", ev)
		}
		switch d := ev.Data.(type) {
		case events.RequestData:
			heard = append(heard, fmt.Sprintf("request %d %s", d.RequestID, d.State))
		case events.DocumentData:
			if d.Status == string(store.StatusPosted) {
				postedDoc = d
				heard = append(heard, "document posted")
			}
		case events.ExceptionData:
			heard = append(heard, "exception "+d.Resolution)
		}
	}
	wantHeard := []string{fmt.Sprintf("request %d running", stale.ID), "exception resolved", "document posted",
		fmt.Sprintf("request %d done", stale.ID), fmt.Sprintf("request %d running", again.ID), fmt.Sprintf("request %d done", again.ID)}
	if strings.Join(heard, "; ") != strings.Join(wantHeard, "; ") {
		t.Fatalf("the desk heard\n  %s\nwant\n  %s", strings.Join(heard, "; "), strings.Join(wantHeard, "; "))
	}
	if postedDoc.DocumentID != d.ID || postedDoc.BusinessKey != cleosim.UnknownPartnerInvoice {
		t.Fatalf("posted document event %+v, want document %d %s", postedDoc, d.ID, cleosim.UnknownPartnerInvoice)
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

// Mapping edits from a client desk go to the leader as requests and are
// written as the clerk who asked: a partner mapped (and its EDI identity
// written to IFS by the leader), a GL rule, a tolerance; an edit the
// reference data refuses fails with the reason and writes nothing.
func TestTeamMappingEditsThroughTheLeader(t *testing.T) {
	ctx := context.Background()
	leaderStore, url, pw := teamStore(t)
	s := newSandboxesOn(t, ifssim.Config{}, cleosim.Config{}, leaderStore)
	s.sync(FlowReference)
	desk, err := store.OpenURL(ctx, url, store.WithPassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go s.eng.ServeRequests(sctx, NewScheduler(s.eng), "srv1 (test)")
	ask := func(kind, target string, args string) store.Request {
		t.Helper()
		r, err := desk.EnqueueRequest(ctx, store.Request{Kind: kind, Target: target, Args: args, Actor: "bob", Host: "desk1"})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			got, err := desk.Request(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State.Final() {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("request %d still %s", r.ID, got.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	sup, _, _ := cleosim.UnknownPartnerSupplier(s.w)
	ukey := store.PartnerKey(s.w.UnknownPartner.ISAQualifier, s.w.UnknownPartner.ISAID)
	if r := ask("map_partner", ukey, `{"supplier":"`+sup.SupplierID+`"}`); r.State != store.RequestDone || !strings.Contains(r.Result, sup.SupplierID) {
		t.Fatalf("map_partner: %+v", r)
	}
	m, found, err := desk.PartnerMapping(ctx, s.w.UnknownPartner.ISAQualifier, s.w.UnknownPartner.ISAID)
	if err != nil || !found || m.SupplierID != sup.SupplierID {
		t.Fatalf("mapping on the desk: %+v %v %v", m, found, err)
	}
	if addr, _, _, _ := s.isim.SupplierEDIIdentity(sup.SupplierID); addr != ukey {
		t.Fatalf("the leader did not write the identity to IFS: %q", addr)
	}
	account := ""
	for _, a := range s.w.Accounts {
		if a.Valid(s.w.Today) {
			account = a.Value
			break
		}
	}
	if r := ask("gl_rule", sup.SupplierID, `{"charge":"FRT","account":"`+account+`"}`); r.State != store.RequestDone {
		t.Fatalf("gl_rule: %+v", r)
	}
	if r := ask("gl_rule", sup.SupplierID, `{"charge":"HND","account":"zzz"}`); r.State != store.RequestFailed || !strings.Contains(r.Result, "zzz") {
		t.Fatalf("gl_rule with an unknown account: %+v", r)
	}
	if r := ask("tolerance", sup.SupplierID, `{"price_pct":"2.5","qty_pct":"0","absolute":"1.00","match":"three_way"}`); r.State != store.RequestDone {
		t.Fatalf("tolerance: %+v", r)
	}
	maps, err := s.eng.Mappings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := maps.GLRules[sup.SupplierID+"|FRT"]; !ok || c.Account != account {
		t.Fatalf("FRT rule of %s: %+v (all %+v)", sup.SupplierID, c, maps.GLRules)
	}
	if _, ok := maps.GLRules[sup.SupplierID+"|HND"]; ok {
		t.Fatal("the refused HND rule was written")
	}
	for _, k := range []store.MappingKind{store.MappingPartners, store.MappingGLRules, store.MappingTolerances} {
		vs, err := desk.MappingHistory(ctx, k, "", 5)
		if err != nil || len(vs) == 0 || vs[0].ChangedBy != "bob" {
			t.Fatalf("%s history: newest by %+v %v, want bob", k, vs, err)
		}
	}
}

// teamStore opens a new team database on the test harness's PostgreSQL
// server, closed when the test ends (after the sandboxes built on it); url
// and pw open more desks on the same database.
func teamStore(tb testing.TB) (st *store.Store, url, pw string) {
	tb.Helper()
	url, pw = testharness.PostgresDatabase(tb)
	st, err := store.OpenURL(context.Background(), url, store.WithPassword(pw))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st, url, pw
}
