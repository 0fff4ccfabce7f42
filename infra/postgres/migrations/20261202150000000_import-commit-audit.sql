-- Up Migration

-- The audit trigger function, for the import commit (ADR 0062):
-- 1. A summary mode, chosen per transaction by app.audit_mode = 'summary' (a transaction-local setting the
--    API sets only for an import commit, together with app.import_id). For crm.companies, crm.people and
--    crm.positions it writes one entry per inserted or updated row (who, when, table, row, operation, import)
--    without the values: the commit records them in crm.import_changes (the values of every row it created,
--    the old and new value of every field it changed), which the undo reads. Building a jsonb of every row
--    was about two thirds of the audit's cost in a bulk insert. Every other table, every DELETE, and any
--    transaction without an import id keep the full entries.
-- 2. Hash and merge joins and materialisation allowed inside the function whatever the caller set: the
--    natural-key merge turns them off for its own statements (only nested loops over unique indexes scale with
--    the batch, not the table), and the UPDATE branch's join of the transition tables must not become a
--    nested loop over them.
CREATE OR REPLACE FUNCTION audit.capture_changes() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET enable_hashjoin = on
  SET enable_mergejoin = on
  SET enable_material = on
AS $$
DECLARE
  v_tenant text := coalesce(TG_ARGV[0], 'organisation_id');
  v_user uuid := nullif(current_setting('app.user_id', true), '')::uuid;
  v_correlation text := left(nullif(current_setting('app.correlation_id', true), ''), 200);
BEGIN
  IF TG_OP <> 'DELETE'
     AND current_setting('app.audit_mode', true) = 'summary'
     AND nullif(current_setting('app.import_id', true), '') IS NOT NULL
     AND TG_TABLE_SCHEMA = 'crm' AND TG_TABLE_NAME IN ('companies', 'people', 'positions') THEN
    -- These three tables have organisation_id and id (plpgsql compiles this function once per table).
    INSERT INTO audit.audit_log (organisation_id, user_id, table_schema, table_name, row_id, operation,
                                 correlation_id)
    SELECT r.organisation_id, v_user, TG_TABLE_SCHEMA, TG_TABLE_NAME, r.id, TG_OP, v_correlation
      FROM new_rows r;
  ELSIF TG_OP = 'INSERT' THEN
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

-- Down Migration

CREATE OR REPLACE FUNCTION audit.capture_changes() RETURNS trigger
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
