package bridge

// The Schedules screen's source.

import (
	"context"

	"github.com/ml-connector/ifs-cleo/ui/schedules"
)

type scheduleSource struct{ b *Bridge }

func (s *scheduleSource) List(context.Context) ([]schedules.Schedule, error) {
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
	_, sched, err := s.b.engine()
	if err != nil {
		return err
	}
	return sched.SetSchedule(ctx, flow, spec)
}

func (s *scheduleSource) SetPaused(ctx context.Context, flow string, paused bool) error {
	_, sched, err := s.b.engine()
	if err != nil {
		return err
	}
	return sched.SetPaused(ctx, flow, paused)
}
