-- Up Migration

-- User sync applies e-mail and names only from claims at least as recent as the last applied (ADR 0031), so
-- two overlapping first requests of one identity whose e-mail changed between their tokens end with the later
-- token's e-mail whatever order they commit in, and a replayed older token cannot revert it.
ALTER TABLE iam.users ADD COLUMN profile_issued_at timestamptz;
COMMENT ON COLUMN iam.users.profile_issued_at IS
  'When the token claims last applied to email, first_name and last_name were issued (iat)';

-- A new parameter changes the signature: the 4-argument version must go, or 4-argument calls become ambiguous.
DROP FUNCTION iam.sync_user(text, citext, text, text);

CREATE FUNCTION iam.sync_user(
  p_cognito_sub text,
  p_email citext,
  p_first_name text,
  p_last_name text,
  p_issued_at timestamptz DEFAULT NULL
)
  RETURNS TABLE (user_id uuid, created boolean, invitations_accepted integer)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_id uuid;
  v_created boolean := false;
  v_accepted integer;
  v_issued_at timestamptz := coalesce(p_issued_at, now());
BEGIN
  IF p_cognito_sub IS NULL OR p_cognito_sub = '' OR p_email IS NULL THEN
    RAISE EXCEPTION 'sync_user needs a subject and an e-mail' USING ERRCODE = '22023';
  END IF;

  -- Serialise concurrent syncs of one identity (whatever e-mail each token carries) and of one e-mail (an
  -- invitation placeholder claimed once), without table locks. Always subject first, then e-mail: one order
  -- for every caller, so two syncs cannot wait on each other.
  PERFORM pg_advisory_xact_lock(hashtextextended('iam.sync_user:sub:' || p_cognito_sub, 0));
  PERFORM pg_advisory_xact_lock(hashtextextended('iam.sync_user:' || lower(p_email::text), 0));

  SELECT u.id INTO v_id FROM iam.users u WHERE u.cognito_sub = p_cognito_sub;
  IF v_id IS NULL THEN
    UPDATE iam.users u SET cognito_sub = p_cognito_sub
     WHERE u.email = p_email AND u.cognito_sub IS NULL
     RETURNING u.id INTO v_id;
  END IF;
  IF v_id IS NULL THEN
    INSERT INTO iam.users AS u (cognito_sub, email, first_name, last_name, profile_issued_at)
    VALUES (p_cognito_sub, p_email, nullif(p_first_name, ''), nullif(p_last_name, ''), v_issued_at)
    ON CONFLICT (cognito_sub) DO NOTHING
    RETURNING u.id INTO v_id;
    v_created := v_id IS NOT NULL;
    IF v_id IS NULL THEN
      SELECT u.id INTO v_id FROM iam.users u WHERE u.cognito_sub = p_cognito_sub;
    END IF;
  END IF;

  -- Claims older than those already applied change nothing. profile_issued_at moves even when the values are
  -- the same, so that an older token carrying a former e-mail cannot slip in after a newer one.
  UPDATE iam.users u
     SET email = p_email,
         first_name = coalesce(nullif(p_first_name, ''), u.first_name),
         last_name = coalesce(nullif(p_last_name, ''), u.last_name),
         profile_issued_at = v_issued_at
   WHERE u.id = v_id
     AND (u.profile_issued_at IS NULL OR u.profile_issued_at <= v_issued_at)
     AND (u.profile_issued_at IS DISTINCT FROM v_issued_at
          OR u.email IS DISTINCT FROM p_email
          OR (nullif(p_first_name, '') IS NOT NULL AND u.first_name IS DISTINCT FROM p_first_name)
          OR (nullif(p_last_name, '') IS NOT NULL AND u.last_name IS DISTINCT FROM p_last_name));

  UPDATE iam.organisation_users ou SET status = 'active'
   WHERE ou.user_id = v_id AND ou.status = 'invited';
  GET DIAGNOSTICS v_accepted = ROW_COUNT;

  RETURN QUERY SELECT v_id, v_created, v_accepted;
END
$$;

-- ALTER ... OWNER needs the new owner to hold CREATE on the schema; it keeps ownership after the revoke.
GRANT CREATE ON SCHEMA iam TO prospectflow_definer;
ALTER FUNCTION iam.sync_user(text, citext, text, text, timestamptz) OWNER TO prospectflow_definer;
REVOKE CREATE ON SCHEMA iam FROM prospectflow_definer;
REVOKE ALL ON FUNCTION iam.sync_user(text, citext, text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iam.sync_user(text, citext, text, text, timestamptz) TO prospectflow_app;

-- Down Migration

DROP FUNCTION iam.sync_user(text, citext, text, text, timestamptz);

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

GRANT CREATE ON SCHEMA iam TO prospectflow_definer;
ALTER FUNCTION iam.sync_user(text, citext, text, text) OWNER TO prospectflow_definer;
REVOKE CREATE ON SCHEMA iam FROM prospectflow_definer;
REVOKE ALL ON FUNCTION iam.sync_user(text, citext, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iam.sync_user(text, citext, text, text) TO prospectflow_app;

ALTER TABLE iam.users DROP COLUMN profile_issued_at;
