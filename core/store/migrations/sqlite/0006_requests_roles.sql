-- 0006: team mode. A clerk's action on a desk that does not run the
-- engine is written here as a request, carrying who asked from where; the
-- leader executes it and records the outcome (queued → running → done,
-- failed or refused). A request left running by a leader that died is
-- queued again by the next leader; the actions are idempotent.
CREATE TABLE requests (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    args       TEXT NOT NULL DEFAULT '{}',
    actor      TEXT NOT NULL,
    host       TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'refused')),
    result     TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX requests_state ON requests (state, id);

-- Who may do what on a team database: clerks work exceptions and mappings,
-- admins also connections, schedules, test/live and roles. The first person
-- to act on a new database becomes its admin; anyone else starts as clerk.
CREATE TABLE roles (
    os_user    TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('clerk', 'admin')),
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL
);
