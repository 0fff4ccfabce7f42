-- Row-level security audit (SPEC §3.4). Run as the owner against a migrated database:
--   psql -v ON_ERROR_STOP=1 -f infra/postgres/sql/rls-audit.sql "$DATABASE_MIGRATION_URL"
-- Lists every table of the domain schemas with its RLS state, then fails (exit 3) if any table has RLS off or
-- not forced, has no policy, or has a policy that does not go through the tenant helper. Policies granted only
-- to prospectflow_definer (the NOLOGIN owner of the narrow SECURITY DEFINER functions) are the one exception.
-- Changes nothing: everything runs in a transaction that is rolled back.
\set QUIET on
\pset footer off
BEGIN;

CREATE TEMP TABLE rls_audit_tables ON COMMIT DROP AS
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
       (SELECT count(*) FROM pg_policy p
         WHERE p.polrelid = c.oid
           AND (coalesce(pg_get_expr(p.polqual, p.polrelid), '') || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''))
               LIKE '%iam.current_organisation_id()%') AS tenant_policies,
       (SELECT string_agg(p.polname, ', ' ORDER BY p.polname) FROM pg_policy p
         WHERE p.polrelid = c.oid
           AND (coalesce(pg_get_expr(p.polqual, p.polrelid), '') || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''))
               NOT LIKE '%iam.current_organisation_id()%'
           AND NOT (p.polroles = ARRAY[(SELECT oid FROM pg_roles WHERE rolname = 'prospectflow_definer')]::oid[])
       ) AS policies_without_tenant_helper
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname IN ('iam', 'crm', 'outreach', 'tracking', 'audit');

\echo 'Tables of the domain schemas and their row-level security:'
SELECT schema_name, table_name, rls_enabled, rls_forced, policies, tenant_policies
  FROM rls_audit_tables ORDER BY schema_name, table_name;

CREATE TEMP TABLE rls_audit_findings ON COMMIT DROP AS
SELECT format('%I.%I', schema_name, table_name) AS table_name, 'row-level security is not enabled' AS problem
  FROM rls_audit_tables WHERE NOT rls_enabled
UNION ALL
SELECT format('%I.%I', schema_name, table_name), 'row-level security is not forced (the owner bypasses it)'
  FROM rls_audit_tables WHERE NOT rls_forced
UNION ALL
SELECT format('%I.%I', schema_name, table_name), 'row-level security is on but there is no policy'
  FROM rls_audit_tables WHERE rls_enabled AND policies = 0
UNION ALL
SELECT format('%I.%I', schema_name, table_name), 'no policy uses iam.current_organisation_id()'
  FROM rls_audit_tables WHERE policies > 0 AND tenant_policies = 0
UNION ALL
SELECT format('%I.%I', schema_name, table_name), 'policies not using the tenant helper: ' || policies_without_tenant_helper
  FROM rls_audit_tables WHERE policies_without_tenant_helper IS NOT NULL;

\echo 'Findings:'
SELECT table_name, problem FROM rls_audit_findings ORDER BY 1, 2;

DO $$
DECLARE
  findings int;
BEGIN
  SELECT count(*) INTO findings FROM rls_audit_findings;
  IF findings > 0 THEN
    RAISE EXCEPTION 'rls-audit: % finding(s), see the list above', findings;
  END IF;
  RAISE NOTICE 'rls-audit: no findings on % tables', (SELECT count(*) FROM rls_audit_tables);
END
$$;

ROLLBACK;
