-- Schema validation (SPEC §3.4). Run against a freshly migrated database, nothing else set up:
--   psql -v ON_ERROR_STOP=1 -f infra/postgres/sql/validation-tests.sql "$DATABASE_MIGRATION_URL"
-- Checks schemas, composite tenant keys, foreign-key shapes, unique constraints and indexes, forced RLS, and
-- isolation between two organisations; fails (exit 3) on the first finding and leaves no trace (one
-- transaction, rolled back).
--
-- Who may run it: superusers and BYPASSRLS roles skip row-level security, even when it is forced, so an
-- isolation check under such a role would see every organisation's rows and report a false failure. The
-- checks therefore run under a role that RLS applies to: the invoking role when it is one (the owner, which
-- FORCE ROW LEVEL SECURITY binds, or prospectflow_app); else prospectflow_app, by SET LOCAL ROLE, when the
-- invoker may become it (a superuser may); else the script stops at once and says which role to use.
\set QUIET on
\set ON_ERROR_STOP on
\pset footer off
BEGIN;

\set script validation-tests
\set spoiled 'the isolation checks would prove nothing'
\ir lib/rls-subject.sql
DO $$
BEGIN
  IF NOT has_table_privilege('crm.companies', 'INSERT') OR NOT has_table_privilege('iam.organisations', 'INSERT') THEN
    RAISE EXCEPTION 'validation-tests: role % may not insert into crm.companies and iam.organisations, which the isolation checks need', current_user
      USING HINT = 'Run it as the schema owner (e.g. prospectflow_owner) or as prospectflow_app.';
  END IF;
END
$$;
SELECT format('validation-tests: checks run as %s (row-level security applies to it)', current_user) AS vt_role \gset
\echo :vt_role

-- Tenant tables: every table of iam, crm, outreach, tracking and audit with an organisation_id column, plus
-- iam.organisations, whose own id is the tenant key.
CREATE TEMP TABLE vt_tenant_tables ON COMMIT DROP AS
SELECT c.oid AS relid, format('%I.%I', n.nspname, c.relname) AS name,
       CASE WHEN n.nspname = 'iam' AND c.relname = 'organisations' THEN 'id' ELSE 'organisation_id' END AS tenant_column
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname IN ('iam', 'crm', 'outreach', 'tracking', 'audit')
   AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organisation_id' AND NOT a.attisdropped)
        OR (n.nspname = 'iam' AND c.relname = 'organisations'));

CREATE TEMP TABLE vt_findings (check_name text, object text, problem text) ON COMMIT DROP;

-- 1. Schemas.
INSERT INTO vt_findings
SELECT 'schemas', s, 'schema is missing'
  FROM unnest(ARRAY['iam', 'crm', 'outreach', 'tracking', 'audit']) s
 WHERE NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = s);

-- 2. Every tenant table has a primary key led by its tenant column.
INSERT INTO vt_findings
SELECT 'composite keys', t.name, 'no primary key led by ' || t.tenant_column
  FROM vt_tenant_tables t
 WHERE NOT EXISTS (
   SELECT 1 FROM pg_constraint k
    WHERE k.conrelid = t.relid AND k.contype = 'p'
      AND (SELECT attname FROM pg_attribute WHERE attrelid = t.relid AND attnum = k.conkey[1]) = t.tenant_column);

-- 3. Every unique constraint and every unique index of a tenant table includes the tenant column first.
--    (iam.organisations.slug is global by design: slugs are public URLs.)
INSERT INTO vt_findings
SELECT 'unique keys', format('%s (%s)', t.name, i.indexrelid::regclass), 'unique index not led by ' || t.tenant_column
  FROM vt_tenant_tables t
  JOIN pg_index i ON i.indrelid = t.relid AND i.indisunique
 WHERE (SELECT attname FROM pg_attribute WHERE attrelid = t.relid AND attnum = i.indkey[0]) IS DISTINCT FROM t.tenant_column
   AND i.indexrelid::regclass::text <> 'iam.organisations_slug_key';

-- 4. Every index of a tenant table leads with the tenant column, except the one cross-tenant login lookup.
INSERT INTO vt_findings
SELECT 'indexes', format('%s (%s)', t.name, i.indexrelid::regclass), 'index not led by ' || t.tenant_column
  FROM vt_tenant_tables t
  JOIN pg_index i ON i.indrelid = t.relid
 WHERE (SELECT attname FROM pg_attribute WHERE attrelid = t.relid AND attnum = i.indkey[0]) IS DISTINCT FROM t.tenant_column
   AND i.indexrelid::regclass::text NOT IN ('iam.organisations_slug_key', 'iam.organisation_users_by_user_idx');

-- 5. Foreign keys between tenant tables carry the tenant column on both sides, at the same position; the
--    only others allowed point at the global reference table iam.users.
INSERT INTO vt_findings
SELECT 'foreign keys', format('%s (%s)', t.name, k.conname),
       'foreign key to ' || k.confrelid::regclass || ' does not pair the tenant columns'
  FROM vt_tenant_tables t
  JOIN pg_constraint k ON k.conrelid = t.relid AND k.contype = 'f'
  JOIN vt_tenant_tables target ON target.relid = k.confrelid
 WHERE NOT EXISTS (
   SELECT 1 FROM generate_subscripts(k.conkey, 1) pos
    WHERE (SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid AND attnum = k.conkey[pos]) = t.tenant_column
      AND (SELECT attname FROM pg_attribute WHERE attrelid = k.confrelid AND attnum = k.confkey[pos]) = target.tenant_column);
INSERT INTO vt_findings
SELECT 'foreign keys', format('%s (%s)', t.name, k.conname), 'foreign key to a table that is neither a tenant table nor iam.users'
  FROM vt_tenant_tables t
  JOIN pg_constraint k ON k.conrelid = t.relid AND k.contype = 'f'
 WHERE k.confrelid NOT IN (SELECT relid FROM vt_tenant_tables)
   AND k.confrelid <> 'iam.users'::regclass;

-- 6. Row-level security enabled and forced on every tenant table (and on iam.users).
INSERT INTO vt_findings
SELECT 'row-level security', format('%I.%I', n.nspname, c.relname), 'RLS not enabled and forced'
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE (c.oid IN (SELECT relid FROM vt_tenant_tables) OR c.oid = 'iam.users'::regclass)
   AND NOT (c.relrowsecurity AND c.relforcerowsecurity);

-- 7. The application role: no superuser, no RLS bypass, and no write on the audit log.
INSERT INTO vt_findings
SELECT 'roles', rolname, 'must be NOSUPERUSER NOBYPASSRLS'
  FROM pg_roles WHERE rolname IN ('prospectflow_app', 'prospectflow_readonly', 'prospectflow_definer')
   AND (rolsuper OR rolbypassrls);
INSERT INTO vt_findings
SELECT 'roles', r, 'role is missing'
  FROM unnest(ARRAY['prospectflow_app', 'prospectflow_readonly', 'prospectflow_definer']) r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
INSERT INTO vt_findings
SELECT 'audit log', 'audit.audit_log', 'prospectflow_app may ' || p
  FROM unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE', 'INSERT']) p
 WHERE has_table_privilege('prospectflow_app', 'audit.audit_log', p);

\echo 'Structural findings:'
SELECT check_name, object, problem FROM vt_findings ORDER BY 1, 2;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM vt_findings) THEN
    RAISE EXCEPTION 'validation-tests: % structural finding(s), see the list above', (SELECT count(*) FROM vt_findings);
  END IF;
END
$$;

-- 8. Isolation between two organisations, under the role chosen above (RLS applies to it: see the top).
--    Only rows the application role may write are planted, so the same block runs as the owner and as
--    prospectflow_app; the deferred one-owner check never fires, since everything is rolled back.
DO $$
DECLARE
  org_a uuid := gen_random_uuid();
  org_b uuid := gen_random_uuid();
  seen int;
  refused boolean;
BEGIN
  IF NOT row_security_active('crm.companies') THEN
    RAISE EXCEPTION 'isolation: row-level security is not in effect for role % on crm.companies', current_user;
  END IF;
  PERFORM set_config('app.user_id', gen_random_uuid()::text, true);

  PERFORM set_config('app.organisation_id', org_a::text, true);
  INSERT INTO iam.organisations (id, name, slug) VALUES (org_a, 'Validation A', 'validation-a-' || left(org_a::text, 8));
  INSERT INTO crm.companies (organisation_id, name) VALUES (org_a, 'Company A');

  PERFORM set_config('app.organisation_id', org_b::text, true);
  INSERT INTO iam.organisations (id, name, slug) VALUES (org_b, 'Validation B', 'validation-b-' || left(org_b::text, 8));
  INSERT INTO crm.companies (organisation_id, name) VALUES (org_b, 'Company B');

  PERFORM set_config('app.organisation_id', org_a::text, true);
  SELECT count(*) INTO seen FROM crm.companies WHERE organisation_id = org_b;
  IF seen <> 0 THEN RAISE EXCEPTION 'isolation: organisation A sees % row(s) of B', seen; END IF;
  SELECT count(*) INTO seen FROM crm.companies;
  IF seen <> 1 THEN RAISE EXCEPTION 'isolation: organisation A sees % companies, expected its 1', seen; END IF;
  UPDATE crm.companies SET name = 'renamed' WHERE organisation_id = org_b;
  GET DIAGNOSTICS seen = ROW_COUNT;
  IF seen <> 0 THEN RAISE EXCEPTION 'isolation: organisation A updated % row(s) of B', seen; END IF;
  DELETE FROM crm.companies WHERE organisation_id = org_b;
  GET DIAGNOSTICS seen = ROW_COUNT;
  IF seen <> 0 THEN RAISE EXCEPTION 'isolation: organisation A deleted % row(s) of B', seen; END IF;

  refused := false;
  BEGIN
    INSERT INTO crm.companies (organisation_id, name) VALUES (org_b, 'planted by A');
  EXCEPTION WHEN insufficient_privilege THEN refused := true;
  END;
  IF NOT refused THEN RAISE EXCEPTION 'isolation: WITH CHECK let organisation A write a row of B'; END IF;

  PERFORM set_config('app.organisation_id', '', true);
  refused := false;
  BEGIN
    SELECT count(*) INTO seen FROM crm.companies;
  EXCEPTION WHEN SQLSTATE 'PF001' THEN refused := true;
  END;
  IF NOT refused THEN RAISE EXCEPTION 'isolation: with no organisation set, companies returned % row(s) instead of failing', seen; END IF;
  RAISE NOTICE 'validation-tests: structure and isolation checks passed as %', current_user;
END
$$;

ROLLBACK;
