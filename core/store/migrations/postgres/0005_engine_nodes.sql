-- 0005 (PostgreSQL, as SQLite): the processes attached to the database, for `status` and the
-- Dashboard: which one leads the engine (runs the flows), which stand by to
-- take over, since when, and when each was last seen. On PostgreSQL the
-- leader is whoever holds the team's session advisory lock; this table only
-- reports it. On SQLite the one engine of the data dir is the leader.
CREATE TABLE engine_nodes (
    id         TEXT COLLATE "C" PRIMARY KEY,
    host       TEXT COLLATE "C" NOT NULL,
    os_user    TEXT COLLATE "C" NOT NULL,
    pid        BIGINT NOT NULL,
    command    TEXT COLLATE "C" NOT NULL DEFAULT '',
    role       TEXT COLLATE "C" NOT NULL CHECK (role IN ('leader', 'standby')),
    since      TEXT COLLATE "C" NOT NULL,
    started_at TEXT COLLATE "C" NOT NULL,
    seen_at    TEXT COLLATE "C" NOT NULL
);
