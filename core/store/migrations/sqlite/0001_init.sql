-- 0001: initial schema. Times are UTC text in a fixed-width format
-- (2006-01-02T15:04:05.000000Z) so that text order is time order.
-- Amounts are exact decimals as TEXT; amount_e4 is the same value rounded to
-- four decimals as an integer, used only to sort and filter by range.

CREATE TABLE inbound_files (
    id          INTEGER PRIMARY KEY,
    remote_id   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    partner     TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    raw         BLOB NOT NULL,
    received_at TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('received', 'split', 'failed')),
    error       TEXT NOT NULL DEFAULT '',
    acked_at    TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL
);
CREATE INDEX inbound_files_status ON inbound_files (status, received_at);
CREATE INDEX inbound_files_sha256 ON inbound_files (sha256);
CREATE INDEX inbound_files_unacked ON inbound_files (received_at) WHERE acked_at = '';

CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    type            TEXT NOT NULL CHECK (type IN ('810', '850', '997')),
    partner         TEXT NOT NULL DEFAULT '',
    supplier_id     TEXT NOT NULL DEFAULT '',
    business_key    TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    message         TEXT NOT NULL DEFAULT '',
    fix             TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    test_mode       INTEGER NOT NULL DEFAULT 0,
    inbound_file_id INTEGER REFERENCES inbound_files (id),
    related_id      INTEGER REFERENCES documents (id),
    ifs_company     TEXT NOT NULL DEFAULT '',
    ifs_invoice_id  INTEGER NOT NULL DEFAULT 0,
    cleo_id         TEXT NOT NULL DEFAULT '',
    cleo_name       TEXT NOT NULL DEFAULT '',
    isa_control     TEXT NOT NULL DEFAULT '',
    gs_control      TEXT NOT NULL DEFAULT '',
    st_control      TEXT NOT NULL DEFAULT '',
    content_hash    TEXT NOT NULL DEFAULT '',
    fingerprint     TEXT NOT NULL DEFAULT '',
    amount          TEXT NOT NULL DEFAULT '',
    amount_e4       INTEGER,
    currency        TEXT NOT NULL DEFAULT '',
    due_at          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX documents_created ON documents (created_at);
CREATE INDEX documents_status ON documents (status, created_at);
CREATE INDEX documents_key ON documents (business_key COLLATE NOCASE);
CREATE INDEX documents_partner ON documents (partner, created_at);
CREATE INDEX documents_supplier_key ON documents (supplier_id, business_key);
CREATE INDEX documents_fingerprint ON documents (fingerprint);
CREATE INDEX documents_content_hash ON documents (content_hash);
CREATE INDEX documents_cleo_name ON documents (cleo_name);
CREATE INDEX documents_file ON documents (inbound_file_id);
CREATE INDEX documents_related ON documents (related_id);

-- Bodies live apart from documents so that lists and searches over a million
-- rows never page in raw EDI.
CREATE TABLE document_bodies (
    document_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    raw_edi     BLOB,
    parsed      TEXT NOT NULL DEFAULT ''
);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER REFERENCES documents (id),
    subject     TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_document ON audit_events (document_id, id);
CREATE INDEX audit_subject ON audit_events (subject, id);
CREATE INDEX audit_action_at ON audit_events (action, at);
CREATE INDEX audit_at ON audit_events (at);

-- The head of the chain, updated in the same transaction as every event, so
-- that deleting the newest events is evident too.
CREATE TABLE audit_head (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    last_id INTEGER NOT NULL,
    hash    TEXT NOT NULL
);

CREATE TABLE exceptions (
    id           INTEGER PRIMARY KEY,
    document_id  INTEGER REFERENCES documents (id),
    subject      TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('open', 'resolved', 'ignored')),
    reason       TEXT NOT NULL,
    message      TEXT NOT NULL,
    fix          TEXT NOT NULL DEFAULT '',
    context      TEXT NOT NULL DEFAULT '{}',
    partner      TEXT NOT NULL DEFAULT '',
    supplier_id  TEXT NOT NULL DEFAULT '',
    business_key TEXT NOT NULL DEFAULT '',
    doc_type     TEXT NOT NULL DEFAULT '',
    amount       TEXT NOT NULL DEFAULT '',
    amount_e4    INTEGER,
    currency     TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    resolved_at  TEXT NOT NULL DEFAULT '',
    resolved_by  TEXT NOT NULL DEFAULT '',
    comment      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exceptions_state_created ON exceptions (state, created_at, id);
CREATE INDEX exceptions_state_reason ON exceptions (state, reason, created_at);
CREATE INDEX exceptions_state_partner ON exceptions (state, partner, created_at);
CREATE INDEX exceptions_state_supplier ON exceptions (state, supplier_id, created_at);
CREATE INDEX exceptions_state_amount ON exceptions (state, amount_e4, id);
CREATE INDEX exceptions_document ON exceptions (document_id, state);
CREATE UNIQUE INDEX exceptions_open_document ON exceptions (document_id)
    WHERE state = 'open' AND document_id IS NOT NULL;
CREATE UNIQUE INDEX exceptions_open_subject ON exceptions (subject, reason)
    WHERE state = 'open' AND document_id IS NULL;

-- Every mapping change is a new row; exactly one row per (kind, key) is
-- current. A deletion is a current row with deleted = 1.
CREATE TABLE mappings (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    current    INTEGER NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    value      TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    change     TEXT NOT NULL DEFAULT '{}',
    UNIQUE (kind, key, version)
);
CREATE UNIQUE INDEX mappings_current ON mappings (kind, key) WHERE current = 1;
CREATE INDEX mappings_changed ON mappings (changed_at);

CREATE TABLE partners (
    id                   TEXT PRIMARY KEY,
    alias                TEXT NOT NULL DEFAULT '',
    isa_qualifier        TEXT NOT NULL DEFAULT '',
    isa_id               TEXT NOT NULL DEFAULT '',
    our_qualifier        TEXT NOT NULL DEFAULT '',
    our_id               TEXT NOT NULL DEFAULT '',
    external_id          TEXT NOT NULL DEFAULT '',
    enabled              INTEGER NOT NULL DEFAULT 1,
    transport            TEXT NOT NULL DEFAULT '',
    mode                 TEXT NOT NULL DEFAULT 'live' CHECK (mode IN ('test', 'live')),
    ack_deadline_minutes INTEGER NOT NULL DEFAULT 0,
    updated_at           TEXT NOT NULL
);
CREATE INDEX partners_isa ON partners (isa_qualifier, isa_id);
CREATE INDEX partners_external ON partners (external_id);

CREATE TABLE suppliers (
    supplier_id  TEXT PRIMARY KEY,
    name         TEXT NOT NULL DEFAULT '',
    country_code TEXT NOT NULL DEFAULT '',
    currency     TEXT NOT NULL DEFAULT '',
    pay_term_id  TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL
);
CREATE INDEX suppliers_name ON suppliers (name COLLATE NOCASE);

CREATE TABLE code_parts (
    company     TEXT NOT NULL,
    code_part   TEXT NOT NULL,
    value       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    valid_from  TEXT NOT NULL DEFAULT '',
    valid_until TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (company, code_part, value)
);

CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY,
    flow        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'cancelled')),
    counts      TEXT NOT NULL DEFAULT '{}',
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_flow ON sync_runs (flow, id);

CREATE TABLE heartbeats (
    poller       TEXT PRIMARY KEY,
    last_attempt TEXT NOT NULL DEFAULT '',
    last_success TEXT NOT NULL DEFAULT '',
    last_error   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE cursors (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE sent_etags (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    etag        TEXT NOT NULL,
    document_id INTEGER REFERENCES documents (id),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE intents (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    partner      TEXT NOT NULL DEFAULT '',
    business_key TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    document_id  INTEGER REFERENCES documents (id),
    state        TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    result       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX intents_pending ON intents (created_at) WHERE state = 'pending';
CREATE INDEX intents_document ON intents (document_id);

CREATE TABLE control_numbers (
    sender   TEXT NOT NULL,
    receiver TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('ISA', 'GS', 'ST')),
    last     INTEGER NOT NULL,
    PRIMARY KEY (sender, receiver, kind)
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE schedules (
    flow       TEXT PRIMARY KEY,
    cron       TEXT NOT NULL,
    paused     INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
