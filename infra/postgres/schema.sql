--
-- PostgreSQL database dump
--

--
-- Name: audit; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA audit;

--
-- Name: crm; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA crm;

--
-- Name: iam; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA iam;

--
-- Name: outreach; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA outreach;

--
-- Name: tracking; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA tracking;

--
-- Name: citext; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;

--
-- Name: EXTENSION citext; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION citext IS 'data type for case-insensitive character strings';

--
-- Name: attach(regclass, text); Type: FUNCTION; Schema: audit; Owner: -
--

CREATE FUNCTION audit.attach(p_table regclass, p_tenant_column text DEFAULT 'organisation_id'::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

--
-- Name: capture_changes(); Type: FUNCTION; Schema: audit; Owner: -
--

CREATE FUNCTION audit.capture_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_hashjoin TO 'on'
    SET enable_mergejoin TO 'on'
    SET enable_material TO 'on'
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

--
-- Name: reject_change(); Type: FUNCTION; Schema: audit; Owner: -
--

CREATE FUNCTION audit.reject_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  RAISE EXCEPTION 'audit.audit_log is append-only (% refused)', TG_OP USING ERRCODE = '42501';
END
$$;

--
-- Name: claim_import_job(text, integer, integer); Type: FUNCTION; Schema: crm; Owner: -
--

CREATE FUNCTION crm.claim_import_job(p_worker text, p_lease_seconds integer, p_max_attempts integer) RETURNS TABLE(organisation_id uuid, import_id uuid, job text, attempt integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_row record;
BEGIN
  IF p_worker IS NULL OR p_worker = '' OR p_lease_seconds NOT BETWEEN 1 AND 3600 THEN
    RAISE EXCEPTION 'claim_import_job: a worker name and a lease of 1 to 3600 seconds are required'
      USING ERRCODE = '22023';
  END IF;
  -- A job whose worker died too often is failed rather than retried for ever.
  UPDATE crm.imports i
     SET job_state = 'failed', status = 'failed', lease_owner = NULL, lease_expires_at = NULL,
         job_error = 'the job was interrupted ' || i.job_attempts || ' times', finished_at = now()
   WHERE i.job_state = 'running' AND i.lease_expires_at < now() AND i.job_attempts >= p_max_attempts;
  SELECT i.organisation_id, i.id, i.job, i.job_attempts INTO v_row
    FROM crm.imports i
   WHERE i.job_state = 'queued' OR (i.job_state = 'running' AND i.lease_expires_at < now())
   ORDER BY i.updated_at
   LIMIT 1
     FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  UPDATE crm.imports i
     SET job_state = 'running', lease_owner = p_worker,
         lease_expires_at = now() + make_interval(secs => p_lease_seconds),
         job_attempts = i.job_attempts + 1, job_started_at = coalesce(i.job_started_at, now())
   WHERE i.organisation_id = v_row.organisation_id AND i.id = v_row.id;
  organisation_id := v_row.organisation_id;
  import_id := v_row.id;
  job := v_row.job;
  attempt := v_row.job_attempts + 1;
  RETURN NEXT;
END
$$;

--
-- Name: imports_to_purge(integer, integer); Type: FUNCTION; Schema: crm; Owner: -
--

CREATE FUNCTION crm.imports_to_purge(p_retention_seconds integer, p_limit integer) RETURNS TABLE(organisation_id uuid, import_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT i.organisation_id, i.id FROM crm.imports i
   WHERE i.staged_purged_at IS NULL
     AND i.updated_at < now() - make_interval(secs => p_retention_seconds)
     AND (i.job_state IS NULL OR i.job_state NOT IN ('queued', 'running'))
   ORDER BY i.updated_at
   LIMIT p_limit
$$;

--
-- Name: search_key(text); Type: FUNCTION; Schema: crm; Owner: -
--

CREATE FUNCTION crm.search_key(p_value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.lower(pg_catalog.regexp_replace(pg_catalog.normalize(p_value, 'NFD'), '[\u0300-\u036f]', '', 'g')) $$;

--
-- Name: assert_single_owner(); Type: FUNCTION; Schema: iam; Owner: -
--

CREATE FUNCTION iam.assert_single_owner() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

--
-- Name: current_organisation_id(); Type: FUNCTION; Schema: iam; Owner: -
--

CREATE FUNCTION iam.current_organisation_id() RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

--
-- Name: current_user_id(); Type: FUNCTION; Schema: iam; Owner: -
--

CREATE FUNCTION iam.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

--
-- Name: ensure_user_for_invitation(public.citext); Type: FUNCTION; Schema: iam; Owner: -
--

CREATE FUNCTION iam.ensure_user_for_invitation(p_email public.citext) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
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

--
-- Name: sync_user(text, public.citext, text, text, timestamp with time zone); Type: FUNCTION; Schema: iam; Owner: -
--

CREATE FUNCTION iam.sync_user(p_cognito_sub text, p_email public.citext, p_first_name text, p_last_name text, p_issued_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS TABLE(user_id uuid, created boolean, invitations_accepted integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
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

--
-- Name: touch_updated_at(); Type: FUNCTION; Schema: iam; Owner: -
--

CREATE FUNCTION iam.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

--
-- Name: user_memberships(uuid); Type: FUNCTION; Schema: iam; Owner: -
--

CREATE FUNCTION iam.user_memberships(p_user_id uuid) RETURNS TABLE(organisation_id uuid, organisation_name text, organisation_slug text, role text, status text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT o.id, o.name, o.slug, ou.role, ou.status
    FROM iam.organisation_users ou
    JOIN iam.organisations o ON o.id = ou.organisation_id
   WHERE ou.user_id = p_user_id
   ORDER BY o.name, o.id
$$;

--
-- Name: assert_campaign_transition(); Type: FUNCTION; Schema: outreach; Owner: -
--

CREATE FUNCTION outreach.assert_campaign_transition() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'draft' AND NEW.status = 'running')
    OR (OLD.status = 'running' AND NEW.status = 'paused')
    OR (OLD.status = 'paused' AND NEW.status IN ('running', 'archived'))) THEN
    RAISE EXCEPTION 'campaign status cannot move from % to %', OLD.status, NEW.status
      USING ERRCODE = '23514', CONSTRAINT = 'campaigns_status_transition';
  END IF;
  RETURN NEW;
END
$$;

--
-- Name: assert_enrollment_transition(); Type: FUNCTION; Schema: outreach; Owner: -
--

CREATE FUNCTION outreach.assert_enrollment_transition() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF NEW.state IS DISTINCT FROM OLD.state THEN
    IF NOT (
         (OLD.state IN ('active', 'paused')
          AND NEW.state IN ('active', 'paused', 'replied', 'bounced', 'unsubscribed', 'finished'))
      OR (OLD.state = 'replied' AND NEW.state = 'unsubscribed')
      OR (OLD.state = 'finished' AND NEW.state IN ('replied', 'bounced', 'unsubscribed'))) THEN
      RAISE EXCEPTION 'enrolment state cannot move from % to %', OLD.state, NEW.state
        USING ERRCODE = '23514', CONSTRAINT = 'campaign_enrollments_state_transition';
    END IF;
    NEW.state_changed_at := now();
  END IF;
  RETURN NEW;
END
$$;

--
-- Name: record_enrollment_states(); Type: FUNCTION; Schema: outreach; Owner: -
--

CREATE FUNCTION outreach.record_enrollment_states() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO outreach.enrollment_state_changes (organisation_id, enrollment_id, campaign_id, state)
    SELECT n.organisation_id, n.id, n.campaign_id, n.state FROM new_rows n;
  ELSE
    INSERT INTO outreach.enrollment_state_changes (organisation_id, enrollment_id, campaign_id, state)
    SELECT n.organisation_id, n.id, n.campaign_id, n.state
      FROM new_rows n JOIN old_rows o ON o.organisation_id = n.organisation_id AND o.id = n.id
     WHERE n.state IS DISTINCT FROM o.state;
  END IF;
  RETURN NULL;
END
$$;

--
-- Name: new_pixel_token(uuid); Type: FUNCTION; Schema: tracking; Owner: -
--

CREATE FUNCTION tracking.new_pixel_token(p_organisation_id uuid) RETURNS text
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT replace(p_organisation_id::text, '-', '') || md5(gen_random_uuid()::text || gen_random_uuid()::text) $$;

--
-- Name: record_open(text, text); Type: FUNCTION; Schema: tracking; Owner: -
--

CREATE FUNCTION tracking.record_open(p_token text, p_visitor_hash text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  RETURN tracking.record_opens(ARRAY[p_token], ARRAY[p_visitor_hash], ARRAY['human'], ARRAY[now()], 0) > 0;
END
$$;

--
-- Name: record_opens(text[], text[], text[], timestamp with time zone[], integer); Type: FUNCTION; Schema: tracking; Owner: -
--

CREATE FUNCTION tracking.record_opens(p_tokens text[], p_visitors text[], p_verdicts text[], p_opened_at timestamp with time zone[], p_scanner_window_seconds integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_previous text := current_setting('app.organisation_id', true);
  v_org uuid;
  v_count integer;
  v_recorded integer := 0;
  v_ords bigint[];
  v_visitors text[];
  v_opened timestamptz[];
  v_messages uuid[];
  v_campaigns uuid[];
  v_verdicts text[];
BEGIN
  IF cardinality(p_tokens) IS DISTINCT FROM cardinality(p_visitors)
     OR cardinality(p_tokens) IS DISTINCT FROM cardinality(p_verdicts)
     OR cardinality(p_tokens) IS DISTINCT FROM cardinality(p_opened_at) THEN
    RAISE EXCEPTION 'record_opens: the four arrays must have the same length' USING ERRCODE = '22023';
  END IF;
  IF cardinality(p_tokens) > 10000 THEN
    RAISE EXCEPTION 'record_opens: at most 10000 opens per call' USING ERRCODE = '22023';
  END IF;
  IF p_scanner_window_seconds IS NULL OR p_scanner_window_seconds NOT BETWEEN 0 AND 3600 THEN
    RAISE EXCEPTION 'record_opens: the scanner window must be 0 to 3600 seconds' USING ERRCODE = '22023';
  END IF;

  -- Shapes are checked by length and an unbounded class: PostgreSQL's regular expressions pay for bounded
  -- repetition ({64}, {1,128}) on every row, about 7 µs of the open's cost where these take 0.5.
  FOR v_org IN
    SELECT DISTINCT left(t, 32)::uuid FROM unnest(p_tokens) AS t
     WHERE length(t) = 64 AND t ~ '^[0-9a-f]+$' ORDER BY 1
  LOOP
    PERFORM set_config('app.organisation_id', v_org::text, true);
    -- 1. The organisation's opens with their pixels and messages. The shape checks make the planner take the
    -- batch for one row, which suits these lookups.
    SELECT array_agg(b.ord ORDER BY b.ord), array_agg(b.visitor ORDER BY b.ord), array_agg(b.opened_at ORDER BY b.ord),
           array_agg(p.message_id ORDER BY b.ord), array_agg(p.campaign_id ORDER BY b.ord),
           array_agg(CASE WHEN b.verdict = 'human' AND m.sent_at IS NOT NULL
                               AND b.opened_at < m.sent_at + make_interval(secs => p_scanner_window_seconds)
                          THEN 'security_scanner' ELSE b.verdict END ORDER BY b.ord)
      INTO v_ords, v_visitors, v_opened, v_messages, v_campaigns, v_verdicts
      FROM unnest(p_tokens, p_visitors, p_verdicts, p_opened_at) WITH ORDINALITY AS b(token, visitor, verdict, opened_at, ord)
      JOIN tracking.pixels p ON p.organisation_id = v_org AND p.token = b.token
      LEFT JOIN outreach.messages m ON m.organisation_id = v_org AND m.id = p.message_id
     WHERE length(b.token) = 64 AND b.token ~ '^[0-9a-f]+$' AND left(b.token, 32)::uuid = v_org
       AND length(b.visitor) BETWEEN 1 AND 128 AND b.visitor ~ '^[A-Za-z0-9_.:-]+$'
       AND b.verdict IN ('human', 'apple_privacy_prefetch', 'google_image_proxy', 'security_scanner', 'unknown_bot')
       AND b.opened_at IS NOT NULL;
    CONTINUE WHEN v_ords IS NULL;

    -- 2. Counted and written, from the arrays of step 1. This was one statement with step 1, and the planner
    -- then took every step of the batch for one row: it joined the batch with itself (the first opens with the
    -- readers that are new, each message's opens with its new ones) by nested loops, the batch's size squared
    -- (10,000 new readers: 4 to 5.6 s a call). Unfiltered, the arrays' size is known and these are hash joins
    -- (test/api/tracking-record-opens.test.ts reads the plans).
    WITH opens AS (
      SELECT o.ord, o.visitor, o.opened_at, o.message_id, o.campaign_id, o.verdict
        FROM unnest(v_ords, v_visitors, v_opened, v_messages, v_campaigns, v_verdicts)
             AS o(ord, visitor, opened_at, message_id, campaign_id, verdict)
    ), firsts AS (
      SELECT DISTINCT ON (o.message_id, o.visitor) o.message_id, o.campaign_id, o.visitor, o.opened_at, o.verdict
        FROM opens o ORDER BY o.message_id, o.visitor, o.opened_at, o.ord
    ), new_visitors AS (
      INSERT INTO tracking.pixel_opens (organisation_id, message_id, visitor_hash, first_seen_at)
      SELECT v_org, f.message_id, f.visitor, f.opened_at FROM firsts f ORDER BY f.message_id, f.visitor
      ON CONFLICT ON CONSTRAINT pixel_opens_visitor_key DO NOTHING
      RETURNING message_id, visitor_hash
    ), new_firsts AS (
      SELECT f.* FROM firsts f JOIN new_visitors n ON n.message_id = f.message_id AND n.visitor_hash = f.visitor
    ), per_message AS (
      SELECT o.message_id, min(o.opened_at) AS first_at, max(o.opened_at) AS last_at, count(*)::integer AS opens,
             (count(*) FILTER (WHERE o.verdict = 'human'))::integer AS human_opens
        FROM opens o GROUP BY o.message_id
    ), per_message_new AS (
      SELECT nf.message_id, count(*)::integer AS uniques,
             (count(*) FILTER (WHERE nf.verdict = 'human'))::integer AS human_uniques
        FROM new_firsts nf GROUP BY nf.message_id
    ), message_rows AS (
      INSERT INTO tracking.message_open_stats AS s
             (organisation_id, message_id, first_open_at, last_open_at, total_opens, unique_opens, human_opens,
              human_unique_opens)
      SELECT v_org, pm.message_id, pm.first_at, pm.last_at, pm.opens, coalesce(pn.uniques, 0), pm.human_opens,
             coalesce(pn.human_uniques, 0)
        FROM per_message pm LEFT JOIN per_message_new pn ON pn.message_id = pm.message_id
       ORDER BY pm.message_id
      ON CONFLICT ON CONSTRAINT message_open_stats_pkey DO UPDATE
         SET first_open_at = least(s.first_open_at, excluded.first_open_at),
             last_open_at = greatest(s.last_open_at, excluded.last_open_at),
             total_opens = s.total_opens + excluded.total_opens,
             unique_opens = s.unique_opens + excluded.unique_opens,
             human_opens = s.human_opens + excluded.human_opens,
             human_unique_opens = s.human_unique_opens + excluded.human_unique_opens
      RETURNING 1
    ), bucket_counts AS (
      SELECT o.campaign_id, date_bin('15 minutes', o.opened_at, timestamptz '2000-01-01 00:00:00+00') AS bucket_start,
             o.verdict, 1 AS opens, 0 AS uniques
        FROM opens o WHERE o.campaign_id IS NOT NULL
      UNION ALL
      SELECT nf.campaign_id, date_bin('15 minutes', nf.opened_at, timestamptz '2000-01-01 00:00:00+00'),
             nf.verdict, 0, 1
        FROM new_firsts nf WHERE nf.campaign_id IS NOT NULL
    ), bucket_rows AS (
      INSERT INTO tracking.campaign_open_buckets AS c
             (organisation_id, campaign_id, bucket_start, verdict, opens, unique_opens)
      SELECT v_org, bc.campaign_id, bc.bucket_start, bc.verdict, sum(bc.opens), sum(bc.uniques)
        FROM bucket_counts bc GROUP BY bc.campaign_id, bc.bucket_start, bc.verdict
       ORDER BY bc.campaign_id, bc.bucket_start, bc.verdict
      ON CONFLICT ON CONSTRAINT campaign_open_buckets_pkey DO UPDATE
         SET opens = c.opens + excluded.opens, unique_opens = c.unique_opens + excluded.unique_opens
      RETURNING 1
    )
    SELECT count(*) INTO v_count FROM opens;
    v_recorded := v_recorded + v_count;
  END LOOP;

  PERFORM set_config('app.organisation_id', coalesce(v_previous, ''), true);
  RETURN v_recorded;
END
$_$;

--
-- Name: audit_log; Type: TABLE; Schema: audit; Owner: -
--

CREATE TABLE audit.audit_log (
    organisation_id uuid NOT NULL,
    id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    user_id uuid,
    table_schema text NOT NULL,
    table_name text NOT NULL,
    row_id uuid,
    operation text NOT NULL,
    old_values jsonb,
    new_values jsonb,
    correlation_id text,
    import_id uuid DEFAULT (NULLIF(current_setting('app.import_id'::text, true), ''::text))::uuid,
    CONSTRAINT audit_log_operation_check CHECK ((operation = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text])))
);

ALTER TABLE ONLY audit.audit_log FORCE ROW LEVEL SECURITY;

--
-- Name: audit_log_id_seq; Type: SEQUENCE; Schema: audit; Owner: -
--

ALTER TABLE audit.audit_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME audit.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: companies; Type: TABLE; Schema: crm; Owner: -
--

CREATE TABLE crm.companies (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    pharow_company_id text,
    siren text,
    hq_siret text,
    name text NOT NULL,
    brand_name text,
    naf_code text,
    activity text,
    employee_range text,
    annual_revenue_eur bigint,
    main_phone text,
    generic_email public.citext,
    website_url text,
    domain public.citext,
    linkedin_url text,
    hq_address text,
    hq_postal_code text,
    hq_city text,
    hq_country text DEFAULT 'FR'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    naf_nomenclature text,
    domain_key text GENERATED ALWAYS AS (lower((domain)::text)) STORED,
    CONSTRAINT companies_annual_revenue_check CHECK ((annual_revenue_eur >= 0)),
    CONSTRAINT companies_domain_check CHECK ((domain OPERATOR(public.~) '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'::public.citext)),
    CONSTRAINT companies_generic_email_check CHECK ((generic_email OPERATOR(public.~) '^[^@\s]+@[^@\s]+\.[^@\s]+$'::public.citext)),
    CONSTRAINT companies_hq_country_check CHECK ((hq_country ~ '^[A-Z]{2}$'::text)),
    CONSTRAINT companies_hq_siret_check CHECK ((hq_siret ~ '^[0-9]{14}$'::text)),
    CONSTRAINT companies_main_phone_check CHECK ((main_phone ~ '^\+[1-9][0-9]{6,14}$'::text)),
    CONSTRAINT companies_naf_code_check CHECK ((naf_code ~ '^[0-9]{2}\.[0-9]{2}[A-Z]$'::text)),
    CONSTRAINT companies_naf_nomenclature_check CHECK ((naf_nomenclature = ANY (ARRAY['NAF_REV2'::text, 'NAF_2025'::text]))),
    CONSTRAINT companies_naf_pair_check CHECK (((naf_code IS NULL) OR (naf_nomenclature IS NOT NULL))),
    CONSTRAINT companies_name_check CHECK (((char_length(btrim(name)) >= 1) AND (char_length(btrim(name)) <= 500))),
    CONSTRAINT companies_siren_check CHECK ((siren ~ '^[0-9]{9}$'::text)),
    CONSTRAINT companies_siret_matches_siren_check CHECK (((hq_siret IS NULL) OR (siren IS NULL) OR ("left"(hq_siret, 9) = siren)))
);

ALTER TABLE ONLY crm.companies FORCE ROW LEVEL SECURITY;

--
-- Name: idempotency_keys; Type: TABLE; Schema: crm; Owner: -
--

CREATE TABLE crm.idempotency_keys (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    idempotency_key text NOT NULL,
    request_hash text NOT NULL,
    state text DEFAULT 'running'::text NOT NULL,
    response_status integer,
    response_body json,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    completed_at timestamp with time zone,
    CONSTRAINT idempotency_keys_completed_check CHECK (((state = 'completed'::text) = ((response_status IS NOT NULL) AND (response_body IS NOT NULL) AND (completed_at IS NOT NULL)))),
    CONSTRAINT idempotency_keys_key_check CHECK (((char_length(idempotency_key) >= 1) AND (char_length(idempotency_key) <= 255))),
    CONSTRAINT idempotency_keys_state_check CHECK ((state = ANY (ARRAY['running'::text, 'completed'::text])))
);

ALTER TABLE ONLY crm.idempotency_keys FORCE ROW LEVEL SECURITY;

--
-- Name: import_changes; Type: TABLE; Schema: crm; Owner: -
--

CREATE TABLE crm.import_changes (
    organisation_id uuid NOT NULL,
    import_id uuid NOT NULL,
    table_name text NOT NULL,
    row_id uuid NOT NULL,
    operation text NOT NULL,
    old_values jsonb,
    new_values jsonb,
    CONSTRAINT import_changes_operation_check CHECK ((operation = ANY (ARRAY['created'::text, 'updated'::text]))),
    CONSTRAINT import_changes_table_check CHECK ((table_name = ANY (ARRAY['companies'::text, 'people'::text, 'positions'::text])))
);

ALTER TABLE ONLY crm.import_changes FORCE ROW LEVEL SECURITY;

--
-- Name: import_errors; Type: TABLE; Schema: crm; Owner: -
--

CREATE TABLE crm.import_errors (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    import_id uuid NOT NULL,
    row_number integer NOT NULL,
    column_name text,
    code text NOT NULL,
    severity text DEFAULT 'error'::text NOT NULL,
    message text NOT NULL,
    raw_value text,
    CONSTRAINT import_errors_row_number_check CHECK ((row_number >= 0)),
    CONSTRAINT import_errors_severity_check CHECK ((severity = ANY (ARRAY['error'::text, 'warning'::text])))
);

ALTER TABLE ONLY crm.import_errors FORCE ROW LEVEL SECURITY;

--
-- Name: import_mappings; Type: TABLE; Schema: crm; Owner: -
--

CREATE TABLE crm.import_mappings (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    header_signature text NOT NULL,
    headers jsonb NOT NULL,
    mapping jsonb NOT NULL,
    confirmed_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY crm.import_mappings FORCE ROW LEVEL SECURITY;

--
-- Name: import_records; Type: TABLE; Schema: crm; Owner: -
--

CREATE TABLE crm.import_records (
    organisation_id uuid NOT NULL,
    import_id uuid NOT NULL,
    row_number integer NOT NULL,
    record jsonb NOT NULL,
    company_key text,
    person_key text
);

ALTER TABLE ONLY crm.import_records FORCE ROW LEVEL SECURITY;

--
-- Name: import_rows; Type: TABLE; Schema: crm; Owner: -
--

CREATE TABLE crm.import_rows (
    organisation_id uuid NOT NULL,
    import_id uuid NOT NULL,
    row_number integer NOT NULL,
    raw text[] NOT NULL,
    data jsonb,
    status text DEFAULT 'staged'::text NOT NULL,
    CONSTRAINT import_rows_row_number_check CHECK ((row_number >= 1)),
    CONSTRAINT import_rows_status_check CHECK ((status = ANY (ARRAY['staged'::text, 'valid'::text, 'rejected'::text, 'duplicate'::text, 'merged'::text])))
);

ALTER TABLE ONLY crm.import_rows FORCE ROW LEVEL SECURITY;

--
-- Name: imports; Type: TABLE; Schema: crm; Owner: -
--

CREATE TABLE crm.imports (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    file_name text NOT NULL,
    file_size_bytes bigint,
    content_type text,
    status text DEFAULT 'uploaded'::text NOT NULL,
    encoding text,
    delimiter text,
    headers jsonb,
    mapping jsonb,
    campaign_id uuid,
    rows_total integer DEFAULT 0 NOT NULL,
    rows_processed integer DEFAULT 0 NOT NULL,
    created_count integer DEFAULT 0 NOT NULL,
    updated_count integer DEFAULT 0 NOT NULL,
    unchanged_count integer DEFAULT 0 NOT NULL,
    rejected_count integer DEFAULT 0 NOT NULL,
    failure_reason text,
    created_by uuid,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    format text,
    sheet text,
    header_signature text,
    preview jsonb,
    suggested_mapping jsonb,
    options jsonb DEFAULT '{}'::jsonb NOT NULL,
    rows_valid integer DEFAULT 0 NOT NULL,
    rows_invalid integer DEFAULT 0 NOT NULL,
    rows_duplicate integer DEFAULT 0 NOT NULL,
    rows_existing integer DEFAULT 0 NOT NULL,
    rows_warning integer DEFAULT 0 NOT NULL,
    enrolled_count integer DEFAULT 0 NOT NULL,
    job text,
    job_state text,
    job_error text,
    lease_owner text,
    lease_expires_at timestamp with time zone,
    job_attempts integer DEFAULT 0 NOT NULL,
    job_started_at timestamp with time zone,
    cancel_requested boolean DEFAULT false NOT NULL,
    committed_at timestamp with time zone,
    reverted_at timestamp with time zone,
    revert_report jsonb,
    staged_purged_at timestamp with time zone,
    CONSTRAINT imports_counts_check CHECK (((rows_total >= 0) AND (rows_processed >= 0) AND (created_count >= 0) AND (updated_count >= 0) AND (unchanged_count >= 0) AND (rejected_count >= 0))),
    CONSTRAINT imports_delimiter_check CHECK ((delimiter = ANY (ARRAY[','::text, ';'::text, '	'::text, '|'::text]))),
    CONSTRAINT imports_file_name_check CHECK (((char_length(file_name) >= 1) AND (char_length(file_name) <= 255))),
    CONSTRAINT imports_format_check CHECK ((format = ANY (ARRAY['csv'::text, 'xlsx'::text]))),
    CONSTRAINT imports_job_check CHECK ((job = ANY (ARRAY['validate'::text, 'commit'::text, 'revert'::text]))),
    CONSTRAINT imports_job_pair_check CHECK (((job IS NULL) = (job_state IS NULL))),
    CONSTRAINT imports_job_state_check CHECK ((job_state = ANY (ARRAY['queued'::text, 'running'::text, 'done'::text, 'failed'::text]))),
    CONSTRAINT imports_status_check CHECK ((status = ANY (ARRAY['uploading'::text, 'uploaded'::text, 'mapped'::text, 'validating'::text, 'validated'::text, 'committing'::text, 'committed'::text, 'reverting'::text, 'reverted'::text, 'failed'::text, 'cancelled'::text])))
);

ALTER TABLE ONLY crm.imports FORCE ROW LEVEL SECURITY;

--
-- Name: people; Type: TABLE; Schema: crm; Owner: -
--

CREATE TABLE crm.people (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    first_name text,
    last_name text,
    salutation text,
    linkedin_url text,
    mobile_phone text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT people_linkedin_url_check CHECK ((linkedin_url ~ '^https://'::text)),
    CONSTRAINT people_mobile_phone_check CHECK ((mobile_phone ~ '^\+[1-9][0-9]{6,14}$'::text)),
    CONSTRAINT people_name_check CHECK ((COALESCE(first_name, last_name, linkedin_url) IS NOT NULL)),
    CONSTRAINT people_salutation_check CHECK ((salutation = ANY (ARRAY['mr'::text, 'mrs'::text, 'mx'::text])))
);

ALTER TABLE ONLY crm.people FORCE ROW LEVEL SECURITY;

--
-- Name: positions; Type: TABLE; Schema: crm; Owner: -
--

CREATE TABLE crm.positions (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    person_id uuid NOT NULL,
    company_id uuid NOT NULL,
    job_title text,
    email public.citext,
    email_status text,
    email_reliability smallint,
    source text,
    source_list text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    email_key text GENERATED ALWAYS AS (lower((email)::text)) STORED,
    CONSTRAINT positions_email_check CHECK (((email OPERATOR(public.~) '^[^@\s]+@[^@\s]+\.[^@\s]+$'::public.citext) AND (char_length((email)::text) <= 320))),
    CONSTRAINT positions_email_reliability_check CHECK (((email_reliability >= 0) AND (email_reliability <= 100))),
    CONSTRAINT positions_email_status_check CHECK ((email_status = ANY (ARRAY['valid'::text, 'risky'::text, 'catch_all'::text, 'invalid'::text, 'unknown'::text])))
);

ALTER TABLE ONLY crm.positions FORCE ROW LEVEL SECURITY;

--
-- Name: organisation_users; Type: TABLE; Schema: iam; Owner: -
--

CREATE TABLE iam.organisation_users (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    role text NOT NULL,
    status text DEFAULT 'invited'::text NOT NULL,
    invited_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organisation_users_owner_active_check CHECK (((role <> 'owner'::text) OR (status = 'active'::text))),
    CONSTRAINT organisation_users_role_check CHECK ((role = ANY (ARRAY['owner'::text, 'admin'::text, 'member'::text, 'viewer'::text]))),
    CONSTRAINT organisation_users_status_check CHECK ((status = ANY (ARRAY['invited'::text, 'active'::text, 'disabled'::text])))
);

ALTER TABLE ONLY iam.organisation_users FORCE ROW LEVEL SECURITY;

--
-- Name: organisations; Type: TABLE; Schema: iam; Owner: -
--

CREATE TABLE iam.organisations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    slug text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organisations_name_check CHECK (((char_length(btrim(name)) >= 1) AND (char_length(btrim(name)) <= 200))),
    CONSTRAINT organisations_slug_check CHECK ((slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'::text))
);

ALTER TABLE ONLY iam.organisations FORCE ROW LEVEL SECURITY;

--
-- Name: users; Type: TABLE; Schema: iam; Owner: -
--

CREATE TABLE iam.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    cognito_sub text,
    email public.citext NOT NULL,
    first_name text,
    last_name text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    profile_issued_at timestamp with time zone,
    CONSTRAINT users_cognito_sub_check CHECK (((cognito_sub IS NULL) OR ((char_length(cognito_sub) >= 1) AND (char_length(cognito_sub) <= 128)))),
    CONSTRAINT users_email_check CHECK (((email OPERATOR(public.~) '^[^@\s]+@[^@\s]+\.[^@\s]+$'::public.citext) AND (char_length((email)::text) <= 320)))
);

ALTER TABLE ONLY iam.users FORCE ROW LEVEL SECURITY;

--
-- Name: COLUMN users.profile_issued_at; Type: COMMENT; Schema: iam; Owner: -
--

COMMENT ON COLUMN iam.users.profile_issued_at IS 'When the token claims last applied to email, first_name and last_name were issued (iat)';

--
-- Name: campaign_enrollments; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.campaign_enrollments (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    campaign_id uuid NOT NULL,
    person_id uuid NOT NULL,
    position_id uuid,
    state text DEFAULT 'active'::text NOT NULL,
    current_step_id uuid,
    enrolled_at timestamp with time zone DEFAULT now() NOT NULL,
    state_changed_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT campaign_enrollments_state_check CHECK ((state = ANY (ARRAY['active'::text, 'paused'::text, 'replied'::text, 'bounced'::text, 'unsubscribed'::text, 'finished'::text])))
);

ALTER TABLE ONLY outreach.campaign_enrollments FORCE ROW LEVEL SECURITY;

--
-- Name: campaigns; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.campaigns (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    description text,
    status text DEFAULT 'draft'::text NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT campaigns_name_check CHECK (((char_length(btrim(name)) >= 1) AND (char_length(btrim(name)) <= 200))),
    CONSTRAINT campaigns_status_check CHECK ((status = ANY (ARRAY['draft'::text, 'running'::text, 'paused'::text, 'archived'::text])))
);

ALTER TABLE ONLY outreach.campaigns FORCE ROW LEVEL SECURITY;

--
-- Name: enrollment_state_changes; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.enrollment_state_changes (
    organisation_id uuid NOT NULL,
    id bigint NOT NULL,
    enrollment_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    state text NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT enrollment_state_changes_state_check CHECK ((state = ANY (ARRAY['active'::text, 'paused'::text, 'replied'::text, 'bounced'::text, 'unsubscribed'::text, 'finished'::text])))
);

ALTER TABLE ONLY outreach.enrollment_state_changes FORCE ROW LEVEL SECURITY;

--
-- Name: enrollment_state_changes_id_seq; Type: SEQUENCE; Schema: outreach; Owner: -
--

ALTER TABLE outreach.enrollment_state_changes ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME outreach.enrollment_state_changes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: enrollment_step_variant_assignments; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.enrollment_step_variant_assignments (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    enrollment_id uuid NOT NULL,
    step_id uuid NOT NULL,
    variant_id uuid NOT NULL,
    assigned_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY outreach.enrollment_step_variant_assignments FORCE ROW LEVEL SECURITY;

--
-- Name: messages; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.messages (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    enrollment_id uuid,
    task_id uuid,
    direction text NOT NULL,
    status text NOT NULL,
    subject text,
    from_address public.citext,
    to_address public.citext,
    provider_message_id text,
    sent_at timestamp with time zone,
    received_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT messages_direction_check CHECK ((direction = ANY (ARRAY['outbound'::text, 'inbound'::text]))),
    CONSTRAINT messages_direction_status_check CHECK ((((direction = 'outbound'::text) AND (status <> 'received'::text)) OR ((direction = 'inbound'::text) AND (status = ANY (ARRAY['received'::text, 'failed'::text]))))),
    CONSTRAINT messages_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'sent'::text, 'delivered'::text, 'bounced'::text, 'received'::text, 'failed'::text])))
);

ALTER TABLE ONLY outreach.messages FORCE ROW LEVEL SECURITY;

--
-- Name: prompt_versions; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.prompt_versions (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    prompt_id uuid NOT NULL,
    version integer NOT NULL,
    body text NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT prompt_versions_body_check CHECK (((char_length(body) >= 1) AND (char_length(body) <= 100000))),
    CONSTRAINT prompt_versions_version_check CHECK ((version >= 1))
);

ALTER TABLE ONLY outreach.prompt_versions FORCE ROW LEVEL SECURITY;

--
-- Name: prompts; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.prompts (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    current_version integer DEFAULT 1 NOT NULL,
    CONSTRAINT prompts_current_version_check CHECK ((current_version >= 1)),
    CONSTRAINT prompts_name_check CHECK (((char_length(btrim(name)) >= 1) AND (char_length(btrim(name)) <= 200)))
);

ALTER TABLE ONLY outreach.prompts FORCE ROW LEVEL SECURITY;

--
-- Name: step_experiment_variants; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.step_experiment_variants (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    experiment_id uuid NOT NULL,
    name text NOT NULL,
    weight integer DEFAULT 1 NOT NULL,
    prompt_id uuid,
    subject_template text,
    body_template text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT step_experiment_variants_weight_check CHECK (((weight >= 1) AND (weight <= 1000)))
);

ALTER TABLE ONLY outreach.step_experiment_variants FORCE ROW LEVEL SECURITY;

--
-- Name: step_experiments; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.step_experiments (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    step_id uuid NOT NULL,
    name text NOT NULL,
    status text DEFAULT 'draft'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT step_experiments_status_check CHECK ((status = ANY (ARRAY['draft'::text, 'running'::text, 'stopped'::text])))
);

ALTER TABLE ONLY outreach.step_experiments FORCE ROW LEVEL SECURITY;

--
-- Name: tasks; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.tasks (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    enrollment_id uuid NOT NULL,
    step_id uuid NOT NULL,
    status text DEFAULT 'scheduled'::text NOT NULL,
    due_at timestamp with time zone NOT NULL,
    locked_at timestamp with time zone,
    locked_by text,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tasks_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT tasks_locked_check CHECK (((status = 'locked'::text) = (locked_at IS NOT NULL))),
    CONSTRAINT tasks_status_check CHECK ((status = ANY (ARRAY['scheduled'::text, 'locked'::text, 'sent'::text, 'skipped'::text, 'cancelled'::text, 'failed'::text])))
);

ALTER TABLE ONLY outreach.tasks FORCE ROW LEVEL SECURITY;

--
-- Name: workflow_steps; Type: TABLE; Schema: outreach; Owner: -
--

CREATE TABLE outreach.workflow_steps (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    campaign_id uuid NOT NULL,
    step_order integer NOT NULL,
    channel text DEFAULT 'email'::text NOT NULL,
    delay_days integer DEFAULT 0 NOT NULL,
    prompt_id uuid,
    subject_template text,
    body_template text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    prompt_version integer,
    CONSTRAINT workflow_steps_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'linkedin'::text, 'call'::text, 'task'::text]))),
    CONSTRAINT workflow_steps_delay_check CHECK (((delay_days >= 0) AND (delay_days <= 365))),
    CONSTRAINT workflow_steps_order_check CHECK ((step_order >= 1)),
    CONSTRAINT workflow_steps_prompt_version_check CHECK (((prompt_version IS NULL) OR ((prompt_id IS NOT NULL) AND (prompt_version >= 1))))
);

ALTER TABLE ONLY outreach.workflow_steps FORCE ROW LEVEL SECURITY;

--
-- Name: campaign_open_buckets; Type: TABLE; Schema: tracking; Owner: -
--

CREATE TABLE tracking.campaign_open_buckets (
    organisation_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    bucket_start timestamp with time zone NOT NULL,
    verdict text NOT NULL,
    opens integer DEFAULT 0 NOT NULL,
    unique_opens integer DEFAULT 0 NOT NULL,
    CONSTRAINT campaign_open_buckets_aligned_check CHECK ((bucket_start = date_bin('00:15:00'::interval, bucket_start, '2000-01-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT campaign_open_buckets_counts_check CHECK (((opens >= 0) AND (unique_opens >= 0))),
    CONSTRAINT campaign_open_buckets_verdict_check CHECK ((verdict = ANY (ARRAY['human'::text, 'apple_privacy_prefetch'::text, 'google_image_proxy'::text, 'security_scanner'::text, 'unknown_bot'::text])))
);

ALTER TABLE ONLY tracking.campaign_open_buckets FORCE ROW LEVEL SECURITY;

--
-- Name: message_open_stats; Type: TABLE; Schema: tracking; Owner: -
--

CREATE TABLE tracking.message_open_stats (
    organisation_id uuid NOT NULL,
    message_id uuid NOT NULL,
    first_open_at timestamp with time zone NOT NULL,
    last_open_at timestamp with time zone NOT NULL,
    total_opens integer DEFAULT 0 NOT NULL,
    unique_opens integer DEFAULT 0 NOT NULL,
    human_opens integer DEFAULT 0 NOT NULL,
    human_unique_opens integer DEFAULT 0 NOT NULL,
    CONSTRAINT message_open_stats_counts_check CHECK (((total_opens >= unique_opens) AND (unique_opens >= 0))),
    CONSTRAINT message_open_stats_human_check CHECK (((human_opens >= 0) AND (human_opens <= total_opens) AND (human_unique_opens >= 0) AND (human_unique_opens <= unique_opens))),
    CONSTRAINT message_open_stats_times_check CHECK ((last_open_at >= first_open_at))
);

ALTER TABLE ONLY tracking.message_open_stats FORCE ROW LEVEL SECURITY;

--
-- Name: pixel_opens; Type: TABLE; Schema: tracking; Owner: -
--

CREATE TABLE tracking.pixel_opens (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    message_id uuid NOT NULL,
    visitor_hash text NOT NULL,
    first_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pixel_opens_visitor_hash_check CHECK (((char_length(visitor_hash) >= 1) AND (char_length(visitor_hash) <= 128)))
);

ALTER TABLE ONLY tracking.pixel_opens FORCE ROW LEVEL SECURITY;

--
-- Name: pixels; Type: TABLE; Schema: tracking; Owner: -
--

CREATE TABLE tracking.pixels (
    organisation_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    message_id uuid NOT NULL,
    campaign_id uuid,
    token text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pixels_token_check CHECK (((token ~ '^[0-9a-f]{64}$'::text) AND ("left"(token, 32) = replace((organisation_id)::text, '-'::text, ''::text))))
);

ALTER TABLE ONLY tracking.pixels FORCE ROW LEVEL SECURITY;

--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: audit; Owner: -
--

ALTER TABLE ONLY audit.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: companies companies_pkey; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.companies
    ADD CONSTRAINT companies_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: idempotency_keys idempotency_keys_key; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.idempotency_keys
    ADD CONSTRAINT idempotency_keys_key UNIQUE (organisation_id, user_id, idempotency_key);

--
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: import_changes import_changes_pkey; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_changes
    ADD CONSTRAINT import_changes_pkey PRIMARY KEY (organisation_id, import_id, table_name, row_id);

--
-- Name: import_errors import_errors_pkey; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_errors
    ADD CONSTRAINT import_errors_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: import_mappings import_mappings_pkey; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_mappings
    ADD CONSTRAINT import_mappings_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: import_mappings import_mappings_signature_key; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_mappings
    ADD CONSTRAINT import_mappings_signature_key UNIQUE (organisation_id, header_signature);

--
-- Name: import_records import_records_pkey; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_records
    ADD CONSTRAINT import_records_pkey PRIMARY KEY (organisation_id, import_id, row_number);

--
-- Name: import_rows import_rows_pkey; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_rows
    ADD CONSTRAINT import_rows_pkey PRIMARY KEY (organisation_id, import_id, row_number);

--
-- Name: imports imports_pkey; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.imports
    ADD CONSTRAINT imports_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: people people_pkey; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.people
    ADD CONSTRAINT people_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: positions positions_person_company_key; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.positions
    ADD CONSTRAINT positions_person_company_key UNIQUE (organisation_id, person_id, company_id);

--
-- Name: positions positions_pkey; Type: CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.positions
    ADD CONSTRAINT positions_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: organisation_users organisation_users_pkey; Type: CONSTRAINT; Schema: iam; Owner: -
--

ALTER TABLE ONLY iam.organisation_users
    ADD CONSTRAINT organisation_users_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: organisation_users organisation_users_user_key; Type: CONSTRAINT; Schema: iam; Owner: -
--

ALTER TABLE ONLY iam.organisation_users
    ADD CONSTRAINT organisation_users_user_key UNIQUE (organisation_id, user_id);

--
-- Name: organisations organisations_pkey; Type: CONSTRAINT; Schema: iam; Owner: -
--

ALTER TABLE ONLY iam.organisations
    ADD CONSTRAINT organisations_pkey PRIMARY KEY (id);

--
-- Name: organisations organisations_slug_key; Type: CONSTRAINT; Schema: iam; Owner: -
--

ALTER TABLE ONLY iam.organisations
    ADD CONSTRAINT organisations_slug_key UNIQUE (slug);

--
-- Name: users users_cognito_sub_key; Type: CONSTRAINT; Schema: iam; Owner: -
--

ALTER TABLE ONLY iam.users
    ADD CONSTRAINT users_cognito_sub_key UNIQUE (cognito_sub);

--
-- Name: users users_email_key; Type: CONSTRAINT; Schema: iam; Owner: -
--

ALTER TABLE ONLY iam.users
    ADD CONSTRAINT users_email_key UNIQUE (email);

--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: iam; Owner: -
--

ALTER TABLE ONLY iam.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

--
-- Name: campaign_enrollments campaign_enrollments_person_key; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.campaign_enrollments
    ADD CONSTRAINT campaign_enrollments_person_key UNIQUE (organisation_id, campaign_id, person_id);

--
-- Name: campaign_enrollments campaign_enrollments_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.campaign_enrollments
    ADD CONSTRAINT campaign_enrollments_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: campaigns campaigns_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.campaigns
    ADD CONSTRAINT campaigns_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: enrollment_state_changes enrollment_state_changes_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.enrollment_state_changes
    ADD CONSTRAINT enrollment_state_changes_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: enrollment_step_variant_assignments enrollment_step_variant_assignments_key; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.enrollment_step_variant_assignments
    ADD CONSTRAINT enrollment_step_variant_assignments_key UNIQUE (organisation_id, enrollment_id, step_id);

--
-- Name: enrollment_step_variant_assignments enrollment_step_variant_assignments_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.enrollment_step_variant_assignments
    ADD CONSTRAINT enrollment_step_variant_assignments_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: messages messages_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: prompt_versions prompt_versions_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.prompt_versions
    ADD CONSTRAINT prompt_versions_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: prompt_versions prompt_versions_version_key; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.prompt_versions
    ADD CONSTRAINT prompt_versions_version_key UNIQUE (organisation_id, prompt_id, version);

--
-- Name: prompts prompts_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.prompts
    ADD CONSTRAINT prompts_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: step_experiment_variants step_experiment_variants_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.step_experiment_variants
    ADD CONSTRAINT step_experiment_variants_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: step_experiments step_experiments_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.step_experiments
    ADD CONSTRAINT step_experiments_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: tasks tasks_enrollment_step_key; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.tasks
    ADD CONSTRAINT tasks_enrollment_step_key UNIQUE (organisation_id, enrollment_id, step_id);

--
-- Name: tasks tasks_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.tasks
    ADD CONSTRAINT tasks_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: workflow_steps workflow_steps_order_key; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.workflow_steps
    ADD CONSTRAINT workflow_steps_order_key UNIQUE (organisation_id, campaign_id, step_order) DEFERRABLE;

--
-- Name: workflow_steps workflow_steps_pkey; Type: CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.workflow_steps
    ADD CONSTRAINT workflow_steps_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: campaign_open_buckets campaign_open_buckets_pkey; Type: CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.campaign_open_buckets
    ADD CONSTRAINT campaign_open_buckets_pkey PRIMARY KEY (organisation_id, campaign_id, bucket_start, verdict);

--
-- Name: message_open_stats message_open_stats_pkey; Type: CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.message_open_stats
    ADD CONSTRAINT message_open_stats_pkey PRIMARY KEY (organisation_id, message_id);

--
-- Name: pixel_opens pixel_opens_pkey; Type: CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.pixel_opens
    ADD CONSTRAINT pixel_opens_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: pixel_opens pixel_opens_visitor_key; Type: CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.pixel_opens
    ADD CONSTRAINT pixel_opens_visitor_key UNIQUE (organisation_id, message_id, visitor_hash);

--
-- Name: pixels pixels_message_key; Type: CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.pixels
    ADD CONSTRAINT pixels_message_key UNIQUE (organisation_id, message_id);

--
-- Name: pixels pixels_pkey; Type: CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.pixels
    ADD CONSTRAINT pixels_pkey PRIMARY KEY (organisation_id, id);

--
-- Name: pixels pixels_token_key; Type: CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.pixels
    ADD CONSTRAINT pixels_token_key UNIQUE (organisation_id, token);

--
-- Name: audit_log_import_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX audit_log_import_idx ON audit.audit_log USING btree (organisation_id, import_id, occurred_at DESC, id DESC) WHERE (import_id IS NOT NULL);

--
-- Name: audit_log_row_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX audit_log_row_idx ON audit.audit_log USING btree (organisation_id, table_name, row_id, occurred_at DESC);

--
-- Name: audit_log_time_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX audit_log_time_idx ON audit.audit_log USING btree (organisation_id, occurred_at DESC, id DESC);

--
-- Name: audit_log_user_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX audit_log_user_idx ON audit.audit_log USING btree (organisation_id, user_id, occurred_at DESC);

--
-- Name: companies_domain_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX companies_domain_idx ON crm.companies USING btree (organisation_id, domain_key);

--
-- Name: companies_domain_key; Type: INDEX; Schema: crm; Owner: -
--

CREATE UNIQUE INDEX companies_domain_key ON crm.companies USING btree (organisation_id, domain_key) WHERE ((siren IS NULL) AND (domain_key IS NOT NULL));

--
-- Name: companies_list_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX companies_list_idx ON crm.companies USING btree (organisation_id, created_at, id);

--
-- Name: companies_naf_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX companies_naf_idx ON crm.companies USING btree (organisation_id, naf_code);

--
-- Name: companies_name_search_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX companies_name_search_idx ON crm.companies USING btree (organisation_id, crm.search_key(name) text_pattern_ops);

--
-- Name: companies_pharow_key; Type: INDEX; Schema: crm; Owner: -
--

CREATE UNIQUE INDEX companies_pharow_key ON crm.companies USING btree (organisation_id, pharow_company_id) WHERE (pharow_company_id IS NOT NULL);

--
-- Name: companies_siren_key; Type: INDEX; Schema: crm; Owner: -
--

CREATE UNIQUE INDEX companies_siren_key ON crm.companies USING btree (organisation_id, siren) WHERE (siren IS NOT NULL);

--
-- Name: companies_updated_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX companies_updated_idx ON crm.companies USING btree (organisation_id, updated_at);

--
-- Name: idempotency_keys_expiry_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX idempotency_keys_expiry_idx ON crm.idempotency_keys USING btree (organisation_id, created_at);

--
-- Name: import_errors_import_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX import_errors_import_idx ON crm.import_errors USING btree (organisation_id, import_id, row_number);

--
-- Name: import_records_company_key_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX import_records_company_key_idx ON crm.import_records USING btree (organisation_id, import_id, company_key);

--
-- Name: import_records_person_key_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX import_records_person_key_idx ON crm.import_records USING btree (organisation_id, import_id, person_key);

--
-- Name: imports_campaign_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX imports_campaign_idx ON crm.imports USING btree (organisation_id, campaign_id);

--
-- Name: imports_jobs_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX imports_jobs_idx ON crm.imports USING btree (organisation_id, job_state, lease_expires_at) WHERE (job_state = ANY (ARRAY['queued'::text, 'running'::text]));

--
-- Name: imports_list_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX imports_list_idx ON crm.imports USING btree (organisation_id, created_at, id);

--
-- Name: imports_status_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX imports_status_idx ON crm.imports USING btree (organisation_id, status);

--
-- Name: people_first_name_search_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX people_first_name_search_idx ON crm.people USING btree (organisation_id, crm.search_key(first_name) text_pattern_ops);

--
-- Name: people_last_name_search_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX people_last_name_search_idx ON crm.people USING btree (organisation_id, crm.search_key(last_name) text_pattern_ops);

--
-- Name: people_linkedin_key; Type: INDEX; Schema: crm; Owner: -
--

CREATE UNIQUE INDEX people_linkedin_key ON crm.people USING btree (organisation_id, linkedin_url) WHERE (linkedin_url IS NOT NULL);

--
-- Name: people_list_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX people_list_idx ON crm.people USING btree (organisation_id, created_at, id);

--
-- Name: positions_company_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX positions_company_idx ON crm.positions USING btree (organisation_id, company_id);

--
-- Name: positions_email_key; Type: INDEX; Schema: crm; Owner: -
--

CREATE UNIQUE INDEX positions_email_key ON crm.positions USING btree (organisation_id, email_key) WHERE (email_key IS NOT NULL);

--
-- Name: positions_list_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX positions_list_idx ON crm.positions USING btree (organisation_id, created_at, id);

--
-- Name: positions_status_idx; Type: INDEX; Schema: crm; Owner: -
--

CREATE INDEX positions_status_idx ON crm.positions USING btree (organisation_id, email_status);

--
-- Name: organisation_users_by_user_idx; Type: INDEX; Schema: iam; Owner: -
--

CREATE INDEX organisation_users_by_user_idx ON iam.organisation_users USING btree (user_id);

--
-- Name: organisation_users_one_owner_idx; Type: INDEX; Schema: iam; Owner: -
--

CREATE UNIQUE INDEX organisation_users_one_owner_idx ON iam.organisation_users USING btree (organisation_id) WHERE (role = 'owner'::text);

--
-- Name: organisation_users_user_idx; Type: INDEX; Schema: iam; Owner: -
--

CREATE INDEX organisation_users_user_idx ON iam.organisation_users USING btree (organisation_id, user_id, status);

--
-- Name: campaign_enrollments_person_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX campaign_enrollments_person_idx ON outreach.campaign_enrollments USING btree (organisation_id, person_id, enrolled_at);

--
-- Name: campaign_enrollments_position_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX campaign_enrollments_position_idx ON outreach.campaign_enrollments USING btree (organisation_id, position_id);

--
-- Name: campaign_enrollments_state_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX campaign_enrollments_state_idx ON outreach.campaign_enrollments USING btree (organisation_id, campaign_id, state);

--
-- Name: campaign_enrollments_step_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX campaign_enrollments_step_idx ON outreach.campaign_enrollments USING btree (organisation_id, current_step_id);

--
-- Name: campaigns_list_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX campaigns_list_idx ON outreach.campaigns USING btree (organisation_id, created_at, id);

--
-- Name: campaigns_status_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX campaigns_status_idx ON outreach.campaigns USING btree (organisation_id, status);

--
-- Name: enrollment_state_changes_campaign_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX enrollment_state_changes_campaign_idx ON outreach.enrollment_state_changes USING btree (organisation_id, campaign_id, changed_at);

--
-- Name: enrollment_state_changes_enrollment_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX enrollment_state_changes_enrollment_idx ON outreach.enrollment_state_changes USING btree (organisation_id, enrollment_id);

--
-- Name: enrollment_step_variant_assignments_step_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX enrollment_step_variant_assignments_step_idx ON outreach.enrollment_step_variant_assignments USING btree (organisation_id, step_id);

--
-- Name: enrollment_step_variant_assignments_variant_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX enrollment_step_variant_assignments_variant_idx ON outreach.enrollment_step_variant_assignments USING btree (organisation_id, variant_id);

--
-- Name: messages_enrollment_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX messages_enrollment_idx ON outreach.messages USING btree (organisation_id, enrollment_id, created_at);

--
-- Name: messages_provider_key; Type: INDEX; Schema: outreach; Owner: -
--

CREATE UNIQUE INDEX messages_provider_key ON outreach.messages USING btree (organisation_id, provider_message_id) WHERE (provider_message_id IS NOT NULL);

--
-- Name: messages_task_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX messages_task_idx ON outreach.messages USING btree (organisation_id, task_id);

--
-- Name: step_experiment_variants_experiment_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX step_experiment_variants_experiment_idx ON outreach.step_experiment_variants USING btree (organisation_id, experiment_id);

--
-- Name: step_experiment_variants_prompt_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX step_experiment_variants_prompt_idx ON outreach.step_experiment_variants USING btree (organisation_id, prompt_id);

--
-- Name: step_experiments_step_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX step_experiments_step_idx ON outreach.step_experiments USING btree (organisation_id, step_id);

--
-- Name: tasks_due_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX tasks_due_idx ON outreach.tasks USING btree (organisation_id, status, due_at);

--
-- Name: tasks_step_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX tasks_step_idx ON outreach.tasks USING btree (organisation_id, step_id);

--
-- Name: workflow_steps_prompt_idx; Type: INDEX; Schema: outreach; Owner: -
--

CREATE INDEX workflow_steps_prompt_idx ON outreach.workflow_steps USING btree (organisation_id, prompt_id);

--
-- Name: pixels_campaign_idx; Type: INDEX; Schema: tracking; Owner: -
--

CREATE INDEX pixels_campaign_idx ON tracking.pixels USING btree (organisation_id, campaign_id);

--
-- Name: audit_log audit_log_immutable; Type: TRIGGER; Schema: audit; Owner: -
--

CREATE TRIGGER audit_log_immutable BEFORE DELETE OR UPDATE ON audit.audit_log FOR EACH ROW EXECUTE FUNCTION audit.reject_change();

--
-- Name: audit_log audit_log_no_truncate; Type: TRIGGER; Schema: audit; Owner: -
--

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit.audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_change();

--
-- Name: companies audit_delete; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON crm.companies REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: people audit_delete; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON crm.people REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: positions audit_delete; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON crm.positions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: companies audit_insert; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON crm.companies REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: people audit_insert; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON crm.people REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: positions audit_insert; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON crm.positions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: companies audit_update; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON crm.companies REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: people audit_update; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON crm.people REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: positions audit_update; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON crm.positions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: companies companies_touch; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER companies_touch BEFORE UPDATE ON crm.companies FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: import_mappings import_mappings_touch; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER import_mappings_touch BEFORE UPDATE ON crm.import_mappings FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: imports imports_touch; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER imports_touch BEFORE UPDATE ON crm.imports FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: people people_touch; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER people_touch BEFORE UPDATE ON crm.people FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: positions positions_touch; Type: TRIGGER; Schema: crm; Owner: -
--

CREATE TRIGGER positions_touch BEFORE UPDATE ON crm.positions FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: organisation_users audit_delete; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON iam.organisation_users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: organisations audit_delete; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON iam.organisations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('id');

--
-- Name: organisation_users audit_insert; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON iam.organisation_users REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: organisations audit_insert; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON iam.organisations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('id');

--
-- Name: organisation_users audit_update; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON iam.organisation_users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: organisations audit_update; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON iam.organisations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('id');

--
-- Name: organisation_users organisation_users_exactly_one_owner; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE CONSTRAINT TRIGGER organisation_users_exactly_one_owner AFTER INSERT OR DELETE OR UPDATE OF role, organisation_id ON iam.organisation_users DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION iam.assert_single_owner();

--
-- Name: organisation_users organisation_users_touch; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE TRIGGER organisation_users_touch BEFORE UPDATE ON iam.organisation_users FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: organisations organisations_exactly_one_owner; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE CONSTRAINT TRIGGER organisations_exactly_one_owner AFTER INSERT ON iam.organisations DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION iam.assert_single_owner();

--
-- Name: organisations organisations_touch; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE TRIGGER organisations_touch BEFORE UPDATE ON iam.organisations FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: users users_touch; Type: TRIGGER; Schema: iam; Owner: -
--

CREATE TRIGGER users_touch BEFORE UPDATE ON iam.users FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: campaign_enrollments audit_delete; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON outreach.campaign_enrollments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: campaigns audit_delete; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON outreach.campaigns REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: messages audit_delete; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON outreach.messages REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: prompt_versions audit_delete; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON outreach.prompt_versions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: prompts audit_delete; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON outreach.prompts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: step_experiment_variants audit_delete; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON outreach.step_experiment_variants REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: step_experiments audit_delete; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON outreach.step_experiments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: tasks audit_delete; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON outreach.tasks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: workflow_steps audit_delete; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON outreach.workflow_steps REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: campaign_enrollments audit_insert; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON outreach.campaign_enrollments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: campaigns audit_insert; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON outreach.campaigns REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: messages audit_insert; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON outreach.messages REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: prompt_versions audit_insert; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON outreach.prompt_versions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: prompts audit_insert; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON outreach.prompts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: step_experiment_variants audit_insert; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON outreach.step_experiment_variants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: step_experiments audit_insert; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON outreach.step_experiments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: tasks audit_insert; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON outreach.tasks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: workflow_steps audit_insert; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON outreach.workflow_steps REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: campaign_enrollments audit_update; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON outreach.campaign_enrollments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: campaigns audit_update; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON outreach.campaigns REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: messages audit_update; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON outreach.messages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: prompt_versions audit_update; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON outreach.prompt_versions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: prompts audit_update; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON outreach.prompts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: step_experiment_variants audit_update; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON outreach.step_experiment_variants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: step_experiments audit_update; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON outreach.step_experiments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: tasks audit_update; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON outreach.tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: workflow_steps audit_update; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON outreach.workflow_steps REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: campaign_enrollments campaign_enrollments_state_transition; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER campaign_enrollments_state_transition BEFORE UPDATE OF state ON outreach.campaign_enrollments FOR EACH ROW EXECUTE FUNCTION outreach.assert_enrollment_transition();

--
-- Name: campaign_enrollments campaign_enrollments_states_insert; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER campaign_enrollments_states_insert AFTER INSERT ON outreach.campaign_enrollments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outreach.record_enrollment_states();

--
-- Name: campaign_enrollments campaign_enrollments_states_update; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER campaign_enrollments_states_update AFTER UPDATE ON outreach.campaign_enrollments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outreach.record_enrollment_states();

--
-- Name: campaign_enrollments campaign_enrollments_touch; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER campaign_enrollments_touch BEFORE UPDATE ON outreach.campaign_enrollments FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: campaigns campaigns_status_transition; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER campaigns_status_transition BEFORE UPDATE OF status ON outreach.campaigns FOR EACH ROW EXECUTE FUNCTION outreach.assert_campaign_transition();

--
-- Name: campaigns campaigns_touch; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER campaigns_touch BEFORE UPDATE ON outreach.campaigns FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: messages messages_touch; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER messages_touch BEFORE UPDATE ON outreach.messages FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: prompts prompts_touch; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER prompts_touch BEFORE UPDATE ON outreach.prompts FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: step_experiments step_experiments_touch; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER step_experiments_touch BEFORE UPDATE ON outreach.step_experiments FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: tasks tasks_touch; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER tasks_touch BEFORE UPDATE ON outreach.tasks FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: workflow_steps workflow_steps_touch; Type: TRIGGER; Schema: outreach; Owner: -
--

CREATE TRIGGER workflow_steps_touch BEFORE UPDATE ON outreach.workflow_steps FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

--
-- Name: pixels audit_delete; Type: TRIGGER; Schema: tracking; Owner: -
--

CREATE TRIGGER audit_delete AFTER DELETE ON tracking.pixels REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: pixels audit_insert; Type: TRIGGER; Schema: tracking; Owner: -
--

CREATE TRIGGER audit_insert AFTER INSERT ON tracking.pixels REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: pixels audit_update; Type: TRIGGER; Schema: tracking; Owner: -
--

CREATE TRIGGER audit_update AFTER UPDATE ON tracking.pixels REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_changes('organisation_id');

--
-- Name: companies companies_organisation_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.companies
    ADD CONSTRAINT companies_organisation_fkey FOREIGN KEY (organisation_id) REFERENCES iam.organisations(id) ON DELETE CASCADE;

--
-- Name: idempotency_keys idempotency_keys_organisation_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.idempotency_keys
    ADD CONSTRAINT idempotency_keys_organisation_fkey FOREIGN KEY (organisation_id) REFERENCES iam.organisations(id) ON DELETE CASCADE;

--
-- Name: idempotency_keys idempotency_keys_user_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.idempotency_keys
    ADD CONSTRAINT idempotency_keys_user_fkey FOREIGN KEY (user_id) REFERENCES iam.users(id) ON DELETE CASCADE;

--
-- Name: import_changes import_changes_import_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_changes
    ADD CONSTRAINT import_changes_import_fkey FOREIGN KEY (organisation_id, import_id) REFERENCES crm.imports(organisation_id, id) ON DELETE CASCADE;

--
-- Name: import_errors import_errors_import_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_errors
    ADD CONSTRAINT import_errors_import_fkey FOREIGN KEY (organisation_id, import_id) REFERENCES crm.imports(organisation_id, id) ON DELETE CASCADE;

--
-- Name: import_mappings import_mappings_confirmed_by_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_mappings
    ADD CONSTRAINT import_mappings_confirmed_by_fkey FOREIGN KEY (confirmed_by) REFERENCES iam.users(id) ON DELETE SET NULL;

--
-- Name: import_mappings import_mappings_organisation_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_mappings
    ADD CONSTRAINT import_mappings_organisation_fkey FOREIGN KEY (organisation_id) REFERENCES iam.organisations(id) ON DELETE CASCADE;

--
-- Name: import_records import_records_import_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_records
    ADD CONSTRAINT import_records_import_fkey FOREIGN KEY (organisation_id, import_id) REFERENCES crm.imports(organisation_id, id) ON DELETE CASCADE;

--
-- Name: import_rows import_rows_import_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.import_rows
    ADD CONSTRAINT import_rows_import_fkey FOREIGN KEY (organisation_id, import_id) REFERENCES crm.imports(organisation_id, id) ON DELETE CASCADE;

--
-- Name: imports imports_campaign_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.imports
    ADD CONSTRAINT imports_campaign_fkey FOREIGN KEY (organisation_id, campaign_id) REFERENCES outreach.campaigns(organisation_id, id) ON DELETE SET NULL (campaign_id);

--
-- Name: imports imports_created_by_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.imports
    ADD CONSTRAINT imports_created_by_fkey FOREIGN KEY (created_by) REFERENCES iam.users(id) ON DELETE SET NULL;

--
-- Name: imports imports_organisation_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.imports
    ADD CONSTRAINT imports_organisation_fkey FOREIGN KEY (organisation_id) REFERENCES iam.organisations(id) ON DELETE CASCADE;

--
-- Name: people people_organisation_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.people
    ADD CONSTRAINT people_organisation_fkey FOREIGN KEY (organisation_id) REFERENCES iam.organisations(id) ON DELETE CASCADE;

--
-- Name: positions positions_company_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.positions
    ADD CONSTRAINT positions_company_fkey FOREIGN KEY (organisation_id, company_id) REFERENCES crm.companies(organisation_id, id) ON DELETE CASCADE;

--
-- Name: positions positions_person_fkey; Type: FK CONSTRAINT; Schema: crm; Owner: -
--

ALTER TABLE ONLY crm.positions
    ADD CONSTRAINT positions_person_fkey FOREIGN KEY (organisation_id, person_id) REFERENCES crm.people(organisation_id, id) ON DELETE CASCADE;

--
-- Name: organisation_users organisation_users_invited_by_fkey; Type: FK CONSTRAINT; Schema: iam; Owner: -
--

ALTER TABLE ONLY iam.organisation_users
    ADD CONSTRAINT organisation_users_invited_by_fkey FOREIGN KEY (invited_by) REFERENCES iam.users(id) ON DELETE SET NULL;

--
-- Name: organisation_users organisation_users_organisation_fkey; Type: FK CONSTRAINT; Schema: iam; Owner: -
--

ALTER TABLE ONLY iam.organisation_users
    ADD CONSTRAINT organisation_users_organisation_fkey FOREIGN KEY (organisation_id) REFERENCES iam.organisations(id) ON DELETE CASCADE;

--
-- Name: organisation_users organisation_users_user_fkey; Type: FK CONSTRAINT; Schema: iam; Owner: -
--

ALTER TABLE ONLY iam.organisation_users
    ADD CONSTRAINT organisation_users_user_fkey FOREIGN KEY (user_id) REFERENCES iam.users(id) ON DELETE CASCADE;

--
-- Name: campaign_enrollments campaign_enrollments_campaign_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.campaign_enrollments
    ADD CONSTRAINT campaign_enrollments_campaign_fkey FOREIGN KEY (organisation_id, campaign_id) REFERENCES outreach.campaigns(organisation_id, id) ON DELETE CASCADE;

--
-- Name: campaign_enrollments campaign_enrollments_person_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.campaign_enrollments
    ADD CONSTRAINT campaign_enrollments_person_fkey FOREIGN KEY (organisation_id, person_id) REFERENCES crm.people(organisation_id, id) ON DELETE CASCADE;

--
-- Name: campaign_enrollments campaign_enrollments_position_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.campaign_enrollments
    ADD CONSTRAINT campaign_enrollments_position_fkey FOREIGN KEY (organisation_id, position_id) REFERENCES crm.positions(organisation_id, id) ON DELETE SET NULL (position_id);

--
-- Name: campaign_enrollments campaign_enrollments_step_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.campaign_enrollments
    ADD CONSTRAINT campaign_enrollments_step_fkey FOREIGN KEY (organisation_id, current_step_id) REFERENCES outreach.workflow_steps(organisation_id, id) ON DELETE SET NULL (current_step_id);

--
-- Name: campaigns campaigns_created_by_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.campaigns
    ADD CONSTRAINT campaigns_created_by_fkey FOREIGN KEY (created_by) REFERENCES iam.users(id) ON DELETE SET NULL;

--
-- Name: campaigns campaigns_organisation_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.campaigns
    ADD CONSTRAINT campaigns_organisation_fkey FOREIGN KEY (organisation_id) REFERENCES iam.organisations(id) ON DELETE CASCADE;

--
-- Name: enrollment_state_changes enrollment_state_changes_campaign_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.enrollment_state_changes
    ADD CONSTRAINT enrollment_state_changes_campaign_fkey FOREIGN KEY (organisation_id, campaign_id) REFERENCES outreach.campaigns(organisation_id, id) ON DELETE CASCADE;

--
-- Name: enrollment_state_changes enrollment_state_changes_enrollment_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.enrollment_state_changes
    ADD CONSTRAINT enrollment_state_changes_enrollment_fkey FOREIGN KEY (organisation_id, enrollment_id) REFERENCES outreach.campaign_enrollments(organisation_id, id) ON DELETE CASCADE;

--
-- Name: enrollment_step_variant_assignments enrollment_step_variant_assignments_enrollment_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.enrollment_step_variant_assignments
    ADD CONSTRAINT enrollment_step_variant_assignments_enrollment_fkey FOREIGN KEY (organisation_id, enrollment_id) REFERENCES outreach.campaign_enrollments(organisation_id, id) ON DELETE CASCADE;

--
-- Name: enrollment_step_variant_assignments enrollment_step_variant_assignments_step_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.enrollment_step_variant_assignments
    ADD CONSTRAINT enrollment_step_variant_assignments_step_fkey FOREIGN KEY (organisation_id, step_id) REFERENCES outreach.workflow_steps(organisation_id, id) ON DELETE CASCADE;

--
-- Name: enrollment_step_variant_assignments enrollment_step_variant_assignments_variant_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.enrollment_step_variant_assignments
    ADD CONSTRAINT enrollment_step_variant_assignments_variant_fkey FOREIGN KEY (organisation_id, variant_id) REFERENCES outreach.step_experiment_variants(organisation_id, id) ON DELETE CASCADE;

--
-- Name: messages messages_enrollment_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.messages
    ADD CONSTRAINT messages_enrollment_fkey FOREIGN KEY (organisation_id, enrollment_id) REFERENCES outreach.campaign_enrollments(organisation_id, id) ON DELETE SET NULL (enrollment_id);

--
-- Name: messages messages_task_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.messages
    ADD CONSTRAINT messages_task_fkey FOREIGN KEY (organisation_id, task_id) REFERENCES outreach.tasks(organisation_id, id) ON DELETE SET NULL (task_id);

--
-- Name: prompt_versions prompt_versions_created_by_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.prompt_versions
    ADD CONSTRAINT prompt_versions_created_by_fkey FOREIGN KEY (created_by) REFERENCES iam.users(id) ON DELETE SET NULL;

--
-- Name: prompt_versions prompt_versions_prompt_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.prompt_versions
    ADD CONSTRAINT prompt_versions_prompt_fkey FOREIGN KEY (organisation_id, prompt_id) REFERENCES outreach.prompts(organisation_id, id) ON DELETE CASCADE;

--
-- Name: prompts prompts_organisation_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.prompts
    ADD CONSTRAINT prompts_organisation_fkey FOREIGN KEY (organisation_id) REFERENCES iam.organisations(id) ON DELETE CASCADE;

--
-- Name: step_experiment_variants step_experiment_variants_experiment_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.step_experiment_variants
    ADD CONSTRAINT step_experiment_variants_experiment_fkey FOREIGN KEY (organisation_id, experiment_id) REFERENCES outreach.step_experiments(organisation_id, id) ON DELETE CASCADE;

--
-- Name: step_experiment_variants step_experiment_variants_prompt_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.step_experiment_variants
    ADD CONSTRAINT step_experiment_variants_prompt_fkey FOREIGN KEY (organisation_id, prompt_id) REFERENCES outreach.prompts(organisation_id, id) ON DELETE RESTRICT;

--
-- Name: step_experiments step_experiments_step_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.step_experiments
    ADD CONSTRAINT step_experiments_step_fkey FOREIGN KEY (organisation_id, step_id) REFERENCES outreach.workflow_steps(organisation_id, id) ON DELETE CASCADE;

--
-- Name: tasks tasks_enrollment_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.tasks
    ADD CONSTRAINT tasks_enrollment_fkey FOREIGN KEY (organisation_id, enrollment_id) REFERENCES outreach.campaign_enrollments(organisation_id, id) ON DELETE CASCADE;

--
-- Name: tasks tasks_step_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.tasks
    ADD CONSTRAINT tasks_step_fkey FOREIGN KEY (organisation_id, step_id) REFERENCES outreach.workflow_steps(organisation_id, id) ON DELETE CASCADE;

--
-- Name: workflow_steps workflow_steps_campaign_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.workflow_steps
    ADD CONSTRAINT workflow_steps_campaign_fkey FOREIGN KEY (organisation_id, campaign_id) REFERENCES outreach.campaigns(organisation_id, id) ON DELETE CASCADE;

--
-- Name: workflow_steps workflow_steps_prompt_fkey; Type: FK CONSTRAINT; Schema: outreach; Owner: -
--

ALTER TABLE ONLY outreach.workflow_steps
    ADD CONSTRAINT workflow_steps_prompt_fkey FOREIGN KEY (organisation_id, prompt_id) REFERENCES outreach.prompts(organisation_id, id) ON DELETE RESTRICT;

--
-- Name: campaign_open_buckets campaign_open_buckets_campaign_fkey; Type: FK CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.campaign_open_buckets
    ADD CONSTRAINT campaign_open_buckets_campaign_fkey FOREIGN KEY (organisation_id, campaign_id) REFERENCES outreach.campaigns(organisation_id, id) ON DELETE CASCADE;

--
-- Name: message_open_stats message_open_stats_message_fkey; Type: FK CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.message_open_stats
    ADD CONSTRAINT message_open_stats_message_fkey FOREIGN KEY (organisation_id, message_id) REFERENCES outreach.messages(organisation_id, id) ON DELETE CASCADE;

--
-- Name: pixel_opens pixel_opens_message_fkey; Type: FK CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.pixel_opens
    ADD CONSTRAINT pixel_opens_message_fkey FOREIGN KEY (organisation_id, message_id) REFERENCES outreach.messages(organisation_id, id) ON DELETE CASCADE;

--
-- Name: pixels pixels_campaign_fkey; Type: FK CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.pixels
    ADD CONSTRAINT pixels_campaign_fkey FOREIGN KEY (organisation_id, campaign_id) REFERENCES outreach.campaigns(organisation_id, id) ON DELETE SET NULL (campaign_id);

--
-- Name: pixels pixels_message_fkey; Type: FK CONSTRAINT; Schema: tracking; Owner: -
--

ALTER TABLE ONLY tracking.pixels
    ADD CONSTRAINT pixels_message_fkey FOREIGN KEY (organisation_id, message_id) REFERENCES outreach.messages(organisation_id, id) ON DELETE CASCADE;

--
-- Name: audit_log; Type: ROW SECURITY; Schema: audit; Owner: -
--

ALTER TABLE audit.audit_log ENABLE ROW LEVEL SECURITY;

--
-- Name: audit_log definer_insert; Type: POLICY; Schema: audit; Owner: -
--

CREATE POLICY definer_insert ON audit.audit_log FOR INSERT TO prospectflow_definer WITH CHECK (true);

--
-- Name: audit_log tenant_isolation; Type: POLICY; Schema: audit; Owner: -
--

CREATE POLICY tenant_isolation ON audit.audit_log FOR SELECT USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: companies; Type: ROW SECURITY; Schema: crm; Owner: -
--

ALTER TABLE crm.companies ENABLE ROW LEVEL SECURITY;

--
-- Name: imports definer_claim; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY definer_claim ON crm.imports FOR SELECT TO prospectflow_definer USING (true);

--
-- Name: imports definer_lease; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY definer_lease ON crm.imports FOR UPDATE TO prospectflow_definer USING (true) WITH CHECK (true);

--
-- Name: idempotency_keys; Type: ROW SECURITY; Schema: crm; Owner: -
--

ALTER TABLE crm.idempotency_keys ENABLE ROW LEVEL SECURITY;

--
-- Name: import_changes; Type: ROW SECURITY; Schema: crm; Owner: -
--

ALTER TABLE crm.import_changes ENABLE ROW LEVEL SECURITY;

--
-- Name: import_errors; Type: ROW SECURITY; Schema: crm; Owner: -
--

ALTER TABLE crm.import_errors ENABLE ROW LEVEL SECURITY;

--
-- Name: import_mappings; Type: ROW SECURITY; Schema: crm; Owner: -
--

ALTER TABLE crm.import_mappings ENABLE ROW LEVEL SECURITY;

--
-- Name: import_records; Type: ROW SECURITY; Schema: crm; Owner: -
--

ALTER TABLE crm.import_records ENABLE ROW LEVEL SECURITY;

--
-- Name: import_rows; Type: ROW SECURITY; Schema: crm; Owner: -
--

ALTER TABLE crm.import_rows ENABLE ROW LEVEL SECURITY;

--
-- Name: imports; Type: ROW SECURITY; Schema: crm; Owner: -
--

ALTER TABLE crm.imports ENABLE ROW LEVEL SECURITY;

--
-- Name: people; Type: ROW SECURITY; Schema: crm; Owner: -
--

ALTER TABLE crm.people ENABLE ROW LEVEL SECURITY;

--
-- Name: positions; Type: ROW SECURITY; Schema: crm; Owner: -
--

ALTER TABLE crm.positions ENABLE ROW LEVEL SECURITY;

--
-- Name: companies tenant_isolation; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY tenant_isolation ON crm.companies USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: idempotency_keys tenant_isolation; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY tenant_isolation ON crm.idempotency_keys USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: import_changes tenant_isolation; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY tenant_isolation ON crm.import_changes USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: import_errors tenant_isolation; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY tenant_isolation ON crm.import_errors USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: import_mappings tenant_isolation; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY tenant_isolation ON crm.import_mappings USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: import_records tenant_isolation; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY tenant_isolation ON crm.import_records USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: import_rows tenant_isolation; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY tenant_isolation ON crm.import_rows USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: imports tenant_isolation; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY tenant_isolation ON crm.imports USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: people tenant_isolation; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY tenant_isolation ON crm.people USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: positions tenant_isolation; Type: POLICY; Schema: crm; Owner: -
--

CREATE POLICY tenant_isolation ON crm.positions USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: organisation_users definer_accept_invitation; Type: POLICY; Schema: iam; Owner: -
--

CREATE POLICY definer_accept_invitation ON iam.organisation_users FOR UPDATE TO prospectflow_definer USING ((status = 'invited'::text)) WITH CHECK ((status = 'active'::text));

--
-- Name: users definer_insert; Type: POLICY; Schema: iam; Owner: -
--

CREATE POLICY definer_insert ON iam.users FOR INSERT TO prospectflow_definer WITH CHECK (true);

--
-- Name: organisation_users definer_read; Type: POLICY; Schema: iam; Owner: -
--

CREATE POLICY definer_read ON iam.organisation_users FOR SELECT TO prospectflow_definer USING (true);

--
-- Name: organisations definer_read; Type: POLICY; Schema: iam; Owner: -
--

CREATE POLICY definer_read ON iam.organisations FOR SELECT TO prospectflow_definer USING (true);

--
-- Name: users definer_read; Type: POLICY; Schema: iam; Owner: -
--

CREATE POLICY definer_read ON iam.users FOR SELECT TO prospectflow_definer USING (true);

--
-- Name: users definer_update; Type: POLICY; Schema: iam; Owner: -
--

CREATE POLICY definer_update ON iam.users FOR UPDATE TO prospectflow_definer USING (true) WITH CHECK (true);

--
-- Name: organisation_users; Type: ROW SECURITY; Schema: iam; Owner: -
--

ALTER TABLE iam.organisation_users ENABLE ROW LEVEL SECURITY;

--
-- Name: organisations; Type: ROW SECURITY; Schema: iam; Owner: -
--

ALTER TABLE iam.organisations ENABLE ROW LEVEL SECURITY;

--
-- Name: organisation_users tenant_isolation; Type: POLICY; Schema: iam; Owner: -
--

CREATE POLICY tenant_isolation ON iam.organisation_users USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: organisations tenant_isolation; Type: POLICY; Schema: iam; Owner: -
--

CREATE POLICY tenant_isolation ON iam.organisations USING ((id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: users tenant_isolation; Type: POLICY; Schema: iam; Owner: -
--

CREATE POLICY tenant_isolation ON iam.users USING (((id = ( SELECT iam.current_user_id() AS current_user_id)) OR (id IN ( SELECT ou.user_id
   FROM iam.organisation_users ou
  WHERE (ou.organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)))))) WITH CHECK (((id = ( SELECT iam.current_user_id() AS current_user_id)) OR (id IN ( SELECT ou.user_id
   FROM iam.organisation_users ou
  WHERE (ou.organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))))));

--
-- Name: users; Type: ROW SECURITY; Schema: iam; Owner: -
--

ALTER TABLE iam.users ENABLE ROW LEVEL SECURITY;

--
-- Name: campaign_enrollments; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.campaign_enrollments ENABLE ROW LEVEL SECURITY;

--
-- Name: campaigns; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.campaigns ENABLE ROW LEVEL SECURITY;

--
-- Name: enrollment_state_changes; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.enrollment_state_changes ENABLE ROW LEVEL SECURITY;

--
-- Name: enrollment_step_variant_assignments; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.enrollment_step_variant_assignments ENABLE ROW LEVEL SECURITY;

--
-- Name: messages; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.messages ENABLE ROW LEVEL SECURITY;

--
-- Name: prompt_versions; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.prompt_versions ENABLE ROW LEVEL SECURITY;

--
-- Name: prompts; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.prompts ENABLE ROW LEVEL SECURITY;

--
-- Name: step_experiment_variants; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.step_experiment_variants ENABLE ROW LEVEL SECURITY;

--
-- Name: step_experiments; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.step_experiments ENABLE ROW LEVEL SECURITY;

--
-- Name: tasks; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.tasks ENABLE ROW LEVEL SECURITY;

--
-- Name: campaign_enrollments tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.campaign_enrollments USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: campaigns tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.campaigns USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: enrollment_state_changes tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.enrollment_state_changes USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: enrollment_step_variant_assignments tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.enrollment_step_variant_assignments USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: messages tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.messages USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: prompt_versions tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.prompt_versions USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: prompts tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.prompts USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: step_experiment_variants tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.step_experiment_variants USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: step_experiments tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.step_experiments USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: tasks tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.tasks USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: workflow_steps tenant_isolation; Type: POLICY; Schema: outreach; Owner: -
--

CREATE POLICY tenant_isolation ON outreach.workflow_steps USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: workflow_steps; Type: ROW SECURITY; Schema: outreach; Owner: -
--

ALTER TABLE outreach.workflow_steps ENABLE ROW LEVEL SECURITY;

--
-- Name: campaign_open_buckets; Type: ROW SECURITY; Schema: tracking; Owner: -
--

ALTER TABLE tracking.campaign_open_buckets ENABLE ROW LEVEL SECURITY;

--
-- Name: message_open_stats; Type: ROW SECURITY; Schema: tracking; Owner: -
--

ALTER TABLE tracking.message_open_stats ENABLE ROW LEVEL SECURITY;

--
-- Name: pixel_opens; Type: ROW SECURITY; Schema: tracking; Owner: -
--

ALTER TABLE tracking.pixel_opens ENABLE ROW LEVEL SECURITY;

--
-- Name: pixels; Type: ROW SECURITY; Schema: tracking; Owner: -
--

ALTER TABLE tracking.pixels ENABLE ROW LEVEL SECURITY;

--
-- Name: campaign_open_buckets tenant_isolation; Type: POLICY; Schema: tracking; Owner: -
--

CREATE POLICY tenant_isolation ON tracking.campaign_open_buckets USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: message_open_stats tenant_isolation; Type: POLICY; Schema: tracking; Owner: -
--

CREATE POLICY tenant_isolation ON tracking.message_open_stats USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: pixel_opens tenant_isolation; Type: POLICY; Schema: tracking; Owner: -
--

CREATE POLICY tenant_isolation ON tracking.pixel_opens USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: pixels tenant_isolation; Type: POLICY; Schema: tracking; Owner: -
--

CREATE POLICY tenant_isolation ON tracking.pixels USING ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id))) WITH CHECK ((organisation_id = ( SELECT iam.current_organisation_id() AS current_organisation_id)));

--
-- Name: SCHEMA audit; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA audit TO prospectflow_app;
GRANT USAGE ON SCHEMA audit TO prospectflow_readonly;
GRANT USAGE ON SCHEMA audit TO prospectflow_definer;

--
-- Name: SCHEMA crm; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA crm TO prospectflow_app;
GRANT USAGE ON SCHEMA crm TO prospectflow_readonly;
GRANT USAGE ON SCHEMA crm TO prospectflow_definer;

--
-- Name: SCHEMA iam; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA iam TO prospectflow_app;
GRANT USAGE ON SCHEMA iam TO prospectflow_readonly;
GRANT USAGE ON SCHEMA iam TO prospectflow_definer;

--
-- Name: SCHEMA outreach; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA outreach TO prospectflow_app;
GRANT USAGE ON SCHEMA outreach TO prospectflow_readonly;
GRANT USAGE ON SCHEMA outreach TO prospectflow_definer;

--
-- Name: SCHEMA tracking; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA tracking TO prospectflow_app;
GRANT USAGE ON SCHEMA tracking TO prospectflow_readonly;
GRANT USAGE ON SCHEMA tracking TO prospectflow_definer;

--
-- Name: FUNCTION attach(p_table regclass, p_tenant_column text); Type: ACL; Schema: audit; Owner: -
--

REVOKE ALL ON FUNCTION audit.attach(p_table regclass, p_tenant_column text) FROM PUBLIC;

--
-- Name: FUNCTION capture_changes(); Type: ACL; Schema: audit; Owner: -
--

REVOKE ALL ON FUNCTION audit.capture_changes() FROM PUBLIC;

--
-- Name: FUNCTION claim_import_job(p_worker text, p_lease_seconds integer, p_max_attempts integer); Type: ACL; Schema: crm; Owner: -
--

REVOKE ALL ON FUNCTION crm.claim_import_job(p_worker text, p_lease_seconds integer, p_max_attempts integer) FROM PUBLIC;
GRANT ALL ON FUNCTION crm.claim_import_job(p_worker text, p_lease_seconds integer, p_max_attempts integer) TO prospectflow_app;

--
-- Name: FUNCTION imports_to_purge(p_retention_seconds integer, p_limit integer); Type: ACL; Schema: crm; Owner: -
--

REVOKE ALL ON FUNCTION crm.imports_to_purge(p_retention_seconds integer, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION crm.imports_to_purge(p_retention_seconds integer, p_limit integer) TO prospectflow_app;

--
-- Name: FUNCTION search_key(p_value text); Type: ACL; Schema: crm; Owner: -
--

REVOKE ALL ON FUNCTION crm.search_key(p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION crm.search_key(p_value text) TO prospectflow_app;
GRANT ALL ON FUNCTION crm.search_key(p_value text) TO prospectflow_readonly;

--
-- Name: FUNCTION current_organisation_id(); Type: ACL; Schema: iam; Owner: -
--

REVOKE ALL ON FUNCTION iam.current_organisation_id() FROM PUBLIC;
GRANT ALL ON FUNCTION iam.current_organisation_id() TO prospectflow_app;
GRANT ALL ON FUNCTION iam.current_organisation_id() TO prospectflow_readonly;
GRANT ALL ON FUNCTION iam.current_organisation_id() TO prospectflow_definer;

--
-- Name: FUNCTION current_user_id(); Type: ACL; Schema: iam; Owner: -
--

REVOKE ALL ON FUNCTION iam.current_user_id() FROM PUBLIC;
GRANT ALL ON FUNCTION iam.current_user_id() TO prospectflow_app;
GRANT ALL ON FUNCTION iam.current_user_id() TO prospectflow_readonly;
GRANT ALL ON FUNCTION iam.current_user_id() TO prospectflow_definer;

--
-- Name: FUNCTION ensure_user_for_invitation(p_email public.citext); Type: ACL; Schema: iam; Owner: -
--

REVOKE ALL ON FUNCTION iam.ensure_user_for_invitation(p_email public.citext) FROM PUBLIC;
GRANT ALL ON FUNCTION iam.ensure_user_for_invitation(p_email public.citext) TO prospectflow_app;

--
-- Name: FUNCTION sync_user(p_cognito_sub text, p_email public.citext, p_first_name text, p_last_name text, p_issued_at timestamp with time zone); Type: ACL; Schema: iam; Owner: -
--

REVOKE ALL ON FUNCTION iam.sync_user(p_cognito_sub text, p_email public.citext, p_first_name text, p_last_name text, p_issued_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION iam.sync_user(p_cognito_sub text, p_email public.citext, p_first_name text, p_last_name text, p_issued_at timestamp with time zone) TO prospectflow_app;

--
-- Name: FUNCTION touch_updated_at(); Type: ACL; Schema: iam; Owner: -
--

REVOKE ALL ON FUNCTION iam.touch_updated_at() FROM PUBLIC;

--
-- Name: FUNCTION user_memberships(p_user_id uuid); Type: ACL; Schema: iam; Owner: -
--

REVOKE ALL ON FUNCTION iam.user_memberships(p_user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION iam.user_memberships(p_user_id uuid) TO prospectflow_app;

--
-- Name: FUNCTION new_pixel_token(p_organisation_id uuid); Type: ACL; Schema: tracking; Owner: -
--

GRANT ALL ON FUNCTION tracking.new_pixel_token(p_organisation_id uuid) TO prospectflow_app;

--
-- Name: FUNCTION record_open(p_token text, p_visitor_hash text); Type: ACL; Schema: tracking; Owner: -
--

REVOKE ALL ON FUNCTION tracking.record_open(p_token text, p_visitor_hash text) FROM PUBLIC;
GRANT ALL ON FUNCTION tracking.record_open(p_token text, p_visitor_hash text) TO prospectflow_app;

--
-- Name: FUNCTION record_opens(p_tokens text[], p_visitors text[], p_verdicts text[], p_opened_at timestamp with time zone[], p_scanner_window_seconds integer); Type: ACL; Schema: tracking; Owner: -
--

REVOKE ALL ON FUNCTION tracking.record_opens(p_tokens text[], p_visitors text[], p_verdicts text[], p_opened_at timestamp with time zone[], p_scanner_window_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION tracking.record_opens(p_tokens text[], p_visitors text[], p_verdicts text[], p_opened_at timestamp with time zone[], p_scanner_window_seconds integer) TO prospectflow_app;

--
-- Name: TABLE audit_log; Type: ACL; Schema: audit; Owner: -
--

GRANT SELECT ON TABLE audit.audit_log TO prospectflow_app;
GRANT SELECT ON TABLE audit.audit_log TO prospectflow_readonly;
GRANT INSERT ON TABLE audit.audit_log TO prospectflow_definer;

--
-- Name: TABLE companies; Type: ACL; Schema: crm; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE crm.companies TO prospectflow_app;
GRANT SELECT ON TABLE crm.companies TO prospectflow_readonly;

--
-- Name: TABLE idempotency_keys; Type: ACL; Schema: crm; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE crm.idempotency_keys TO prospectflow_app;
GRANT SELECT ON TABLE crm.idempotency_keys TO prospectflow_readonly;

--
-- Name: TABLE import_changes; Type: ACL; Schema: crm; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE crm.import_changes TO prospectflow_app;
GRANT SELECT ON TABLE crm.import_changes TO prospectflow_readonly;

--
-- Name: TABLE import_errors; Type: ACL; Schema: crm; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE crm.import_errors TO prospectflow_app;
GRANT SELECT ON TABLE crm.import_errors TO prospectflow_readonly;

--
-- Name: TABLE import_mappings; Type: ACL; Schema: crm; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE crm.import_mappings TO prospectflow_app;
GRANT SELECT ON TABLE crm.import_mappings TO prospectflow_readonly;

--
-- Name: TABLE import_records; Type: ACL; Schema: crm; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE crm.import_records TO prospectflow_app;
GRANT SELECT ON TABLE crm.import_records TO prospectflow_readonly;

--
-- Name: TABLE import_rows; Type: ACL; Schema: crm; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE crm.import_rows TO prospectflow_app;
GRANT SELECT ON TABLE crm.import_rows TO prospectflow_readonly;

--
-- Name: TABLE imports; Type: ACL; Schema: crm; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE crm.imports TO prospectflow_app;
GRANT SELECT ON TABLE crm.imports TO prospectflow_readonly;
GRANT SELECT ON TABLE crm.imports TO prospectflow_definer;

--
-- Name: COLUMN imports.status; Type: ACL; Schema: crm; Owner: -
--

GRANT UPDATE(status) ON TABLE crm.imports TO prospectflow_definer;

--
-- Name: COLUMN imports.finished_at; Type: ACL; Schema: crm; Owner: -
--

GRANT UPDATE(finished_at) ON TABLE crm.imports TO prospectflow_definer;

--
-- Name: COLUMN imports.updated_at; Type: ACL; Schema: crm; Owner: -
--

GRANT UPDATE(updated_at) ON TABLE crm.imports TO prospectflow_definer;

--
-- Name: COLUMN imports.job_state; Type: ACL; Schema: crm; Owner: -
--

GRANT UPDATE(job_state) ON TABLE crm.imports TO prospectflow_definer;

--
-- Name: COLUMN imports.job_error; Type: ACL; Schema: crm; Owner: -
--

GRANT UPDATE(job_error) ON TABLE crm.imports TO prospectflow_definer;

--
-- Name: COLUMN imports.lease_owner; Type: ACL; Schema: crm; Owner: -
--

GRANT UPDATE(lease_owner) ON TABLE crm.imports TO prospectflow_definer;

--
-- Name: COLUMN imports.lease_expires_at; Type: ACL; Schema: crm; Owner: -
--

GRANT UPDATE(lease_expires_at) ON TABLE crm.imports TO prospectflow_definer;

--
-- Name: COLUMN imports.job_attempts; Type: ACL; Schema: crm; Owner: -
--

GRANT UPDATE(job_attempts) ON TABLE crm.imports TO prospectflow_definer;

--
-- Name: COLUMN imports.job_started_at; Type: ACL; Schema: crm; Owner: -
--

GRANT UPDATE(job_started_at) ON TABLE crm.imports TO prospectflow_definer;

--
-- Name: TABLE people; Type: ACL; Schema: crm; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE crm.people TO prospectflow_app;
GRANT SELECT ON TABLE crm.people TO prospectflow_readonly;

--
-- Name: TABLE positions; Type: ACL; Schema: crm; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE crm.positions TO prospectflow_app;
GRANT SELECT ON TABLE crm.positions TO prospectflow_readonly;

--
-- Name: TABLE organisation_users; Type: ACL; Schema: iam; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE iam.organisation_users TO prospectflow_app;
GRANT SELECT ON TABLE iam.organisation_users TO prospectflow_readonly;
GRANT SELECT ON TABLE iam.organisation_users TO prospectflow_definer;

--
-- Name: COLUMN organisation_users.status; Type: ACL; Schema: iam; Owner: -
--

GRANT UPDATE(status) ON TABLE iam.organisation_users TO prospectflow_definer;

--
-- Name: COLUMN organisation_users.updated_at; Type: ACL; Schema: iam; Owner: -
--

GRANT UPDATE(updated_at) ON TABLE iam.organisation_users TO prospectflow_definer;

--
-- Name: TABLE organisations; Type: ACL; Schema: iam; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE iam.organisations TO prospectflow_app;
GRANT SELECT ON TABLE iam.organisations TO prospectflow_readonly;
GRANT SELECT ON TABLE iam.organisations TO prospectflow_definer;

--
-- Name: TABLE users; Type: ACL; Schema: iam; Owner: -
--

GRANT SELECT,UPDATE ON TABLE iam.users TO prospectflow_app;
GRANT SELECT ON TABLE iam.users TO prospectflow_readonly;
GRANT SELECT,INSERT,UPDATE ON TABLE iam.users TO prospectflow_definer;

--
-- Name: TABLE campaign_enrollments; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.campaign_enrollments TO prospectflow_app;
GRANT SELECT ON TABLE outreach.campaign_enrollments TO prospectflow_readonly;

--
-- Name: TABLE campaigns; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.campaigns TO prospectflow_app;
GRANT SELECT ON TABLE outreach.campaigns TO prospectflow_readonly;

--
-- Name: TABLE enrollment_state_changes; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.enrollment_state_changes TO prospectflow_app;
GRANT SELECT ON TABLE outreach.enrollment_state_changes TO prospectflow_readonly;

--
-- Name: TABLE enrollment_step_variant_assignments; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.enrollment_step_variant_assignments TO prospectflow_app;
GRANT SELECT ON TABLE outreach.enrollment_step_variant_assignments TO prospectflow_readonly;

--
-- Name: TABLE messages; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.messages TO prospectflow_app;
GRANT SELECT ON TABLE outreach.messages TO prospectflow_readonly;

--
-- Name: COLUMN messages.organisation_id; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT(organisation_id) ON TABLE outreach.messages TO prospectflow_definer;

--
-- Name: COLUMN messages.id; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT(id) ON TABLE outreach.messages TO prospectflow_definer;

--
-- Name: COLUMN messages.sent_at; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT(sent_at) ON TABLE outreach.messages TO prospectflow_definer;

--
-- Name: TABLE prompt_versions; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.prompt_versions TO prospectflow_app;
GRANT SELECT ON TABLE outreach.prompt_versions TO prospectflow_readonly;

--
-- Name: TABLE prompts; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.prompts TO prospectflow_app;
GRANT SELECT ON TABLE outreach.prompts TO prospectflow_readonly;

--
-- Name: TABLE step_experiment_variants; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.step_experiment_variants TO prospectflow_app;
GRANT SELECT ON TABLE outreach.step_experiment_variants TO prospectflow_readonly;

--
-- Name: TABLE step_experiments; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.step_experiments TO prospectflow_app;
GRANT SELECT ON TABLE outreach.step_experiments TO prospectflow_readonly;

--
-- Name: TABLE tasks; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.tasks TO prospectflow_app;
GRANT SELECT ON TABLE outreach.tasks TO prospectflow_readonly;

--
-- Name: TABLE workflow_steps; Type: ACL; Schema: outreach; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE outreach.workflow_steps TO prospectflow_app;
GRANT SELECT ON TABLE outreach.workflow_steps TO prospectflow_readonly;

--
-- Name: TABLE campaign_open_buckets; Type: ACL; Schema: tracking; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE tracking.campaign_open_buckets TO prospectflow_app;
GRANT SELECT ON TABLE tracking.campaign_open_buckets TO prospectflow_readonly;
GRANT SELECT,INSERT,UPDATE ON TABLE tracking.campaign_open_buckets TO prospectflow_definer;

--
-- Name: TABLE message_open_stats; Type: ACL; Schema: tracking; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE tracking.message_open_stats TO prospectflow_app;
GRANT SELECT ON TABLE tracking.message_open_stats TO prospectflow_readonly;
GRANT SELECT,INSERT,UPDATE ON TABLE tracking.message_open_stats TO prospectflow_definer;

--
-- Name: TABLE pixel_opens; Type: ACL; Schema: tracking; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE tracking.pixel_opens TO prospectflow_app;
GRANT SELECT ON TABLE tracking.pixel_opens TO prospectflow_readonly;
GRANT SELECT,INSERT,UPDATE ON TABLE tracking.pixel_opens TO prospectflow_definer;

--
-- Name: TABLE pixels; Type: ACL; Schema: tracking; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE tracking.pixels TO prospectflow_app;
GRANT SELECT ON TABLE tracking.pixels TO prospectflow_readonly;
GRANT SELECT ON TABLE tracking.pixels TO prospectflow_definer;

--
-- PostgreSQL database dump complete
--
