-- Up Migration

CREATE TABLE audit.audit_log (
  organisation_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  user_id uuid,
  table_schema text NOT NULL,
  table_name text NOT NULL,
  row_id uuid,
  operation text NOT NULL,
  old_values jsonb,
  new_values jsonb,
  correlation_id text,
  CONSTRAINT audit_log_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT audit_log_operation_check CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE'))
);
CREATE INDEX audit_log_time_idx ON audit.audit_log (organisation_id, occurred_at DESC, id DESC);
CREATE INDEX audit_log_row_idx ON audit.audit_log (organisation_id, table_name, row_id, occurred_at DESC);
CREATE INDEX audit_log_user_idx ON audit.audit_log (organisation_id, user_id, occurred_at DESC);

-- Immutable for everyone, the owner included: an operator who must purge old entries disables this trigger
-- knowingly (doc/runbooks/backup-restore.md).
CREATE FUNCTION audit.reject_change() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION 'audit.audit_log is append-only (% refused)', TG_OP USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit.audit_log
  FOR EACH ROW EXECUTE FUNCTION audit.reject_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_change();

ALTER TABLE audit.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit.audit_log FOR SELECT
  USING (organisation_id = (SELECT iam.current_organisation_id()));
-- Only the trigger function (owned by the definer role) writes; a row-level policy here would force every
-- cross-tenant definer function to fake a tenant just to be audited.
CREATE POLICY definer_insert ON audit.audit_log FOR INSERT TO prospectflow_definer WITH CHECK (true);

GRANT SELECT ON audit.audit_log TO prospectflow_app, prospectflow_readonly;
GRANT INSERT ON audit.audit_log TO prospectflow_definer;

-- Statement-level with transition tables: one set-based INSERT per statement, so a 100k-row import writes its
-- audit trail in one pass instead of 100k trigger calls (measured in doc/decisions/0004-audit-statement-level.md).
-- Only changed fields are kept; updated_at alone is not a change. TG_ARGV[0] names the tenant column.
CREATE FUNCTION audit.capture_changes() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tenant text := coalesce(TG_ARGV[0], 'organisation_id');
  v_user uuid := nullif(current_setting('app.user_id', true), '')::uuid;
  v_correlation text := left(nullif(current_setting('app.correlation_id', true), ''), 200);
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit.audit_log (organisation_id, user_id, table_schema, table_name, row_id, operation, new_values,
                                 correlation_id)
    SELECT (n.j ->> v_tenant)::uuid, v_user, TG_TABLE_SCHEMA, TG_TABLE_NAME, (n.j ->> 'id')::uuid, 'INSERT',
           jsonb_strip_nulls(n.j) - 'created_at' - 'updated_at', v_correlation
      FROM (SELECT to_jsonb(r) AS j FROM new_rows r) n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit.audit_log (organisation_id, user_id, table_schema, table_name, row_id, operation, old_values,
                                 correlation_id)
    SELECT (o.j ->> v_tenant)::uuid, v_user, TG_TABLE_SCHEMA, TG_TABLE_NAME, (o.j ->> 'id')::uuid, 'DELETE',
           o.j, v_correlation
      FROM (SELECT to_jsonb(r) AS j FROM old_rows r) o;
  ELSE
    INSERT INTO audit.audit_log (organisation_id, user_id, table_schema, table_name, row_id, operation, old_values,
                                 new_values, correlation_id)
    SELECT (n.j ->> v_tenant)::uuid, v_user, TG_TABLE_SCHEMA, TG_TABLE_NAME, (n.j ->> 'id')::uuid, 'UPDATE',
           d.old_values, d.new_values, v_correlation
      FROM (SELECT to_jsonb(r) AS j FROM new_rows r) n
      JOIN (SELECT to_jsonb(r) AS j FROM old_rows r) o
        ON o.j ->> 'id' = n.j ->> 'id' AND o.j ->> v_tenant = n.j ->> v_tenant
     CROSS JOIN LATERAL (
       SELECT jsonb_object_agg(k.key, o.j -> k.key) AS old_values, jsonb_object_agg(k.key, k.value) AS new_values
         FROM jsonb_each(n.j) k
        WHERE k.key <> 'updated_at' AND k.value IS DISTINCT FROM o.j -> k.key
     ) d
     WHERE d.new_values IS NOT NULL;
  END IF;
  RETURN NULL;
END
$$;
-- ALTER ... OWNER needs the new owner to hold CREATE on the schema; it keeps ownership after the revoke.
GRANT CREATE ON SCHEMA audit TO prospectflow_definer;
ALTER FUNCTION audit.capture_changes() OWNER TO prospectflow_definer;
REVOKE CREATE ON SCHEMA audit FROM prospectflow_definer;
REVOKE ALL ON FUNCTION audit.capture_changes() FROM PUBLIC;

-- Attach the three statement triggers (one per event: PostgreSQL allows transition tables on single-event
-- triggers only) to every audited table.
CREATE FUNCTION audit.attach(p_table regclass, p_tenant_column text DEFAULT 'organisation_id') RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER audit_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows
                  FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes(%L)', p_table, p_tenant_column);
  EXECUTE format('CREATE TRIGGER audit_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                  FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes(%L)', p_table, p_tenant_column);
  EXECUTE format('CREATE TRIGGER audit_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows
                  FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes(%L)', p_table, p_tenant_column);
END
$$;
REVOKE ALL ON FUNCTION audit.attach(regclass, text) FROM PUBLIC;

DO $$
BEGIN
  PERFORM audit.attach('iam.organisations', 'id');
  PERFORM audit.attach(t::regclass) FROM unnest(ARRAY[
  'iam.organisation_users', 'crm.companies', 'crm.people', 'crm.positions', 'crm.imports',
  'outreach.campaigns', 'outreach.prompts', 'outreach.workflow_steps', 'outreach.step_experiments',
  'outreach.step_experiment_variants', 'outreach.campaign_enrollments', 'outreach.tasks', 'outreach.messages',
  'tracking.pixels']) AS t;
END
$$;

-- Down Migration

DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT DISTINCT tgrelid::regclass AS tbl FROM pg_trigger
            WHERE tgname IN ('audit_insert', 'audit_update', 'audit_delete') AND NOT tgisinternal LOOP
    EXECUTE format('DROP TRIGGER audit_insert ON %s', r.tbl);
    EXECUTE format('DROP TRIGGER audit_update ON %s', r.tbl);
    EXECUTE format('DROP TRIGGER audit_delete ON %s', r.tbl);
  END LOOP;
END
$$;
DROP FUNCTION audit.attach(regclass, text);
DROP FUNCTION audit.capture_changes();
DROP TABLE audit.audit_log;
DROP FUNCTION audit.reject_change();
