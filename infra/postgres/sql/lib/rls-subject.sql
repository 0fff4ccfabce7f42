-- Included (\ir) by rls-audit.sql and validation-tests.sql inside their transaction, with :script (the
-- including script's name) and :spoiled (what a role that skips row-level security would spoil) set.
-- Superusers and BYPASSRLS roles skip row-level security, even when it is forced. The checks run under a role
-- that RLS applies to: the invoking role when it is one (the owner, bound by FORCE ROW LEVEL SECURITY, or
-- prospectflow_app); else prospectflow_app, by SET LOCAL ROLE, when the invoker may become it (a superuser
-- may); else the script stops at once and says which role to use.
SELECT NOT (r.rolsuper OR r.rolbypassrls) AS subject_to_rls,
       CASE WHEN NOT EXISTS (SELECT 1 FROM pg_roles a WHERE a.rolname = 'prospectflow_app'
                                AND NOT a.rolsuper AND NOT a.rolbypassrls) THEN false
            WHEN current_setting('server_version_num')::int >= 160000
              THEN pg_has_role(current_user, 'prospectflow_app', 'SET')
            ELSE pg_has_role(current_user, 'prospectflow_app', 'MEMBER') END AS may_become_app
  FROM pg_roles r WHERE r.rolname = current_user \gset rls_subject_
\if :rls_subject_subject_to_rls
\elif :rls_subject_may_become_app
SET LOCAL ROLE prospectflow_app;
\else
-- psql does not interpolate its variables inside a dollar-quoted body: they go through settings.
SELECT set_config('pf_check.script', :'script', true), set_config('pf_check.spoiled', :'spoiled', true) \gset
DO $$
BEGIN
  RAISE EXCEPTION '%: role % bypasses row-level security (superuser or BYPASSRLS) and may not SET ROLE prospectflow_app, so %',
    current_setting('pf_check.script'), current_user, current_setting('pf_check.spoiled')
    USING HINT = 'Run it as the schema owner (e.g. prospectflow_owner: NOBYPASSRLS, bound by FORCE ROW LEVEL SECURITY), as prospectflow_app, or as a superuser (which switches to prospectflow_app by itself).';
END
$$;
\endif
