-- Append-only audit trail. Two lines of defence:
--   1. the application role (<schema>_app) gets INSERT and SELECT on it, nothing else;
--   2. a trigger rejects UPDATE, DELETE and TRUNCATE for everybody, owners and superusers included.
-- The role name is derived from the schema so parallel test schemas never share a role.

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    subject     text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_subject ON audit_log (subject, recorded_at);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

DO $$
DECLARE
    app_role text := current_schema() || '_app';
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app_role) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN', app_role);
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), app_role);
    EXECUTE format(
        'GRANT SELECT, INSERT, UPDATE, DELETE ON instruments, orders, fills, positions, '
        'account_snapshots, component_status TO %I', app_role);
    -- Promotion records are evidence, like the audit log: written once, never rewritten.
    EXECUTE format('GRANT SELECT, INSERT ON audit_log, promotion_records TO %I', app_role);
END
$$;
