-- One source of roles: the engine's approver (who may accept an invoice with
-- an override) joins clerk and admin here, replacing the engine's own
-- "roles" setting. SQLite cannot alter a CHECK, so the table is rebuilt.
CREATE TABLE roles_new (
    os_user    TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('clerk', 'approver', 'admin')),
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL
);
INSERT INTO roles_new (os_user, role, granted_by, granted_at) SELECT os_user, role, granted_by, granted_at FROM roles;
DROP TABLE roles;
ALTER TABLE roles_new RENAME TO roles;
