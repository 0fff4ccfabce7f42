-- Up Migration

-- Campaign status moves exactly along draft -> running <-> paused -> archived (issue 10, SPEC §7). The first
-- version also let draft and running go straight to archived; a draft nobody wants is deleted, and a running
-- campaign is paused first so that archiving is always a deliberate second step.
CREATE OR REPLACE FUNCTION outreach.assert_campaign_transition() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
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

-- Enrolment states move along a fixed table (doc/tracking.md and the campaigns service carry the same table;
-- a test walks every pair). bounced and unsubscribed are final: nobody is mailed again after either.
CREATE FUNCTION outreach.assert_enrollment_transition() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
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
CREATE TRIGGER campaign_enrollments_state_transition BEFORE UPDATE OF state ON outreach.campaign_enrollments
  FOR EACH ROW EXECUTE FUNCTION outreach.assert_enrollment_transition();

-- Every state an enrolment entered, for the per-day statistics (entries per day and the count in each state at
-- the end of a day). Written by statement-level triggers, so a bulk enrolment is one INSERT ... SELECT. The id is
-- an identity so that two changes in one transaction (same now()) keep their order.
CREATE TABLE outreach.enrollment_state_changes (
  organisation_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  enrollment_id uuid NOT NULL,
  campaign_id uuid NOT NULL,
  state text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT enrollment_state_changes_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT enrollment_state_changes_enrollment_fkey FOREIGN KEY (organisation_id, enrollment_id)
    REFERENCES outreach.campaign_enrollments (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT enrollment_state_changes_campaign_fkey FOREIGN KEY (organisation_id, campaign_id)
    REFERENCES outreach.campaigns (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT enrollment_state_changes_state_check CHECK (state IN
    ('active', 'paused', 'replied', 'bounced', 'unsubscribed', 'finished'))
);
CREATE INDEX enrollment_state_changes_campaign_idx
  ON outreach.enrollment_state_changes (organisation_id, campaign_id, changed_at);
CREATE INDEX enrollment_state_changes_enrollment_idx
  ON outreach.enrollment_state_changes (organisation_id, enrollment_id);

CREATE FUNCTION outreach.record_enrollment_states() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
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
CREATE TRIGGER campaign_enrollments_states_insert AFTER INSERT ON outreach.campaign_enrollments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outreach.record_enrollment_states();
CREATE TRIGGER campaign_enrollments_states_update AFTER UPDATE ON outreach.campaign_enrollments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION outreach.record_enrollment_states();

-- Prompts keep every version; prompts.body stays the current text (what a step uses by default).
ALTER TABLE outreach.prompts ADD COLUMN current_version integer NOT NULL DEFAULT 1,
  ADD CONSTRAINT prompts_current_version_check CHECK (current_version >= 1);
CREATE TABLE outreach.prompt_versions (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  prompt_id uuid NOT NULL,
  version integer NOT NULL,
  body text NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT prompt_versions_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT prompt_versions_prompt_fkey FOREIGN KEY (organisation_id, prompt_id)
    REFERENCES outreach.prompts (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT prompt_versions_created_by_fkey FOREIGN KEY (created_by) REFERENCES iam.users (id) ON DELETE SET NULL,
  CONSTRAINT prompt_versions_version_key UNIQUE (organisation_id, prompt_id, version),
  CONSTRAINT prompt_versions_version_check CHECK (version >= 1),
  CONSTRAINT prompt_versions_body_check CHECK (char_length(body) BETWEEN 1 AND 100000)
);
-- Steps may pin a version of their prompt; NULL follows the current one.
ALTER TABLE outreach.workflow_steps ADD COLUMN prompt_version integer,
  ADD CONSTRAINT workflow_steps_prompt_version_check CHECK (prompt_version IS NULL OR (prompt_id IS NOT NULL AND prompt_version >= 1));

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['enrollment_state_changes', 'prompt_versions'] LOOP
    EXECUTE format('ALTER TABLE outreach.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE outreach.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON outreach.%I
                      USING (organisation_id = (SELECT iam.current_organisation_id()))
                      WITH CHECK (organisation_id = (SELECT iam.current_organisation_id()))', t);
  END LOOP;
END
$$;
-- The same DML rights as every other tenant table (row-level security is what guards them); the history is
-- written by the trigger, which runs as the caller.
GRANT SELECT, INSERT, UPDATE, DELETE ON outreach.enrollment_state_changes, outreach.prompt_versions TO prospectflow_app;
GRANT SELECT ON outreach.enrollment_state_changes, outreach.prompt_versions TO prospectflow_readonly;
SELECT audit.attach('outreach.prompt_versions');

-- Pixel tokens: the organisation (32 hex) and 128 random bits (32 hex). The API draws the random half from
-- Node's CSPRNG; this SQL helper (fixtures, scripts) hashes two gen_random_uuid() values (244 bits from
-- PostgreSQL's strong random source) down to 128.
CREATE OR REPLACE FUNCTION tracking.new_pixel_token(p_organisation_id uuid) RETURNS text
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$ SELECT replace(p_organisation_id::text, '-', '') || md5(gen_random_uuid()::text || gen_random_uuid()::text) $$;

-- Opens per campaign in 15-minute buckets and by verdict. Every time zone in use since 1972 is a whole number
-- of quarter hours from UTC, so a bucket never straddles a local midnight and days can be cut in any zone,
-- across DST changes, without keeping one row per open. unique_opens counts new (message, visitor) pairs in the
-- bucket of their first open, under the verdict of that first open.
DROP TABLE tracking.campaign_daily_stats;
CREATE TABLE tracking.campaign_open_buckets (
  organisation_id uuid NOT NULL,
  campaign_id uuid NOT NULL,
  bucket_start timestamptz NOT NULL,
  verdict text NOT NULL,
  opens integer NOT NULL DEFAULT 0,
  unique_opens integer NOT NULL DEFAULT 0,
  CONSTRAINT campaign_open_buckets_pkey PRIMARY KEY (organisation_id, campaign_id, bucket_start, verdict),
  CONSTRAINT campaign_open_buckets_campaign_fkey FOREIGN KEY (organisation_id, campaign_id)
    REFERENCES outreach.campaigns (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT campaign_open_buckets_verdict_check CHECK (verdict IN
    ('human', 'apple_privacy_prefetch', 'google_image_proxy', 'security_scanner', 'unknown_bot')),
  CONSTRAINT campaign_open_buckets_aligned_check
    CHECK (bucket_start = date_bin('15 minutes', bucket_start, timestamptz '2000-01-01 00:00:00+00')),
  CONSTRAINT campaign_open_buckets_counts_check CHECK (opens >= 0 AND unique_opens >= 0)
);
ALTER TABLE tracking.campaign_open_buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE tracking.campaign_open_buckets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tracking.campaign_open_buckets
  USING (organisation_id = (SELECT iam.current_organisation_id()))
  WITH CHECK (organisation_id = (SELECT iam.current_organisation_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON tracking.campaign_open_buckets TO prospectflow_app;
GRANT SELECT ON tracking.campaign_open_buckets TO prospectflow_readonly;
GRANT SELECT, INSERT, UPDATE ON tracking.campaign_open_buckets TO prospectflow_definer;

ALTER TABLE tracking.message_open_stats
  ADD COLUMN human_opens integer NOT NULL DEFAULT 0,
  ADD COLUMN human_unique_opens integer NOT NULL DEFAULT 0,
  -- Written flat (no BETWEEN): nested ANDs are flattened when a dump is read back, and the restore check
  -- compares constraint definitions as text.
  ADD CONSTRAINT message_open_stats_human_check CHECK (human_opens >= 0 AND human_opens <= total_opens
    AND human_unique_opens >= 0 AND human_unique_opens <= unique_opens);

-- The definer reads a message's sent_at to classify an open that comes within seconds of sending.
GRANT SELECT (organisation_id, id, sent_at) ON outreach.messages TO prospectflow_definer;

-- Cross-tenant entry point of the pixel recorder: one call per batch of opens (any tenants). For each tenant
-- in the batch it scopes itself with a transaction-local app.organisation_id (restored on exit), so every write
-- goes through the ordinary tenant policy. Opens whose token is malformed or unknown, or whose fields are out of
-- shape, are skipped; it answers how many were recorded. The caller classified each open from its user agent
-- and address; here an open marked human that comes less than p_scanner_window_seconds after the message was
-- sent becomes security_scanner. Only the verdict is kept.
CREATE FUNCTION tracking.record_opens(p_tokens text[], p_visitors text[], p_verdicts text[],
                                      p_opened_at timestamptz[], p_scanner_window_seconds integer)
  RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_previous text := current_setting('app.organisation_id', true);
  v_org uuid;
  v_count integer;
  v_recorded integer := 0;
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

  FOR v_org IN
    SELECT DISTINCT left(t, 32)::uuid FROM unnest(p_tokens) AS t WHERE t ~ '^[0-9a-f]{64}$' ORDER BY 1
  LOOP
    PERFORM set_config('app.organisation_id', v_org::text, true);
    WITH batch AS (
      SELECT b.token, b.visitor, b.verdict, b.opened_at, b.ord
        FROM unnest(p_tokens, p_visitors, p_verdicts, p_opened_at) WITH ORDINALITY AS b(token, visitor, verdict, opened_at, ord)
       WHERE b.token ~ '^[0-9a-f]{64}$' AND left(b.token, 32)::uuid = v_org
         AND b.visitor ~ '^[A-Za-z0-9_.:-]{1,128}$'
         AND b.verdict IN ('human', 'apple_privacy_prefetch', 'google_image_proxy', 'security_scanner', 'unknown_bot')
         AND b.opened_at IS NOT NULL
    ), opens AS (
      SELECT b.ord, b.visitor, b.opened_at, p.message_id, p.campaign_id,
             CASE WHEN b.verdict = 'human' AND m.sent_at IS NOT NULL
                       AND b.opened_at < m.sent_at + make_interval(secs => p_scanner_window_seconds)
                  THEN 'security_scanner' ELSE b.verdict END AS verdict
        FROM batch b
        JOIN tracking.pixels p ON p.organisation_id = v_org AND p.token = b.token
        LEFT JOIN outreach.messages m ON m.organisation_id = v_org AND m.id = p.message_id
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
$$;
GRANT CREATE ON SCHEMA tracking TO prospectflow_definer;
ALTER FUNCTION tracking.record_opens(text[], text[], text[], timestamptz[], integer) OWNER TO prospectflow_definer;
REVOKE CREATE ON SCHEMA tracking FROM prospectflow_definer;
REVOKE ALL ON FUNCTION tracking.record_opens(text[], text[], text[], timestamptz[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tracking.record_opens(text[], text[], text[], timestamptz[], integer) TO prospectflow_app;

-- The one-open form stays for fixtures and scripts: one open, classified human, through the batch function.
CREATE OR REPLACE FUNCTION tracking.record_open(p_token text, p_visitor_hash text) RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN tracking.record_opens(ARRAY[p_token], ARRAY[p_visitor_hash], ARRAY['human'], ARRAY[now()], 0) > 0;
END
$$;

-- Audit entries name the import whose merge wrote them: the import service sets app.import_id for its
-- transaction (platform/db/transaction.ts), and the column default reads it, so the trigger function is
-- unchanged. A non-volatile default: existing rows get NULL without a rewrite.
ALTER TABLE audit.audit_log ADD COLUMN import_id uuid DEFAULT nullif(current_setting('app.import_id', true), '')::uuid;
CREATE INDEX audit_log_import_idx ON audit.audit_log (organisation_id, import_id, occurred_at DESC, id DESC)
  WHERE import_id IS NOT NULL;

-- Down Migration

DROP INDEX audit.audit_log_import_idx;
ALTER TABLE audit.audit_log DROP COLUMN import_id;

CREATE OR REPLACE FUNCTION tracking.record_open(p_token text, p_visitor_hash text) RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_previous text := current_setting('app.organisation_id', true);
  v_org uuid;
  v_message uuid;
  v_campaign uuid;
  v_new_visitor integer;
  v_first_open boolean;
BEGIN
  IF p_token IS NULL OR p_token !~ '^[0-9a-f]{64}$' OR p_visitor_hash IS NULL THEN
    RETURN false;
  END IF;
  v_org := left(p_token, 32)::uuid;
  PERFORM set_config('app.organisation_id', v_org::text, true);

  SELECT p.message_id, p.campaign_id INTO v_message, v_campaign
    FROM tracking.pixels p WHERE p.organisation_id = v_org AND p.token = p_token;
  IF v_message IS NULL THEN
    PERFORM set_config('app.organisation_id', coalesce(v_previous, ''), true);
    RETURN false;
  END IF;

  INSERT INTO tracking.pixel_opens (organisation_id, message_id, visitor_hash)
  VALUES (v_org, v_message, left(p_visitor_hash, 128))
  ON CONFLICT ON CONSTRAINT pixel_opens_visitor_key DO NOTHING;
  GET DIAGNOSTICS v_new_visitor = ROW_COUNT;

  INSERT INTO tracking.message_open_stats AS s
         (organisation_id, message_id, first_open_at, last_open_at, total_opens, unique_opens)
  VALUES (v_org, v_message, now(), now(), 1, v_new_visitor)
  ON CONFLICT ON CONSTRAINT message_open_stats_pkey DO UPDATE
     SET last_open_at = greatest(s.last_open_at, excluded.last_open_at),
         total_opens = s.total_opens + 1,
         unique_opens = s.unique_opens + excluded.unique_opens
  RETURNING s.total_opens = 1 INTO v_first_open;

  IF v_campaign IS NOT NULL THEN
    INSERT INTO tracking.campaign_daily_stats AS d (organisation_id, campaign_id, day, opens, unique_opens)
    VALUES (v_org, v_campaign, (now() AT TIME ZONE 'UTC')::date, 1, CASE WHEN v_first_open THEN 1 ELSE 0 END)
    ON CONFLICT ON CONSTRAINT campaign_daily_stats_pkey DO UPDATE
       SET opens = d.opens + 1, unique_opens = d.unique_opens + excluded.unique_opens;
  END IF;

  PERFORM set_config('app.organisation_id', coalesce(v_previous, ''), true);
  RETURN true;
END
$$;
DROP FUNCTION tracking.record_opens(text[], text[], text[], timestamptz[], integer);
REVOKE SELECT (organisation_id, id, sent_at) ON outreach.messages FROM prospectflow_definer;
ALTER TABLE tracking.message_open_stats DROP CONSTRAINT message_open_stats_human_check,
  DROP COLUMN human_unique_opens, DROP COLUMN human_opens;
DROP TABLE tracking.campaign_open_buckets;
CREATE TABLE tracking.campaign_daily_stats (
  organisation_id uuid NOT NULL,
  campaign_id uuid NOT NULL,
  day date NOT NULL,
  opens integer NOT NULL DEFAULT 0,
  unique_opens integer NOT NULL DEFAULT 0,
  CONSTRAINT campaign_daily_stats_pkey PRIMARY KEY (organisation_id, campaign_id, day),
  CONSTRAINT campaign_daily_stats_campaign_fkey FOREIGN KEY (organisation_id, campaign_id)
    REFERENCES outreach.campaigns (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT campaign_daily_stats_counts_check CHECK (opens >= unique_opens AND unique_opens >= 0)
);
ALTER TABLE tracking.campaign_daily_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE tracking.campaign_daily_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tracking.campaign_daily_stats
  USING (organisation_id = (SELECT iam.current_organisation_id()))
  WITH CHECK (organisation_id = (SELECT iam.current_organisation_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON tracking.campaign_daily_stats TO prospectflow_app;
GRANT SELECT ON tracking.campaign_daily_stats TO prospectflow_readonly;
GRANT SELECT, INSERT, UPDATE ON tracking.campaign_daily_stats TO prospectflow_definer;
CREATE OR REPLACE FUNCTION tracking.new_pixel_token(p_organisation_id uuid) RETURNS text
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$ SELECT replace(p_organisation_id::text, '-', '') || replace(gen_random_uuid()::text, '-', '') $$;

DROP TRIGGER audit_insert ON outreach.prompt_versions;
DROP TRIGGER audit_update ON outreach.prompt_versions;
DROP TRIGGER audit_delete ON outreach.prompt_versions;
ALTER TABLE outreach.workflow_steps DROP CONSTRAINT workflow_steps_prompt_version_check, DROP COLUMN prompt_version;
DROP TABLE outreach.prompt_versions;
ALTER TABLE outreach.prompts DROP CONSTRAINT prompts_current_version_check, DROP COLUMN current_version;
DROP TRIGGER campaign_enrollments_states_update ON outreach.campaign_enrollments;
DROP TRIGGER campaign_enrollments_states_insert ON outreach.campaign_enrollments;
DROP FUNCTION outreach.record_enrollment_states();
DROP TABLE outreach.enrollment_state_changes;
DROP TRIGGER campaign_enrollments_state_transition ON outreach.campaign_enrollments;
DROP FUNCTION outreach.assert_enrollment_transition();

CREATE OR REPLACE FUNCTION outreach.assert_campaign_transition() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'draft' AND NEW.status IN ('running', 'archived'))
    OR (OLD.status = 'running' AND NEW.status IN ('paused', 'archived'))
    OR (OLD.status = 'paused' AND NEW.status IN ('running', 'archived'))) THEN
    RAISE EXCEPTION 'campaign status cannot move from % to %', OLD.status, NEW.status
      USING ERRCODE = '23514', CONSTRAINT = 'campaigns_status_transition';
  END IF;
  RETURN NEW;
END
$$;
