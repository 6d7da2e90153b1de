package bridge

// The Schedules screen's source.

import (
	"context"

	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/ui/schedules"
)

type scheduleSource struct{ b *Bridge }

func (s *scheduleSource) List(ctx context.Context) ([]schedules.Schedule, error) {
	if s.b.asClient() {
		return s.stored(ctx)
	}
	_, sched, err := s.b.engine()
	if err != nil {
		return nil, err
	}
	var out []schedules.Schedule
	for _, i := range sched.Schedules() {
		out = append(out, schedules.Schedule{Flow: i.Flow, Label: flowLabel(i.Flow), Spec: i.Spec, Paused: i.Paused})
	}
	return out, nil
}

func (s *scheduleSource) SetSpec(ctx context.Context, flow, spec string) error {
	if s.b.asClient() {
		// The leader's scheduler must change, not only the stored row.
		_, err := s.b.ask(ctx, "schedule", flow, map[string]string{"spec": spec})
		return err
	}
	_, sched, err := s.b.engine()
	if err != nil {
		return err
	}
	return sched.SetSchedule(ctx, flow, spec)
}

func (s *scheduleSource) SetPaused(ctx context.Context, flow string, paused bool) error {
	if s.b.asClient() {
		kind := "resume"
		if paused {
			kind = "pause"
		}
		_, err := s.b.ask(ctx, kind, flow, nil)
		return err
	}
	_, sched, err := s.b.engine()
	if err != nil {
		return err
	}
	return sched.SetPaused(ctx, flow, paused)
}

// stored is the schedules as the team's leader runs them, read from the
// store on a client desk: a flow without a stored row runs on its default.
func (s *scheduleSource) stored(ctx context.Context) ([]schedules.Schedule, error) {
	rows, err := s.b.cfg.Store.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	byFlow := map[string]store.Schedule{}
	for _, r := range rows {
		byFlow[r.Flow] = r
	}
	var out []schedules.Schedule
	for _, f := range engine.Flows { // the scheduler's order
		sc := schedules.Schedule{Flow: f, Label: flowLabel(f), Spec: engine.DefaultSchedules[f]}
		if r, ok := byFlow[f]; ok {
			sc.Spec, sc.Paused = r.Cron, r.Paused
		}
		out = append(out, sc)
	}
	return out, nil
}
