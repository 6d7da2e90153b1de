package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RequestState is where a clerk's request stands.
type RequestState string

// The request states.
const (
	RequestQueued  RequestState = "queued"
	RequestRunning RequestState = "running"
	RequestDone    RequestState = "done"
	RequestFailed  RequestState = "failed"
	RequestRefused RequestState = "refused" // the actor's role does not allow it
)

// Final reports whether the request has its outcome.
func (s RequestState) Final() bool {
	return s == RequestDone || s == RequestFailed || s == RequestRefused
}

// Request is a clerk's action written to a team database for the leader
// to execute.
type Request struct {
	ID        int64
	Kind      string // "replay", "replay_reason", "ignore", "sync_now", "pause", "resume", "schedule"
	Target    string // exception id, reason code or flow
	Args      string // JSON, e.g. {"comment": "…"}
	Actor     string
	Host      string
	State     RequestState
	Result    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const requestColumns = `id, kind, target, args, actor, host, state, result, created_at, updated_at`

func scanRequest(sc rowScanner) (Request, error) {
	var r Request
	var c, u string
	err := sc.Scan(&r.ID, &r.Kind, &r.Target, &r.Args, &r.Actor, &r.Host, &r.State, &r.Result, &c, &u)
	r.CreatedAt, r.UpdatedAt = parseTime(c), parseTime(u)
	return r, err
}

// EnqueueRequest writes a request, audited as asked by its actor.
func (s *Store) EnqueueRequest(ctx context.Context, r Request) (Request, error) {
	if r.Kind == "" || r.Actor == "" {
		return r, fmt.Errorf("enqueue request: kind and actor are required: %w", ErrInvalid)
	}
	if r.Args == "" {
		r.Args = "{}"
	}
	err := s.Update(ctx, func(tx *Tx) error {
		now := fmtTime(tx.now)
		if err := tx.tx.QueryRowContext(ctx, `INSERT INTO requests (kind, target, args, actor, host, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING id`, r.Kind, r.Target, r.Args, r.Actor, r.Host, now, now).Scan(&r.ID); err != nil {
			return err
		}
		r.State, r.CreatedAt, r.UpdatedAt = RequestQueued, parseTime(now), parseTime(now)
		if _, err := tx.AppendEvent(Event{Subject: fmt.Sprintf("request:%d", r.ID), Actor: r.Actor, Action: "request.queued",
			Detail: map[string]any{"kind": r.Kind, "target": r.Target, "host": r.Host}}); err != nil {
			return err
		}
		if s.d == postgresDialect {
			// Wakes the leader at commit (ListenRequests) instead of at its next poll.
			_, err := tx.tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, requestsChannel, fmt.Sprint(r.ID))
			return err
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("enqueue request %s %s: %w", r.Kind, r.Target, err)
	}
	return r, nil
}

// ClaimRequest moves the oldest queued request to running and returns it;
// ok is false when none waits.
func (s *Store) ClaimRequest(ctx context.Context) (r Request, ok bool, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		r, err = scanRequest(tx.tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests WHERE state = 'queued' ORDER BY id LIMIT 1`))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE requests SET state = 'running', updated_at = ? WHERE id = ?`, fmtTime(tx.now), r.ID); err != nil {
			return err
		}
		r.State, ok = RequestRunning, true
		return nil
	})
	if err != nil {
		return r, false, fmt.Errorf("claim request: %w", err)
	}
	return r, ok, nil
}

// RequeueRunning queues again the requests a previous leader was running
// when it died; a new leader calls it once before serving.
func (s *Store) RequeueRunning(ctx context.Context) (int, error) {
	var n int64
	err := s.Update(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `UPDATE requests SET state = 'queued', updated_at = ? WHERE state = 'running'`, fmtTime(tx.now))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("requeue running requests: %w", err)
	}
	return int(n), nil
}

// FinishRequest records a request's outcome, audited with the actor who
// asked and the process that executed it.
func (s *Store) FinishRequest(ctx context.Context, id int64, state RequestState, result, executor string) error {
	if !state.Final() {
		return fmt.Errorf("finish request %d: state %q: %w", id, state, ErrInvalid)
	}
	err := s.Update(ctx, func(tx *Tx) error {
		r, err := scanRequest(tx.tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if r.State.Final() {
			return nil // finished already (executed twice across a take-over): one outcome
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE requests SET state = ?, result = ?, updated_at = ? WHERE id = ?`,
			state, result, fmtTime(tx.now), id); err != nil {
			return err
		}
		_, err = tx.AppendEvent(Event{Subject: fmt.Sprintf("request:%d", id), Actor: r.Actor, Action: "request." + string(state),
			Detail: map[string]any{"kind": r.Kind, "target": r.Target, "result": result, "executed_by": executor}})
		return err
	})
	if err != nil {
		return fmt.Errorf("finish request %d: %w", id, err)
	}
	return nil
}

// Request reads one request.
func (s *Store) Request(ctx context.Context, id int64) (Request, error) {
	r, err := scanRequest(s.r.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("request %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("request %d: %w", id, err)
	}
	return r, nil
}

// The roles, from least to most trusted. This table is the one source of
// roles for the whole program: the engine's decisions (an approver's
// override) and the team's requests (an admin's schedules) read it.
const (
	// RoleClerk works exceptions and mappings, replays and ignores.
	RoleClerk = "clerk"
	// RoleApprover may also accept an invoice with an override.
	RoleApprover = "approver"
	// RoleAdmin may also change connections, schedules, test/live and roles.
	RoleAdmin = "admin"
)

// Roles lists the granted roles by person, without granting any.
func (s *Store) Roles(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT os_user, role FROM roles`)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var u, r string
		if err := rows.Scan(&u, &r); err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		out[u] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return out, nil
}

// RoleOf returns a person's role. The first person asked about on a
// database without roles becomes its admin (recorded and audited); anyone
// not granted a role is a clerk.
func (s *Store) RoleOf(ctx context.Context, user string) (string, error) {
	var role string
	err := s.Update(ctx, func(tx *Tx) error {
		err := tx.tx.QueryRowContext(ctx, `SELECT role FROM roles WHERE os_user = ?`, user).Scan(&role)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM roles`).Scan(&n); err != nil {
			return err
		}
		role = RoleClerk
		if n > 0 {
			return nil
		}
		role = RoleAdmin
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO roles (os_user, role, granted_by, granted_at) VALUES (?, 'admin', ?, ?)`,
			user, SystemActor, fmtTime(tx.now)); err != nil {
			return err
		}
		_, err = tx.AppendEvent(Event{Subject: "role:" + user, Actor: SystemActor, Action: "role.granted",
			Detail: map[string]any{"user": user, "role": RoleAdmin, "why": "first person on this database"}})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("role of %s: %w", user, err)
	}
	return role, nil
}

// SetRole grants user a role ("" removes it, leaving a clerk); only an
// admin may (ErrForbidden otherwise), and the team always keeps one admin.
func (s *Store) SetRole(ctx context.Context, actor, user, role string) error {
	switch role {
	case "", RoleClerk, RoleApprover, RoleAdmin:
	default:
		return fmt.Errorf("set role: %q is not clerk, approver or admin: %w", role, ErrInvalid)
	}
	ar, err := s.RoleOf(ctx, actor)
	if err != nil {
		return err
	}
	if ar != RoleAdmin {
		_, _ = s.AppendEvent(ctx, Event{Subject: "role:" + user, Actor: actor, Action: "role.refused",
			Detail: map[string]any{"user": user, "role": role}})
		return fmt.Errorf("set role of %s: %s is a %s, only an admin grants roles: %w", user, actor, ar, ErrForbidden)
	}
	return s.Update(ctx, func(tx *Tx) error {
		if role == "" {
			// Removing a role leaves a clerk; the team keeps an admin.
			if _, err := tx.tx.ExecContext(ctx, `DELETE FROM roles WHERE os_user = ?`, user); err != nil {
				return err
			}
			var admins int
			if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM roles WHERE role = 'admin'`).Scan(&admins); err != nil {
				return err
			}
			if admins == 0 {
				return fmt.Errorf("remove the role of %s: at least one admin must remain: %w", user, ErrInvalid)
			}
			_, err := tx.AppendEvent(Event{Subject: "role:" + user, Actor: actor, Action: "role.removed",
				Detail: map[string]any{"user": user}})
			return err
		}
		if role != RoleAdmin {
			var others int
			if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM roles WHERE role = 'admin' AND os_user <> ?`, user).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return fmt.Errorf("set role of %s: at least one admin must remain: %w", user, ErrInvalid)
			}
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO roles (os_user, role, granted_by, granted_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (os_user) DO UPDATE SET role = excluded.role, granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
			user, role, actor, fmtTime(tx.now)); err != nil {
			return err
		}
		_, err := tx.AppendEvent(Event{Subject: "role:" + user, Actor: actor, Action: "role.granted",
			Detail: map[string]any{"user": user, "role": role}})
		return err
	})
}
