package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// DefaultSchedules are the cron expressions used for flows without a
// stored schedule: POs every 5 minutes, invoices every 2, self-billing
// invoices out every 15, reference data nightly at 02:00.
var DefaultSchedules = map[string]string{
	FlowPOs:         "*/5 * * * *",
	FlowInvoices:    "*/2 * * * *",
	FlowReference:   "0 2 * * *",
	FlowInvoicesOut: "*/15 * * * *",
}

// cronParser accepts standard 5-field expressions and descriptors (@every 1m).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule validates a cron expression.
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// NextRuns returns the next n activation times of spec after from.
func NextRuns(spec string, from time.Time, n int) ([]time.Time, error) {
	s, err := ParseSchedule(spec)
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, n)
	t := from
	for i := 0; i < n; i++ {
		t = s.Next(t)
		out = append(out, t)
	}
	return out, nil
}

// ScheduleInfo is one flow's schedule for the Schedules screen.
type ScheduleInfo struct {
	Flow   string
	Spec   string
	Paused bool
	Next   time.Time // zero while paused or stopped
	// MaxAge is how long the flow may go without a success before it
	// counts as stale: two schedule intervals plus the scheduler's grace
	// (zero while paused). The heartbeat check raises HEARTBEAT_STALE by
	// the same rule; StaleAt lets a screen say so before that.
	MaxAge time.Duration
}

// StaleAt reports whether a flow last succeeding at lastSuccess is stale
// at now by the scheduler's rule (never while paused or before any success).
func (i ScheduleInfo) StaleAt(lastSuccess, now time.Time) bool {
	return i.MaxAge > 0 && !lastSuccess.IsZero() && now.Sub(lastSuccess) > i.MaxAge
}

// Scheduler runs the flows on their cron schedules, skipping a run while
// the previous one of the same flow is still going, and checks heartbeats
// every minute.
type Scheduler struct {
	e    *Engine
	ctx  context.Context
	mu   sync.Mutex
	cron *cron.Cron
	ids  map[string]cron.EntryID
	spec map[string]string
	stop map[string]bool // paused flows
	wg   sync.WaitGroup  // SyncNow runs
	// Grace is added to twice the schedule interval before a poller counts
	// as stale (default 5 minutes).
	Grace time.Duration
}

// NewScheduler returns a stopped scheduler for e.
func NewScheduler(e *Engine) *Scheduler {
	return &Scheduler{e: e, ids: map[string]cron.EntryID{}, spec: map[string]string{}, stop: map[string]bool{}, Grace: 5 * time.Minute}
}

// Start loads the stored schedules (defaults where none) and starts the
// cron loop. Runs use ctx: cancel it to abort runs mid-step; use
// Engine.Drain and Stop to finish the current step.
func (s *Scheduler) Start(ctx context.Context) error {
	stored, err := s.e.st.Schedules(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx = ctx
	for f, spec := range DefaultSchedules {
		s.spec[f] = spec
	}
	for _, sc := range stored {
		if _, ok := DefaultSchedules[sc.Flow]; !ok {
			continue
		}
		if _, err := ParseSchedule(sc.Cron); err != nil {
			s.e.log.Warn("stored schedule invalid; using the default", "flow", sc.Flow, "err", err)
			continue
		}
		s.spec[sc.Flow], s.stop[sc.Flow] = sc.Cron, sc.Paused
	}
	s.cron = cron.New(cron.WithParser(cronParser), cron.WithLocation(time.Local),
		// Recover is the backstop behind RunFlow's own guard (the heartbeat
		// check runs outside it): a panic never stops the scheduler.
		cron.WithChain(cron.Recover(cronLogger{s.e.log}), cron.SkipIfStillRunning(cron.DiscardLogger)))
	for _, f := range Flows {
		if err := s.schedule(f); err != nil {
			return err
		}
	}
	if _, err := s.cron.AddFunc("@every 1m", func() { s.checkHeartbeats() }); err != nil {
		return err
	}
	s.cron.Start()
	return nil
}

func (s *Scheduler) schedule(flow string) error {
	if id, ok := s.ids[flow]; ok {
		s.cron.Remove(id)
		delete(s.ids, flow)
	}
	if s.stop[flow] {
		return nil
	}
	id, err := s.cron.AddFunc(s.spec[flow], func() { s.runFlow(flow) })
	if err != nil {
		return fmt.Errorf("schedule %s: %w", flow, err)
	}
	s.ids[flow] = id
	return nil
}

func (s *Scheduler) runFlow(flow string) {
	if err := s.e.Reconcile(s.ctx); err != nil {
		s.e.log.Error("reconcile", "err", err)
	}
	if _, err := s.e.RunFlow(s.ctx, flow); err != nil && !errors.Is(err, ErrBusy) {
		s.e.log.Warn("scheduled run failed", "flow", flow, "err", err)
	}
}

// maxAges derives each flow's staleness limit from its schedule.
func (s *Scheduler) maxAges(now time.Time) map[string]time.Duration {
	out := map[string]time.Duration{}
	for f, spec := range s.spec {
		if s.stop[f] {
			continue
		}
		next, err := NextRuns(spec, now, 2)
		if err != nil {
			continue
		}
		out[f] = 2*next[1].Sub(next[0]) + s.Grace
	}
	return out
}

func (s *Scheduler) checkHeartbeats() {
	s.mu.Lock()
	ages := s.maxAges(s.e.clock.Now())
	s.mu.Unlock()
	if _, err := s.e.CheckHeartbeats(s.ctx, ages); err != nil {
		s.e.log.Warn("check heartbeats", "err", err)
	}
}

// Stop stops scheduling; the returned context is done when running jobs
// have finished.
func (s *Scheduler) Stop() context.Context {
	s.mu.Lock()
	c := s.cron
	s.mu.Unlock()
	if c == nil {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	done := c.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-done.Done()
		s.wg.Wait()
		cancel()
	}()
	return ctx
}

// SyncNow starts the flows (all when none) in the background, outside
// their schedule; a flow already running is skipped.
func (s *Scheduler) SyncNow(flows ...string) {
	if len(flows) == 0 {
		flows = Flows
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx := s.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		if err := s.e.Reconcile(ctx); err != nil {
			s.e.log.Error("reconcile", "err", err)
		}
		for _, f := range flows {
			if _, err := s.e.RunFlow(ctx, f); err != nil && !errors.Is(err, ErrBusy) {
				s.e.log.Warn("sync now failed", "flow", f, "err", err)
			}
		}
	}()
}

// Wait blocks until SyncNow runs started so far have finished.
func (s *Scheduler) Wait() { s.wg.Wait() }

// SetPaused pauses or resumes one flow ("" = all), persisted and audited.
func (s *Scheduler) SetPaused(ctx context.Context, flow string, paused bool) error {
	flows := []string{flow}
	if flow == "" {
		flows = Flows
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range flows {
		spec, ok := s.spec[f]
		if !ok {
			spec = DefaultSchedules[f]
		}
		if spec == "" {
			return fmt.Errorf("unknown flow %q", f)
		}
		if err := s.e.st.SetSchedule(ctx, s.e.actor, store.Schedule{Flow: f, Cron: spec, Paused: paused}); err != nil {
			return err
		}
		s.spec[f], s.stop[f] = spec, paused
		if s.cron != nil {
			if err := s.schedule(f); err != nil {
				return err
			}
		}
	}
	s.e.bus.Publish(events.SchedulerChanged, events.SchedulerData{Paused: paused, Flow: flow})
	return nil
}

// SetSchedule changes a flow's cron expression, validated, persisted and audited.
func (s *Scheduler) SetSchedule(ctx context.Context, flow, spec string) error {
	if _, ok := DefaultSchedules[flow]; !ok {
		return fmt.Errorf("unknown flow %q", flow)
	}
	if _, err := ParseSchedule(spec); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.e.st.SetSchedule(ctx, s.e.actor, store.Schedule{Flow: flow, Cron: spec, Paused: s.stop[flow]}); err != nil {
		return err
	}
	s.spec[flow] = spec
	if s.cron != nil {
		if err := s.schedule(flow); err != nil {
			return err
		}
	}
	s.e.bus.Publish(events.SchedulerChanged, events.SchedulerData{Paused: s.stop[flow], Flow: flow})
	return nil
}

// Schedules lists each flow's schedule with its next run.
func (s *Scheduler) Schedules() []ScheduleInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ScheduleInfo
	ages := s.maxAges(s.e.clock.Now())
	for _, f := range Flows {
		si := ScheduleInfo{Flow: f, Spec: s.spec[f], Paused: s.stop[f], MaxAge: ages[f]}
		if si.Spec == "" {
			si.Spec = DefaultSchedules[f]
		}
		if id, ok := s.ids[f]; ok && s.cron != nil {
			si.Next = s.cron.Entry(id).Next
		}
		out = append(out, si)
	}
	return out
}

// cronLogger sends robfig/cron's messages (a recovered panic) to the log.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Info("scheduler: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("scheduler: "+msg, append(kv, "err", err)...)
}
