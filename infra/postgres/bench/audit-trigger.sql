-- Audit trigger cost for bulk writes: statement-level with transition tables (what the migrations install)
-- versus a row-level equivalent versus no audit at all. Run as the owner on a migrated scratch database:
--   psql -X -f infra/postgres/bench/audit-trigger.sql "$DATABASE_MIGRATION_URL"
-- Everything happens in one transaction that is rolled back. Prints one timing per variant.
\set QUIET on
\set rows 100000
BEGIN;
SELECT set_config('app.organisation_id', gen_random_uuid()::text, true) AS org \gset
SELECT set_config('app.user_id', gen_random_uuid()::text, true) AS usr \gset
ALTER TABLE crm.companies DROP CONSTRAINT companies_organisation_fkey; -- no organisation row needed here

CREATE FUNCTION pg_temp.audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit.audit_log (organisation_id, user_id, table_schema, table_name, row_id, operation, new_values)
  VALUES (NEW.organisation_id, nullif(current_setting('app.user_id', true), '')::uuid, TG_TABLE_SCHEMA,
          TG_TABLE_NAME, NEW.id, 'INSERT', jsonb_strip_nulls(to_jsonb(NEW)) - 'created_at' - 'updated_at');
  RETURN NULL;
END $$;

\timing on
\echo 'statement-level audit (installed):'
INSERT INTO crm.companies (organisation_id, name, siren)
SELECT :'org', 'Company ' || g, lpad(g::text, 9, '0') FROM generate_series(1, :rows) g;
\timing off
DELETE FROM crm.companies;

ALTER TABLE crm.companies DISABLE TRIGGER audit_insert;
ALTER TABLE crm.companies DISABLE TRIGGER audit_delete;
CREATE TRIGGER audit_row_insert AFTER INSERT ON crm.companies FOR EACH ROW EXECUTE FUNCTION pg_temp.audit_row();
\timing on
\echo 'row-level audit:'
INSERT INTO crm.companies (organisation_id, name, siren)
SELECT :'org', 'Company ' || g, lpad(g::text, 9, '0') FROM generate_series(1, :rows) g;
\timing off
DROP TRIGGER audit_row_insert ON crm.companies;
DELETE FROM crm.companies;

\timing on
\echo 'no audit:'
INSERT INTO crm.companies (organisation_id, name, siren)
SELECT :'org', 'Company ' || g, lpad(g::text, 9, '0') FROM generate_series(1, :rows) g;
\timing off
ROLLBACK;
