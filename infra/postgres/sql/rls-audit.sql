-- Row-level security audit (SPEC §3.4). Run against a migrated database:
--   psql -v ON_ERROR_STOP=1 -f infra/postgres/sql/rls-audit.sql "$DATABASE_MIGRATION_URL"
-- Lists every table of the domain schemas with its RLS state, then fails (exit 3) if any table has RLS off or
-- not forced, has no policy, has a policy that does not go through the tenant helper, or is not under RLS for
-- the role the audit runs as. Policies granted only to prospectflow_definer (the NOLOGIN owner of the narrow
-- SECURITY DEFINER functions) are the one exception. Changes nothing: everything runs in a transaction that
-- is rolled back.
--
-- Who may run it: superusers and BYPASSRLS roles skip row-level security, even when it is forced, so "is RLS
-- in effect" means nothing under them. The audit runs under a role that RLS applies to: the invoking role
-- when it is one (the owner, bound by FORCE ROW LEVEL SECURITY, or prospectflow_app); else prospectflow_app,
-- by SET LOCAL ROLE, when the invoker may become it (a superuser may); else it stops at once and says which
-- role to use.
\set QUIET on
\set ON_ERROR_STOP on
\pset footer off
BEGIN;

\set script rls-audit
\set spoiled 'whether RLS is in effect cannot be checked under it'
\ir lib/rls-subject.sql
SELECT format('rls-audit: runs as %s (row-level security applies to it)', current_user) AS rls_audit_role \gset
\echo :rls_audit_role

CREATE TEMP TABLE rls_audit_tables ON COMMIT DROP AS
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       row_security_active(c.oid) AS rls_in_effect,
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
SELECT schema_name, table_name, rls_enabled, rls_forced, rls_in_effect, policies, tenant_policies
  FROM rls_audit_tables ORDER BY schema_name, table_name;

CREATE TEMP TABLE rls_audit_findings ON COMMIT DROP AS
SELECT format('%I.%I', schema_name, table_name) AS table_name, 'row-level security is not enabled' AS problem
  FROM rls_audit_tables WHERE NOT rls_enabled
UNION ALL
SELECT format('%I.%I', schema_name, table_name), 'row-level security is not forced (the owner bypasses it)'
  FROM rls_audit_tables WHERE NOT rls_forced
UNION ALL
SELECT format('%I.%I', schema_name, table_name), 'row-level security is not in effect for ' || current_user
  FROM rls_audit_tables WHERE rls_enabled AND NOT rls_in_effect
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
  RAISE NOTICE 'rls-audit: no findings on % tables, as %', (SELECT count(*) FROM rls_audit_tables), current_user;
END
$$;

ROLLBACK;
