-- 0002: fast search for the GUI.
-- Trigram full-text indexes make "contains" searches (any part of a PO or
-- invoice number, partner, supplier, file name, exception message) index
-- lookups instead of scans of a million rows. They are external-content
-- tables kept in step by triggers, so the text is stored once.
-- Per-day dashboard counts read (created_at, type, direction) from the index alone.

DROP INDEX documents_created;
CREATE INDEX documents_created ON documents (created_at, type, direction);

CREATE VIRTUAL TABLE documents_fts USING fts5 (
    business_key, partner, supplier_id, cleo_name,
    content = 'documents', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts (rowid, business_key, partner, supplier_id, cleo_name)
    VALUES (new.id, new.business_key, new.partner, new.supplier_id, new.cleo_name);
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, business_key, partner, supplier_id, cleo_name)
    VALUES ('delete', old.id, old.business_key, old.partner, old.supplier_id, old.cleo_name);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE OF business_key, partner, supplier_id, cleo_name ON documents
WHEN old.business_key IS NOT new.business_key OR old.partner IS NOT new.partner
  OR old.supplier_id IS NOT new.supplier_id OR old.cleo_name IS NOT new.cleo_name
BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, business_key, partner, supplier_id, cleo_name)
    VALUES ('delete', old.id, old.business_key, old.partner, old.supplier_id, old.cleo_name);
    INSERT INTO documents_fts (rowid, business_key, partner, supplier_id, cleo_name)
    VALUES (new.id, new.business_key, new.partner, new.supplier_id, new.cleo_name);
END;
INSERT INTO documents_fts (documents_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE exceptions_fts USING fts5 (
    business_key, partner, supplier_id, message, subject,
    content = 'exceptions', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER exceptions_fts_insert AFTER INSERT ON exceptions BEGIN
    INSERT INTO exceptions_fts (rowid, business_key, partner, supplier_id, message, subject)
    VALUES (new.id, new.business_key, new.partner, new.supplier_id, new.message, new.subject);
END;
CREATE TRIGGER exceptions_fts_delete AFTER DELETE ON exceptions BEGIN
    INSERT INTO exceptions_fts (exceptions_fts, rowid, business_key, partner, supplier_id, message, subject)
    VALUES ('delete', old.id, old.business_key, old.partner, old.supplier_id, old.message, old.subject);
END;
CREATE TRIGGER exceptions_fts_update AFTER UPDATE OF business_key, partner, supplier_id, message, subject ON exceptions
WHEN old.business_key IS NOT new.business_key OR old.partner IS NOT new.partner
  OR old.supplier_id IS NOT new.supplier_id OR old.message IS NOT new.message OR old.subject IS NOT new.subject
BEGIN
    INSERT INTO exceptions_fts (exceptions_fts, rowid, business_key, partner, supplier_id, message, subject)
    VALUES ('delete', old.id, old.business_key, old.partner, old.supplier_id, old.message, old.subject);
    INSERT INTO exceptions_fts (rowid, business_key, partner, supplier_id, message, subject)
    VALUES (new.id, new.business_key, new.partner, new.supplier_id, new.message, new.subject);
END;
INSERT INTO exceptions_fts (exceptions_fts) VALUES ('rebuild');
