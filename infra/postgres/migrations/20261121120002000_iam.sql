-- Up Migration

-- The tenant root. Its own id is the tenant key, so its policy compares id, not organisation_id.
CREATE TABLE iam.organisations (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organisations_pkey PRIMARY KEY (id),
  CONSTRAINT organisations_slug_key UNIQUE (slug),
  CONSTRAINT organisations_name_check CHECK (char_length(btrim(name)) BETWEEN 1 AND 200),
  CONSTRAINT organisations_slug_check CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$')
);

-- Global identities (a person can belong to several organisations): a reference table, not a tenant table.
-- cognito_sub is NULL for a user invited by e-mail who has not signed in yet.
CREATE TABLE iam.users (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  cognito_sub text,
  email citext NOT NULL,
  first_name text,
  last_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_pkey PRIMARY KEY (id),
  CONSTRAINT users_cognito_sub_key UNIQUE (cognito_sub),
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_email_check CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND char_length(email) <= 320),
  CONSTRAINT users_cognito_sub_check CHECK (cognito_sub IS NULL OR char_length(cognito_sub) BETWEEN 1 AND 128)
);

CREATE TABLE iam.organisation_users (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  role text NOT NULL,
  status text NOT NULL DEFAULT 'invited',
  invited_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organisation_users_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT organisation_users_user_key UNIQUE (organisation_id, user_id),
  CONSTRAINT organisation_users_organisation_fkey FOREIGN KEY (organisation_id)
    REFERENCES iam.organisations (id) ON DELETE CASCADE,
  CONSTRAINT organisation_users_user_fkey FOREIGN KEY (user_id) REFERENCES iam.users (id) ON DELETE CASCADE,
  CONSTRAINT organisation_users_invited_by_fkey FOREIGN KEY (invited_by) REFERENCES iam.users (id) ON DELETE SET NULL,
  CONSTRAINT organisation_users_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  CONSTRAINT organisation_users_status_check CHECK (status IN ('invited', 'active', 'disabled')),
  CONSTRAINT organisation_users_owner_active_check CHECK (role <> 'owner' OR status = 'active')
);

-- At most one owner per organisation, checked immediately...
CREATE UNIQUE INDEX organisation_users_one_owner_idx ON iam.organisation_users (organisation_id) WHERE role = 'owner';
CREATE INDEX organisation_users_user_idx ON iam.organisation_users (organisation_id, user_id, status);
-- The login lookup (a user's memberships across organisations) runs through iam.user_memberships(), the only
-- cross-tenant read, so it gets its own index rather than a tenant-led one.
CREATE INDEX organisation_users_by_user_idx ON iam.organisation_users (user_id);

-- ...and at least one, checked at commit so an ownership transfer can demote and promote in one transaction.
CREATE FUNCTION iam.assert_single_owner() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  org uuid;
  owners int;
BEGIN
  -- Separate branches: PL/pgSQL resolves record fields per statement, and organisations has no organisation_id.
  IF TG_TABLE_NAME = 'organisations' THEN
    org := NEW.id;
  ELSIF TG_OP = 'DELETE' THEN
    org := OLD.organisation_id;
  ELSE
    org := NEW.organisation_id;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM iam.organisations o WHERE o.id = org) THEN
    RETURN NULL; -- the organisation itself is being deleted
  END IF;
  SELECT count(*) INTO owners FROM iam.organisation_users ou WHERE ou.organisation_id = org AND ou.role = 'owner';
  IF owners <> 1 THEN
    RAISE EXCEPTION 'organisation % must have exactly one owner, found %', org, owners
      USING ERRCODE = '23514', CONSTRAINT = 'organisation_users_exactly_one_owner';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER organisation_users_exactly_one_owner
  AFTER INSERT OR UPDATE OF role, organisation_id OR DELETE ON iam.organisation_users
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION iam.assert_single_owner();
CREATE CONSTRAINT TRIGGER organisations_exactly_one_owner
  AFTER INSERT ON iam.organisations
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION iam.assert_single_owner();

CREATE TRIGGER organisations_touch BEFORE UPDATE ON iam.organisations
  FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER users_touch BEFORE UPDATE ON iam.users
  FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER organisation_users_touch BEFORE UPDATE ON iam.organisation_users
  FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

ALTER TABLE iam.organisations ENABLE ROW LEVEL SECURITY;
ALTER TABLE iam.organisations FORCE ROW LEVEL SECURITY;
ALTER TABLE iam.organisation_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE iam.organisation_users FORCE ROW LEVEL SECURITY;
ALTER TABLE iam.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE iam.users FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON iam.organisations
  USING (id = (SELECT iam.current_organisation_id()))
  WITH CHECK (id = (SELECT iam.current_organisation_id()));
CREATE POLICY tenant_isolation ON iam.organisation_users
  USING (organisation_id = (SELECT iam.current_organisation_id()))
  WITH CHECK (organisation_id = (SELECT iam.current_organisation_id()));
-- A user row is visible to the user themself and to the organisation they belong to; it fails closed like the
-- tenant tables because the membership branch needs the tenant setting.
CREATE POLICY tenant_isolation ON iam.users
  USING (
    id = (SELECT iam.current_user_id())
    OR id IN (SELECT ou.user_id FROM iam.organisation_users ou
              WHERE ou.organisation_id = (SELECT iam.current_organisation_id()))
  )
  WITH CHECK (
    id = (SELECT iam.current_user_id())
    OR id IN (SELECT ou.user_id FROM iam.organisation_users ou
              WHERE ou.organisation_id = (SELECT iam.current_organisation_id()))
  );

-- Policies for the NOLOGIN definer role only: what the narrow functions below need, nothing more.
CREATE POLICY definer_read ON iam.organisations FOR SELECT TO prospectflow_definer USING (true);
CREATE POLICY definer_read ON iam.organisation_users FOR SELECT TO prospectflow_definer USING (true);
CREATE POLICY definer_accept_invitation ON iam.organisation_users FOR UPDATE TO prospectflow_definer
  USING (status = 'invited') WITH CHECK (status = 'active');
CREATE POLICY definer_read ON iam.users FOR SELECT TO prospectflow_definer USING (true);
CREATE POLICY definer_insert ON iam.users FOR INSERT TO prospectflow_definer WITH CHECK (true);
CREATE POLICY definer_update ON iam.users FOR UPDATE TO prospectflow_definer USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE, DELETE ON iam.organisations, iam.organisation_users TO prospectflow_app;
GRANT SELECT, UPDATE ON iam.users TO prospectflow_app;
GRANT SELECT ON iam.organisations, iam.organisation_users, iam.users TO prospectflow_readonly;
GRANT SELECT ON iam.organisations, iam.organisation_users TO prospectflow_definer;
GRANT SELECT, INSERT, UPDATE ON iam.users TO prospectflow_definer;
GRANT UPDATE (status, updated_at) ON iam.organisation_users TO prospectflow_definer;

-- Cross-tenant function 1: the memberships of one user, for login and the session.
CREATE FUNCTION iam.user_memberships(p_user_id uuid)
  RETURNS TABLE (organisation_id uuid, organisation_name text, organisation_slug text, role text, status text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT o.id, o.name, o.slug, ou.role, ou.status
    FROM iam.organisation_users ou
    JOIN iam.organisations o ON o.id = ou.organisation_id
   WHERE ou.user_id = p_user_id
   ORDER BY o.name, o.id
$$;

-- Cross-tenant function 2: race-safe upsert of a Cognito identity. Claims a placeholder row created by an
-- invitation to the same e-mail, keeps e-mail and names in step with the token, and activates pending
-- invitations. Returns the user id and whether the row was created.
CREATE FUNCTION iam.sync_user(p_cognito_sub text, p_email citext, p_first_name text, p_last_name text)
  RETURNS TABLE (user_id uuid, created boolean, invitations_accepted integer)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_id uuid;
  v_created boolean := false;
  v_accepted integer;
BEGIN
  IF p_cognito_sub IS NULL OR p_cognito_sub = '' OR p_email IS NULL THEN
    RAISE EXCEPTION 'sync_user needs a subject and an e-mail' USING ERRCODE = '22023';
  END IF;

  -- Serialise concurrent first requests of one identity (and of one e-mail) without table locks.
  PERFORM pg_advisory_xact_lock(hashtextextended('iam.sync_user:' || lower(p_email::text), 0));

  SELECT u.id INTO v_id FROM iam.users u WHERE u.cognito_sub = p_cognito_sub;
  IF v_id IS NULL THEN
    UPDATE iam.users u SET cognito_sub = p_cognito_sub
     WHERE u.email = p_email AND u.cognito_sub IS NULL
     RETURNING u.id INTO v_id;
  END IF;
  IF v_id IS NULL THEN
    INSERT INTO iam.users AS u (cognito_sub, email, first_name, last_name)
    VALUES (p_cognito_sub, p_email, nullif(p_first_name, ''), nullif(p_last_name, ''))
    ON CONFLICT (cognito_sub) DO NOTHING
    RETURNING u.id INTO v_id;
    v_created := v_id IS NOT NULL;
    IF v_id IS NULL THEN
      SELECT u.id INTO v_id FROM iam.users u WHERE u.cognito_sub = p_cognito_sub;
    END IF;
  END IF;

  UPDATE iam.users u
     SET email = p_email,
         first_name = coalesce(nullif(p_first_name, ''), u.first_name),
         last_name = coalesce(nullif(p_last_name, ''), u.last_name)
   WHERE u.id = v_id
     AND (u.email IS DISTINCT FROM p_email
          OR (nullif(p_first_name, '') IS NOT NULL AND u.first_name IS DISTINCT FROM p_first_name)
          OR (nullif(p_last_name, '') IS NOT NULL AND u.last_name IS DISTINCT FROM p_last_name));

  UPDATE iam.organisation_users ou SET status = 'active'
   WHERE ou.user_id = v_id AND ou.status = 'invited';
  GET DIAGNOSTICS v_accepted = ROW_COUNT;

  RETURN QUERY SELECT v_id, v_created, v_accepted;
END
$$;

-- Cross-tenant function 3: the user id for an invitation e-mail, creating a placeholder identity if nobody
-- with that e-mail exists yet. Requires a tenant context so only a request scoped to an organisation can call it.
CREATE FUNCTION iam.ensure_user_for_invitation(p_email citext) RETURNS uuid
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_id uuid;
BEGIN
  PERFORM iam.current_organisation_id();
  INSERT INTO iam.users AS u (email) VALUES (p_email)
  ON CONFLICT (email) DO NOTHING
  RETURNING u.id INTO v_id;
  IF v_id IS NULL THEN
    SELECT u.id INTO v_id FROM iam.users u WHERE u.email = p_email;
  END IF;
  RETURN v_id;
END
$$;

-- ALTER ... OWNER needs the new owner to hold CREATE on the schema; it keeps ownership after the revoke.
GRANT CREATE ON SCHEMA iam TO prospectflow_definer;
ALTER FUNCTION iam.user_memberships(uuid) OWNER TO prospectflow_definer;
ALTER FUNCTION iam.sync_user(text, citext, text, text) OWNER TO prospectflow_definer;
ALTER FUNCTION iam.ensure_user_for_invitation(citext) OWNER TO prospectflow_definer;
REVOKE CREATE ON SCHEMA iam FROM prospectflow_definer;
REVOKE ALL ON FUNCTION iam.user_memberships(uuid), iam.sync_user(text, citext, text, text),
  iam.ensure_user_for_invitation(citext) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iam.user_memberships(uuid), iam.sync_user(text, citext, text, text),
  iam.ensure_user_for_invitation(citext) TO prospectflow_app;

-- Down Migration

DROP FUNCTION iam.ensure_user_for_invitation(citext);
DROP FUNCTION iam.sync_user(text, citext, text, text);
DROP FUNCTION iam.user_memberships(uuid);
DROP POLICY tenant_isolation ON iam.users;
DROP TABLE iam.organisation_users;
DROP TABLE iam.users;
DROP TABLE iam.organisations;
DROP FUNCTION iam.assert_single_owner();
