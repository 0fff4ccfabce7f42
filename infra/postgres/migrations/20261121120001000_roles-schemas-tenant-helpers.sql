-- Up Migration

-- Cluster-wide roles. They are created only when missing because roles are shared by every database of the
-- cluster (test clones, restored copies); the down step therefore revokes this database's grants but never
-- drops a role (see doc/decisions/0003-roles-outlive-databases.md). No password is ever set here: operators set
-- it out of band (ALTER ROLE ... PASSWORD) so no secret lives in the repository.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prospectflow_app') THEN
    CREATE ROLE prospectflow_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prospectflow_readonly') THEN
    CREATE ROLE prospectflow_readonly LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
  END IF;
  -- Owns the SECURITY DEFINER functions that legitimately cross the tenant line; it cannot log in, and no
  -- login role is a member of it except the migration owner (needed to hand it function ownership).
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prospectflow_definer') THEN
    CREATE ROLE prospectflow_definer NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
  END IF;
END
$$;

DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'prospectflow_definer', 'MEMBER') THEN
    EXECUTE format('GRANT prospectflow_definer TO %I', current_user);
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO prospectflow_app', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO prospectflow_readonly', current_database());
END
$$;

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;

CREATE SCHEMA iam;
CREATE SCHEMA crm;
CREATE SCHEMA outreach;
CREATE SCHEMA tracking;
CREATE SCHEMA audit;

GRANT USAGE ON SCHEMA iam, crm, outreach, tracking, audit TO prospectflow_app, prospectflow_readonly, prospectflow_definer;

-- The tenant of the current transaction. Fails closed: an unset or empty setting raises instead of matching
-- nothing or everything. After a transaction-local set_config() ends, the setting reads as '' (not NULL) on
-- that connection, which is exactly the case a pooled server connection is in between two requests.
-- One exception: inside the narrow SECURITY DEFINER functions (current_user = prospectflow_definer) it returns
-- NULL, which matches no row, because PostgreSQL ORs permissive policies without a fixed order and the
-- definer's own policies must not be defeated by this one raising.
CREATE FUNCTION iam.current_organisation_id() RETURNS uuid
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  raw text := current_setting('app.organisation_id', true);
BEGIN
  IF raw IS NULL OR raw = '' THEN
    IF current_user = 'prospectflow_definer' THEN
      RETURN NULL;
    END IF;
    RAISE EXCEPTION 'tenant context missing: app.organisation_id is not set for this transaction'
      USING ERRCODE = 'PF001',
            HINT = 'Run tenant queries inside withTenantTransaction(), which sets it with set_config(..., true).';
  END IF;
  RETURN raw::uuid;
END
$$;

-- The acting user, or NULL for system work. Used by the audit trail and the users policy, never as a tenant key.
CREATE FUNCTION iam.current_user_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

-- Keeps updated_at honest whatever the caller sends.
CREATE FUNCTION iam.touch_updated_at() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION iam.current_organisation_id(), iam.current_user_id(), iam.touch_updated_at() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iam.current_organisation_id(), iam.current_user_id()
  TO prospectflow_app, prospectflow_readonly, prospectflow_definer;

-- Down Migration

DROP SCHEMA audit CASCADE;
DROP SCHEMA tracking CASCADE;
DROP SCHEMA outreach CASCADE;
DROP SCHEMA crm CASCADE;
DROP SCHEMA iam CASCADE;
DROP EXTENSION IF EXISTS citext;

DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM prospectflow_app, prospectflow_readonly', current_database());
END
$$;
