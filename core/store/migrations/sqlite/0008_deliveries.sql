-- 0008: delivery tracking. What the network says happened to each outbound
-- file after the connector handed it over (Cleo's transfer log, or the file
-- leaving an SFTP/folder outbox): one row per outbound document, kept
-- beside the document's own status, which stays about the 997. A partner
-- may allow a slow transport (AS2 with asynchronous MDNs) longer before a
-- pending transfer counts as stuck.
CREATE TABLE deliveries (
    document_id    INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    state          TEXT NOT NULL,
    transfer_id    TEXT NOT NULL DEFAULT '',
    network_status TEXT NOT NULL DEFAULT '',
    detail         TEXT NOT NULL DEFAULT '',
    attempts       INTEGER NOT NULL DEFAULT 1,
    handed_at      TEXT NOT NULL,
    checked_at     TEXT NOT NULL DEFAULT '',
    settled_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deliveries_state ON deliveries(state);
ALTER TABLE partners ADD COLUMN delivery_limit_minutes INTEGER NOT NULL DEFAULT 0;
