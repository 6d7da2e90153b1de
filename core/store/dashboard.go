package store

import (
	"context"
	"fmt"
	"time"
)

// DayCount is the number of documents of one type and direction created on
// one calendar day.
type DayCount struct {
	Day       time.Time // midnight of the day in the requested location
	Type      DocType
	Direction Direction
	Count     int
}

// DocumentsPerDay counts documents created per calendar day in loc, per type
// and direction, for the days from from's day up to and including to's day.
// Days without documents are omitted. Each day is one indexed range query,
// so the cost grows with the days asked for, not with the table.
func (s *Store) DocumentsPerDay(ctx context.Context, from, to time.Time, loc *time.Location) ([]DayCount, error) {
	if loc == nil {
		loc = time.UTC
	}
	fy, fm, fd := from.In(loc).Date()
	day := time.Date(fy, fm, fd, 0, 0, 0, 0, loc)
	ty, tm, td := to.In(loc).Date()
	last := time.Date(ty, tm, td, 0, 0, 0, 0, loc)
	if last.Sub(day) > 400*24*time.Hour {
		return nil, fmt.Errorf("documents per day: range over 400 days: %w", ErrInvalid)
	}
	var out []DayCount
	for !day.After(last) {
		next := day.AddDate(0, 0, 1)
		rows, err := s.r.QueryContext(ctx, `SELECT type, direction, COUNT(*) FROM documents
			WHERE created_at >= ? AND created_at < ? GROUP BY type, direction ORDER BY type, direction`,
			fmtTime(day), fmtTime(next))
		if err != nil {
			return nil, fmt.Errorf("documents per day: %w", err)
		}
		for rows.Next() {
			dc := DayCount{Day: day}
			if err := rows.Scan(&dc.Type, &dc.Direction, &dc.Count); err != nil {
				rows.Close()
				return nil, fmt.Errorf("documents per day: %w", err)
			}
			out = append(out, dc)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("documents per day: %w", err)
		}
		day = next
	}
	return out, nil
}

// ActivityCounts counts audit events per action in [from, to): e.g.
// "status.posted" is how many invoices were posted, "status.sent" how many
// POs were sent, "status.acknowledged", "status.overdue", "document.created",
// "exception.ignored". Pass actions to restrict the count to them.
func (s *Store) ActivityCounts(ctx context.Context, from, to time.Time, actions ...string) (map[string]int, error) {
	out := map[string]int{}
	if len(actions) > 0 {
		for _, a := range actions {
			var n int
			if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = ? AND at >= ? AND at < ?`,
				a, fmtTime(from), fmtTime(to)).Scan(&n); err != nil {
				return nil, fmt.Errorf("activity counts: %w", err)
			}
			out[a] = n
		}
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT action, COUNT(*) FROM audit_events WHERE at >= ? AND at < ? GROUP BY action`,
		fmtTime(from), fmtTime(to))
	if err != nil {
		return nil, fmt.Errorf("activity counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		var n int
		if err := rows.Scan(&a, &n); err != nil {
			return nil, fmt.Errorf("activity counts: %w", err)
		}
		out[a] = n
	}
	return out, rows.Err()
}

// StatusCounts counts documents per current status, for one direction and
// type when given ("" for all).
func (s *Store) StatusCounts(ctx context.Context, dir Direction, typ DocType) (map[Status]int, error) {
	q := `SELECT status, COUNT(*) FROM documents`
	var conds []string
	var args []any
	if dir != "" {
		conds = append(conds, "direction = ?")
		args = append(args, dir)
	}
	if typ != "" {
		conds = append(conds, "type = ?")
		args = append(args, typ)
	}
	for i, c := range conds {
		if i == 0 {
			q += " WHERE " + c
		} else {
			q += " AND " + c
		}
	}
	rows, err := s.r.QueryContext(ctx, q+` GROUP BY status`, args...)
	if err != nil {
		return nil, fmt.Errorf("status counts: %w", err)
	}
	defer rows.Close()
	out := map[Status]int{}
	for rows.Next() {
		var st Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("status counts: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}
