package uifake

import (
	"context"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/ui/dashboard"
)

// Dashboard is a fixed dashboard.Source; Err, when set, is returned instead.
type Dashboard struct {
	mu   sync.Mutex
	Snap dashboard.Snapshot
	Err  error
}

// NewDashboard returns a dashboard with three flows, one of them stale.
func NewDashboard() *Dashboard {
	d := &Dashboard{}
	d.Snap = dashboard.Snapshot{
		Flows: []dashboard.FlowStatus{
			{Flow: "pos", Label: "Purchase orders out", LastRun: Epoch.Add(-3 * time.Minute), LastResult: "4 sent", LastOK: true, NextRun: Epoch.Add(2 * time.Minute), LastSuccess: Epoch.Add(-3 * time.Minute)},
			{Flow: "invoices", Label: "Invoices in", LastRun: Epoch.Add(-1 * time.Minute), LastResult: "failed: Cleo returned 503", NextRun: Epoch.Add(time.Minute), LastSuccess: Epoch.Add(-47 * time.Minute), Stale: true},
			{Flow: "reference", Label: "Reference data", LastRun: Epoch.Add(-9 * time.Hour), LastResult: "212 suppliers", LastOK: true, NextRun: Epoch.Add(15 * time.Hour), LastSuccess: Epoch.Add(-9 * time.Hour), Paused: true},
		},
		Today:     dashboard.Counts{Received: 38, Posted: 31, Sent: 12, Acknowledged: 10, Exceptions: 7},
		Week:      dashboard.Counts{Received: 214, Posted: 199, Sent: 64, Acknowledged: 61, Exceptions: 15},
		TodayFrom: Epoch.Truncate(24 * time.Hour),
		WeekFrom:  Epoch.Truncate(24*time.Hour).AddDate(0, 0, -3),
		ByReason: []dashboard.ReasonCount{{Code: "partner_unmapped", Label: "Partner not mapped", Count: 4},
			{Code: "price_mismatch", Label: "Price outside tolerance", Count: 2}, {Code: "po_closed", Label: "PO closed", Count: 1}},
		Overdue997:       2,
		DeliveriesFailed: 1,
	}
	for i := 13; i >= 0; i-- {
		d.Snap.PerDay = append(d.Snap.PerDay, dashboard.DayCount{Day: Epoch.AddDate(0, 0, -i), Inbound: 10 + (i*7)%23, Outbound: 3 + (i*5)%11})
	}
	return d
}

// Snapshot implements dashboard.Source.
func (d *Dashboard) Snapshot(context.Context) (dashboard.Snapshot, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Snap, d.Err
}

var _ dashboard.Source = (*Dashboard)(nil)
