-- 0008 (PostgreSQL, as SQLite): delivery tracking, one row per outbound
-- document with what the network says happened to its file, and a
-- per-partner limit before a pending transfer counts as stuck.
CREATE TABLE deliveries (
    document_id    BIGINT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    state          TEXT COLLATE "C" NOT NULL,
    transfer_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    network_status TEXT COLLATE "C" NOT NULL DEFAULT '',
    detail         TEXT COLLATE "C" NOT NULL DEFAULT '',
    attempts       BIGINT NOT NULL DEFAULT 1,
    handed_at      TEXT COLLATE "C" NOT NULL,
    checked_at     TEXT COLLATE "C" NOT NULL DEFAULT '',
    settled_at     TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX deliveries_state ON deliveries(state);
ALTER TABLE partners ADD COLUMN delivery_limit_minutes BIGINT NOT NULL DEFAULT 0;
