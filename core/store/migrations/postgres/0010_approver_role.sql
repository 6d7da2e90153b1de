-- One source of roles: the engine's approver (who may accept an invoice with
-- an override) joins clerk and admin here, replacing the engine's own
-- "roles" setting.
ALTER TABLE roles DROP CONSTRAINT roles_role_check;
ALTER TABLE roles ADD CONSTRAINT roles_role_check CHECK (role IN ('clerk', 'approver', 'admin'));
