package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/store"
)

func TestSchedulerSyncNowPauseAndSchedules(t *testing.T) {
	h := newHarness(t)
	s := NewScheduler(h.eng)
	if err := s.Start(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.putFile("f", invoiceSet("ACME01", "S1", "PO1", cleanLines()...))
	s.SyncNow(FlowInvoices)
	s.Wait()
	if got := h.only810(); got.Status != store.StatusPosted {
		t.Fatalf("sync now: %s", got.Status)
	}
	if err := s.SetSchedule(h.ctx, FlowPOs, "not cron"); err == nil {
		t.Fatal("invalid cron accepted")
	}
	if err := s.SetSchedule(h.ctx, FlowPOs, "*/10 * * * *"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPaused(h.ctx, "", true); err != nil {
		t.Fatal(err)
	}
	for _, si := range s.Schedules() {
		if !si.Paused || !si.Next.IsZero() {
			t.Fatalf("paused schedule %+v", si)
		}
	}
	<-s.Stop().Done()
	// A new scheduler reads the persisted state.
	s2 := NewScheduler(h.eng)
	if err := s2.Start(h.ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { <-s2.Stop().Done() }()
	got := map[string]ScheduleInfo{}
	for _, si := range s2.Schedules() {
		got[si.Flow] = si
	}
	if got[FlowPOs].Spec != "*/10 * * * *" || !got[FlowPOs].Paused {
		t.Fatalf("persisted %+v", got)
	}
	if err := s2.SetPaused(h.ctx, FlowInvoices, false); err != nil {
		t.Fatal(err)
	}
	if si := s2.Schedules()[1]; si.Flow != FlowInvoices || si.Paused || si.Next.IsZero() {
		t.Fatalf("resumed %+v", si)
	}
	ages := s2.maxAges(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if ages[FlowInvoices] != 9*time.Minute {
		t.Fatalf("max age %v", ages)
	}
}

func TestNextRuns(t *testing.T) {
	from := time.Date(2026, 11, 2, 9, 1, 0, 0, time.UTC)
	got, err := NextRuns("*/5 * * * *", from, 2)
	if err != nil || !got[0].Equal(from.Add(4*time.Minute)) || !got[1].Equal(from.Add(9*time.Minute)) {
		t.Fatalf("%v %v", got, err)
	}
}

func TestDrainStopsBetweenSteps(t *testing.T) {
	h := newHarness(t)
	h.putFile("f", invoiceSet("ACME01", "D1", "PO1", cleanLines()...))
	h.eng.Drain()
	if _, err := h.eng.RunFlow(h.ctx, FlowInvoices); !errors.Is(err, ErrStopping) {
		t.Fatalf("run while draining: %v", err)
	}
	if len(h.docs(store.Type810, store.Inbound)) != 0 {
		t.Fatal("work started while draining")
	}
}

func TestConcurrentFlowsKeepEachOthersRuns(t *testing.T) {
	h := newHarness(t)
	id, err := h.st.StartRun(h.ctx, "invoices") // a run in progress in this process
	if err != nil {
		t.Fatal(err)
	}
	if err := h.eng.Reconcile(h.ctx); err != nil {
		t.Fatal(err)
	}
	runs, _ := h.st.Runs(h.ctx, "invoices", 10)
	for _, r := range runs {
		if r.ID == id && r.Status != store.RunRunning {
			t.Fatalf("a later reconcile closed a live run: %+v", r)
		}
	}
}
