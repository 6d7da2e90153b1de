package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// leaderLockKey is the PostgreSQL session advisory lock ("mlcl") held by the
// one process of a team that runs the engine's flows. A session lock lives
// exactly as long as the holder's connection: a leader that is killed, or
// whose connection the server drops, frees it without anyone cleaning up.
const leaderLockKey = 0x6d6c636c

// NodeInfo identifies a process attached to the store.
type NodeInfo struct {
	Host    string
	User    string // OS user
	PID     int
	Command string // "run", "gui", "sync"
}

// ThisNode describes the calling process.
func ThisNode(user, command string) NodeInfo {
	host, _ := os.Hostname()
	return NodeInfo{Host: host, User: user, PID: os.Getpid(), Command: command}
}

// Node is one process as the store last saw it.
type Node struct {
	ID string
	NodeInfo
	Role      string // "leader" or "standby"
	Since     time.Time
	StartedAt time.Time
	SeenAt    time.Time
}

// Leadership is this process's hold on the team's engine. Lost is closed
// when the hold ends without Release (the database connection failed): the
// process must stop its flows at once, because a standby will take over as
// soon as the server notices.
type Leadership struct {
	s    *Store
	id   string
	conn *pgxpool.Conn // PostgreSQL: the connection holding the session lock
	lost chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Lost is closed when leadership was lost (never for SQLite).
func (l *Leadership) Lost() <-chan struct{} { return l.lost }

// ErrNotLeader is returned (wrapped) by TryLead when another process leads.
var ErrNotLeader = errors.New("another process leads the team's engine")

// LeaderHeartbeat is how often a leader checks its connection and records
// that it is alive; a standby polls for the lock as often. A killed leader's
// connection closes at once, so a standby takes over within about one
// heartbeat; a leader cut off from the database stops its flows within two
// heartbeats, before the server (TCP keepalives of 5 s + 3×2 s) frees the lock.
const LeaderHeartbeat = 2 * time.Second

// WithLeaderHeartbeat shortens the leader heartbeat (tests).
func WithLeaderHeartbeat(d time.Duration) Option { return func(o *options) { o.heartbeat = d } }

// heartbeat is the store's leader heartbeat.
func (s *Store) heartbeat() time.Duration {
	if s.beatEvery > 0 {
		return s.beatEvery
	}
	return LeaderHeartbeat
}

// TryLead makes this process the leader if no other process is, without
// waiting; otherwise it records the process as a standby and returns an
// error wrapping ErrNotLeader that names the leader. On SQLite it always
// leads: one desk, where the data dir's engine lock decides.
func (s *Store) TryLead(ctx context.Context, n NodeInfo) (*Leadership, error) {
	id := fmt.Sprintf("%s/%d/%d", n.Host, n.PID, processStart.UnixNano())
	if s.d != postgresDialect {
		if err := s.recordNode(ctx, id, n, "leader", true); err != nil {
			return nil, err
		}
		return s.startLeadership(id, nil), nil
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lead the engine: %w", classifyConnect(err))
	}
	// The server side of this one connection probes the client often, so a
	// leader that vanishes without closing its socket (a cut network) frees
	// the lock within about 11 s instead of the kernel's two hours.
	if _, err := conn.Exec(ctx, `SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3`); err != nil {
		conn.Release()
		return nil, fmt.Errorf("lead the engine: %w", err)
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(leaderLockKey)).Scan(&got); err != nil {
		conn.Release()
		return nil, fmt.Errorf("lead the engine: %w", err)
	}
	if !got {
		conn.Release()
		if err := s.recordNode(ctx, id, n, "standby", false); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s", ErrNotLeader, s.DescribeLeader(ctx))
	}
	if err := s.recordNode(ctx, id, n, "leader", true); err != nil {
		_, _ = conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(leaderLockKey))
		conn.Release()
		return nil, err
	}
	return s.startLeadership(id, conn), nil
}

// Lead waits until this process leads the team's engine (TryLead every
// LeaderHeartbeat), calling standby once with the current leader's
// description while it waits. It returns ctx's error when ctx ends first.
func (s *Store) Lead(ctx context.Context, n NodeInfo, standby func(leader string)) (*Leadership, error) {
	told := false
	for {
		l, err := s.TryLead(ctx, n)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, ErrNotLeader) {
			// The database is unreachable: keep trying, as a standby would.
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		} else if !told && standby != nil {
			standby(s.DescribeLeader(ctx))
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(s.heartbeat()):
		}
	}
}

// processStart tells two processes with the same pid (a restart) apart.
var processStart = time.Now()

func (s *Store) startLeadership(id string, conn *pgxpool.Conn) *Leadership {
	l := &Leadership{s: s, id: id, conn: conn, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go l.beat()
	return l
}

// beat checks the lock's connection and records the leader as seen.
func (l *Leadership) beat() {
	defer close(l.done)
	t := time.NewTicker(l.s.heartbeat())
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.s.heartbeat())
		var err error
		if l.conn != nil {
			_, err = l.conn.Exec(ctx, `SELECT 1`)
		}
		if err == nil {
			_, err = l.s.w.ExecContext(ctx, `UPDATE engine_nodes SET seen_at = ? WHERE id = ?`, fmtTime(l.s.now()), l.id)
		}
		cancel()
		if err != nil && l.conn != nil {
			// The connection holding the lock may be gone: the lock with it.
			close(l.lost)
			_ = l.conn.Conn().Close(context.Background())
			l.conn.Release()
			l.conn = nil
			return
		}
	}
}

// Release gives leadership up (at shutdown): the lock is unlocked and the
// node removed, so a standby takes over at its next poll.
func (l *Leadership) Release() {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if l.conn != nil {
			_, _ = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(leaderLockKey))
			l.conn.Release()
		}
		_, _ = l.s.w.ExecContext(ctx, `DELETE FROM engine_nodes WHERE id = ?`, l.id)
	})
}

// recordNode upserts this process's row; a new leader is audited with the
// leader it replaced, so take-overs can be read back from the chain.
func (s *Store) recordNode(ctx context.Context, id string, n NodeInfo, role string, audit bool) error {
	return s.Update(ctx, func(tx *Tx) error {
		now := fmtTime(tx.now)
		var prev string
		var prevSeen string
		if audit {
			err := tx.tx.QueryRowContext(ctx, `SELECT id, seen_at FROM engine_nodes WHERE role = 'leader' AND id <> ? ORDER BY seen_at DESC LIMIT 1`, id).Scan(&prev, &prevSeen)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			// Whoever held the role before is no longer leading.
			if _, err := tx.tx.ExecContext(ctx, `UPDATE engine_nodes SET role = 'standby', since = ? WHERE role = 'leader' AND id <> ?`, now, id); err != nil {
				return err
			}
		}
		var oldRole string
		err := tx.tx.QueryRowContext(ctx, `SELECT role FROM engine_nodes WHERE id = ?`, id).Scan(&oldRole)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		since := now
		if oldRole == role {
			since = "" // unchanged: keep the stored since
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO engine_nodes (id, host, os_user, pid, command, role, since, started_at, seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET role = excluded.role, seen_at = excluded.seen_at,
			since = CASE WHEN ? = '' THEN engine_nodes.since ELSE excluded.since END`,
			id, n.Host, n.User, n.PID, n.Command, role, now, fmtTime(processStart), now, since); err != nil {
			return fmt.Errorf("record node: %w", err)
		}
		// Forget processes not seen for a day.
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM engine_nodes WHERE seen_at < ?`, fmtTime(tx.now.Add(-24*time.Hour))); err != nil {
			return err
		}
		if audit && oldRole != "leader" && s.d == postgresDialect {
			detail := map[string]any{"host": n.Host, "pid": n.PID, "command": n.Command, "backend": s.d.String()}
			if prev != "" {
				detail["replaces"] = prev
				detail["previous_seen_at"] = prevSeen
			}
			if _, err := tx.AppendEvent(Event{Subject: "engine:leader", Actor: n.User, Action: "engine.leader", Detail: detail}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Nodes lists the processes attached to the store, leader first, then by
// when they were last seen.
func (s *Store) Nodes(ctx context.Context) ([]Node, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, host, os_user, pid, command, role, since, started_at, seen_at
		FROM engine_nodes ORDER BY CASE role WHEN 'leader' THEN 0 ELSE 1 END, seen_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	defer rows.Close()
	var out []Node
	for rows.Next() {
		var n Node
		var since, started, seen string
		if err := rows.Scan(&n.ID, &n.Host, &n.User, &n.PID, &n.Command, &n.Role, &since, &started, &seen); err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		n.Since, n.StartedAt, n.SeenAt = parseTime(since), parseTime(started), parseTime(seen)
		out = append(out, n)
	}
	return out, rows.Err()
}

// DescribeLeader names the current leader for messages ("svc on srv1
// (pid 4242, run) since …").
func (s *Store) DescribeLeader(ctx context.Context) string {
	ns, err := s.Nodes(ctx)
	if err == nil && len(ns) > 0 && ns[0].Role == "leader" {
		n := ns[0]
		return fmt.Sprintf("%s on %s (pid %s, %s) since %s", n.User, n.Host, strconv.Itoa(n.PID), n.Command,
			n.Since.Format("2006-01-02 15:04:05 UTC"))
	}
	return "a process that has not said who it is"
}
