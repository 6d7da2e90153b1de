package store

import (
	"context"
	"fmt"
	"time"
)

// TeamEvent is one engine event as the team database carries it to every
// desk: the event's type name and its data as JSON (core/events encodes and
// decodes; the store does not know the types).
type TeamEvent struct {
	ID     int64
	Type   string
	Data   []byte
	Origin string // the process that published it
	At     time.Time
}

// The PostgreSQL notification channels. A notification is only a wake-up
// call: the rows are the truth, so a desk that misses one (it was away, its
// connection dropped) loses nothing and catches up by id.
const (
	eventsChannel   = "mlc_events"
	requestsChannel = "mlc_requests"
)

// PublishTeamEvent stores an event for the other desks and, on
// PostgreSQL, notifies them in the same transaction: NOTIFY is delivered
// only when the transaction commits (PostgreSQL docs, NOTIFY: "if a NOTIFY
// is executed inside a transaction, the notify events are not delivered
// until and unless the transaction is committed"), so no desk hears of an
// event it cannot read yet. The write takes the store's write lock, so ids
// commit in order and a reader catching up "after id N" skips nothing.
func (s *Store) PublishTeamEvent(ctx context.Context, typ string, data []byte, origin string) (int64, error) {
	var id int64
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.tx.QueryRowContext(ctx, `INSERT INTO team_events (type, data, origin, at) VALUES (?, ?, ?, ?) RETURNING id`,
			typ, string(data), origin, fmtTime(tx.now)).Scan(&id); err != nil {
			return err
		}
		if s.d == postgresDialect {
			_, err := tx.tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, eventsChannel, fmt.Sprint(id))
			return err
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("publish team event %s: %w", typ, err)
	}
	return id, nil
}

// TeamEventsAfter returns up to limit events with ids above after, oldest
// first.
func (s *Store) TeamEventsAfter(ctx context.Context, after int64, limit int) ([]TeamEvent, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, type, data, origin, at FROM team_events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("team events after %d: %w", after, err)
	}
	defer rows.Close()
	var out []TeamEvent
	for rows.Next() {
		var e TeamEvent
		var data, at string
		if err := rows.Scan(&e.ID, &e.Type, &data, &e.Origin, &at); err != nil {
			return nil, fmt.Errorf("team events after %d: %w", after, err)
		}
		e.Data, e.At = []byte(data), parseTime(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("team events after %d: %w", after, err)
	}
	return out, nil
}

// LastTeamEvent returns the newest event id (0 when none), where a desk
// that starts follows from: what happened before is in the store's queries.
func (s *Store) LastTeamEvent(ctx context.Context) (int64, error) {
	var id int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM team_events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last team event: %w", err)
	}
	return id, nil
}

// PruneTeamEvents deletes events older than before; desks that were away
// longer re-read the screens from the store instead.
func (s *Store) PruneTeamEvents(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.Update(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM team_events WHERE at < ?`, fmtTime(before))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune team events: %w", err)
	}
	return int(n), nil
}

// ListenTeamEvents returns a channel that receives a wake-up soon after
// each team event is published, until ctx ends. On PostgreSQL it is a
// LISTEN on a dedicated connection (re-established after a failure, with a
// wake-up then, since notifications sent meanwhile are lost); on SQLite,
// where only one desk works, it ticks every poll. Callers read the events
// with TeamEventsAfter.
func (s *Store) ListenTeamEvents(ctx context.Context, poll time.Duration) <-chan struct{} {
	return s.listen(ctx, eventsChannel, poll)
}

// ListenRequests is ListenTeamEvents for newly queued requests: the leader
// wakes on each EnqueueRequest instead of polling.
func (s *Store) ListenRequests(ctx context.Context, poll time.Duration) <-chan struct{} {
	return s.listen(ctx, requestsChannel, poll)
}

func (s *Store) listen(ctx context.Context, channel string, poll time.Duration) <-chan struct{} {
	if poll <= 0 {
		poll = 5 * time.Second
	}
	ch := make(chan struct{}, 1)
	wake := func() {
		select {
		case ch <- struct{}{}:
		default: // one pending wake-up covers many events
		}
	}
	go func() {
		// The poll is a safety net on PostgreSQL too: a notification lost
		// while the connection was being replaced is caught up at the latest
		// one poll later.
		t := time.NewTicker(poll)
		defer t.Stop()
		if s.d != postgresDialect {
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					wake()
				}
			}
		}
		notes := make(chan struct{}, 1)
		go s.listenLoop(ctx, channel, notes)
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				wake()
			case <-notes:
				wake()
			}
		}
	}()
	return ch
}

// listenLoop holds a LISTEN connection and forwards notifications.
func (s *Store) listenLoop(ctx context.Context, channel string, notes chan<- struct{}) {
	send := func() {
		select {
		case notes <- struct{}{}:
		default:
		}
	}
	for ctx.Err() == nil {
		conn, err := s.pool.Acquire(ctx)
		if err == nil {
			// The channel is a constant of this package, not input: quoting
			// it as an identifier keeps it that way.
			if _, err = conn.Exec(ctx, `LISTEN "`+channel+`"`); err == nil {
				send() // events may have been published while we were not listening
				for err == nil {
					_, err = conn.Conn().WaitForNotification(ctx)
					if err == nil {
						send()
					}
				}
			}
			// A connection that failed is closed, not returned to the pool
			// with its LISTEN still registered.
			_ = conn.Conn().Close(context.Background())
			conn.Release()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}
