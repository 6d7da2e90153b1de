package uifake

import (
	"context"
	"fmt"
	"sync"

	"github.com/ml-connector/ifs-cleo/ui/schedules"
)

// Schedules is an in-memory schedules.Source with the engine's default schedules.
type Schedules struct {
	mu    sync.Mutex
	Items []schedules.Schedule
	Err   error
}

// NewSchedules returns the defaults: POs every 5 min, invoices every 2 min, reference nightly.
func NewSchedules() *Schedules {
	return &Schedules{Items: []schedules.Schedule{
		{Flow: "pos", Label: "Purchase orders out", Spec: "*/5 * * * *"},
		{Flow: "invoices", Label: "Invoices in", Spec: "*/2 * * * *"},
		{Flow: "reference", Label: "Reference data", Spec: "0 2 * * *", Paused: true},
	}}
}

// List implements schedules.Source.
func (s *Schedules) List(context.Context) ([]schedules.Schedule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]schedules.Schedule(nil), s.Items...), s.Err
}

func (s *Schedules) find(flow string) (*schedules.Schedule, error) {
	for i := range s.Items {
		if s.Items[i].Flow == flow {
			return &s.Items[i], nil
		}
	}
	return nil, fmt.Errorf("flow %q: not found", flow)
}

// SetSpec implements schedules.Source.
func (s *Schedules) SetSpec(_ context.Context, flow, spec string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	sc, err := s.find(flow)
	if err == nil {
		sc.Spec = spec
	}
	return err
}

// SetPaused implements schedules.Source.
func (s *Schedules) SetPaused(_ context.Context, flow string, p bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	sc, err := s.find(flow)
	if err == nil {
		sc.Paused = p
	}
	return err
}

var _ schedules.Source = (*Schedules)(nil)
