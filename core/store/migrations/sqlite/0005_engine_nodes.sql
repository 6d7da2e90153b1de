-- 0005: the processes attached to the database, for `status` and the
-- Dashboard: which one leads the engine (runs the flows), which stand by to
-- take over, since when, and when each was last seen. On PostgreSQL the
-- leader is whoever holds the team's session advisory lock; this table only
-- reports it. On SQLite the one engine of the data dir is the leader.
CREATE TABLE engine_nodes (
    id         TEXT PRIMARY KEY,
    host       TEXT NOT NULL,
    os_user    TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    command    TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL CHECK (role IN ('leader', 'standby')),
    since      TEXT NOT NULL,
    started_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL
);
