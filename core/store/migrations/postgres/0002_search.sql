-- 0002 (PostgreSQL): fast search for the GUI.
-- SQLite uses FTS5 trigram tables; PostgreSQL's equivalent is pg_trgm: GIN
-- trigram indexes answer "contains" searches (ILIKE '%…%') on a million rows
-- as index lookups. pg_trgm is a trusted extension (PostgreSQL 13+), so the
-- database owner may create it without superuser rights.
-- Per-day dashboard counts read (created_at, type, direction) from the index alone.

DROP INDEX documents_created;
CREATE INDEX documents_created ON documents (created_at, type, direction);

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX documents_trgm ON documents USING gin (
    business_key gin_trgm_ops, partner gin_trgm_ops, supplier_id gin_trgm_ops, cleo_name gin_trgm_ops);
CREATE INDEX exceptions_trgm ON exceptions USING gin (
    business_key gin_trgm_ops, partner gin_trgm_ops, supplier_id gin_trgm_ops, message gin_trgm_ops,
    subject gin_trgm_ops);
