package bridge

// The Dashboard screen's source: counts, documents per day and the flows' state.

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/ui/dashboard"
	"github.com/ml-connector/ifs-cleo/ui/documents"
)

type dashboardSource struct{ b *Bridge }

func (s *dashboardSource) Snapshot(ctx context.Context) (dashboard.Snapshot, error) {
	var snap dashboard.Snapshot
	st, loc := s.b.cfg.Store, s.b.cfg.Loc
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	week := today.AddDate(0, 0, -int((today.Weekday()+6)%7)) // Monday
	snap.TodayFrom, snap.WeekFrom = today, week
	count := func(since time.Time) (dashboard.Counts, error) {
		var c dashboard.Counts
		// The same kinds the Documents screen lists (a click on a count
		// opens its kind), so a count and its list agree.
		for _, k := range []struct {
			kind string
			n    *int
		}{{"invoices-received", &c.Received}, {"invoices-posted", &c.Posted}, {"pos-sent", &c.Sent}, {"pos-acknowledged", &c.Acknowledged}} {
			q := kindQuery(documents.KindOf(k.kind))
			q.From = since
			v, err := st.CountDocuments(ctx, q)
			if err != nil {
				return c, fmt.Errorf("count %s: %w", k.kind, err)
			}
			*k.n = v
		}
		var err error
		c.Exceptions, err = st.CountExceptions(ctx, store.ExceptionQuery{AnyState: true, NewerThan: now.Sub(since), Now: now})
		return c, err
	}
	var err error
	if snap.Today, err = count(today); err != nil {
		return snap, err
	}
	if snap.Week, err = count(week); err != nil {
		return snap, err
	}
	reasons, err := st.ExceptionsByReason(ctx, store.ExceptionQuery{})
	if err != nil {
		return snap, err
	}
	for _, r := range reasons {
		snap.ByReason = append(snap.ByReason, dashboard.ReasonCount{Code: r.Reason, Label: reasonLabel(r.Reason), Count: r.Count})
		if r.Reason == string(engine.ReasonAckOverdue) {
			snap.Overdue997 = r.Count
		}
	}
	dcounts, err := st.DeliveryCounts(ctx)
	if err != nil {
		return snap, err
	}
	snap.DeliveriesFailed, snap.DeliveriesStuck = dcounts[store.DeliveryFailed], dcounts[store.DeliveryStuck]
	from := today.AddDate(0, 0, -13)
	days, err := st.DocumentsPerDay(ctx, from, now, loc)
	if err != nil {
		return snap, err
	}
	byDay := map[string]*dashboard.DayCount{}
	for i := 0; i < 14; i++ {
		d := from.AddDate(0, 0, i)
		snap.PerDay = append(snap.PerDay, dashboard.DayCount{Day: d})
	}
	for i := range snap.PerDay {
		byDay[snap.PerDay[i].Day.Format("2006-01-02")] = &snap.PerDay[i]
	}
	for _, d := range days {
		if x := byDay[d.Day.In(loc).Format("2006-01-02")]; x != nil {
			if d.Direction == store.Outbound {
				x.Outbound += d.Count
			} else {
				x.Inbound += d.Count
			}
		}
	}
	if snap.Team, err = s.team(ctx, now); err != nil {
		return snap, err
	}
	snap.Flows, err = s.flows(ctx, now)
	return snap, err
}

func (s *dashboardSource) flows(ctx context.Context, now time.Time) ([]dashboard.FlowStatus, error) {
	st := s.b.cfg.Store
	hbs, err := st.Heartbeats(ctx)
	if err != nil {
		return nil, err
	}
	eng, sched, _ := s.b.engine()
	info := map[string]engine.ScheduleInfo{}
	if sched != nil {
		for _, i := range sched.Schedules() {
			info[i.Flow] = i
		}
	}
	running := map[string]bool{}
	if eng != nil {
		if fs, err := eng.FlowStatuses(ctx); err == nil {
			for _, f := range fs {
				running[f.Flow] = f.Running
			}
		}
	}
	var out []dashboard.FlowStatus
	for _, f := range engine.Flows {
		fs := dashboard.FlowStatus{Flow: f, Label: flowLabel(f), Running: running[f]}
		if r, err := st.LastRun(ctx, f); err == nil {
			fs.LastRun = r.StartedAt
			fs.LastOK = r.Error == ""
			fs.LastResult = runResult(r)
		}
		for _, h := range hbs {
			if h.Poller == f {
				fs.LastSuccess = h.LastSuccess
			}
		}
		if i, ok := info[f]; ok {
			fs.NextRun, fs.Paused = i.Next, i.Paused
			fs.Stale = i.StaleAt(fs.LastSuccess, now) // the scheduler's own rule
		}
		out = append(out, fs)
	}
	return out, nil
}

func runResult(r store.SyncRun) string {
	if r.FinishedAt.IsZero() {
		return "running"
	}
	if r.Error != "" {
		return "failed: " + r.Error
	}
	var keys []string
	for k, v := range r.Counts {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", r.Counts[k], k))
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", ")
}

// team is the team database's engine as the dashboard shows it (nil on a
// desk's own file). Nodes not seen for three heartbeats are gone.
func (s *dashboardSource) team(ctx context.Context, now time.Time) (*dashboard.TeamStatus, error) {
	b := s.b
	if !b.team() {
		return nil, nil
	}
	nodes, err := b.cfg.Store.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	t := &dashboard.TeamStatus{Database: store.RedactURL(b.cfg.Store.Path()), ThisDesk: "client (the flows run in the team's engine)"}
	b.mu.Lock()
	switch {
	case b.leading:
		t.ThisDesk = "leads the engine"
	case b.cfg.LeaderCapable:
		t.ThisDesk = "stands by to lead"
	}
	b.mu.Unlock()
	for _, n := range nodes {
		if now.Sub(n.SeenAt) > 3*store.LeaderHeartbeat+5*time.Second {
			continue
		}
		who := fmt.Sprintf("%s on %s (pid %d, %s)", n.User, n.Host, n.PID, n.Command)
		if n.Role == "leader" && t.Leader == "" {
			t.Leader, t.LeaderSince = who, n.Since
		} else {
			t.Standbys = append(t.Standbys, who)
		}
	}
	return t, nil
}
