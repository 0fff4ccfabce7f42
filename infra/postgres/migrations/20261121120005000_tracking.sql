-- Up Migration

-- A pixel token is 64 hex characters: the organisation id (32) followed by 122 random bits (32). Carrying the
-- tenant in the token lets the open be recorded under the ordinary tenant policy and keeps every key led by
-- organisation_id; the random half is what makes it unguessable.
CREATE FUNCTION tracking.new_pixel_token(p_organisation_id uuid) RETURNS text
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$ SELECT replace(p_organisation_id::text, '-', '') || replace(gen_random_uuid()::text, '-', '') $$;

CREATE TABLE tracking.pixels (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  message_id uuid NOT NULL,
  campaign_id uuid,
  token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pixels_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT pixels_message_fkey FOREIGN KEY (organisation_id, message_id)
    REFERENCES outreach.messages (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT pixels_campaign_fkey FOREIGN KEY (organisation_id, campaign_id)
    REFERENCES outreach.campaigns (organisation_id, id) ON DELETE SET NULL (campaign_id),
  CONSTRAINT pixels_token_key UNIQUE (organisation_id, token),
  CONSTRAINT pixels_message_key UNIQUE (organisation_id, message_id),
  CONSTRAINT pixels_token_check CHECK (token ~ '^[0-9a-f]{64}$'
    AND left(token, 32) = replace(organisation_id::text, '-', ''))
);
CREATE INDEX pixels_campaign_idx ON tracking.pixels (organisation_id, campaign_id);

-- One row per message and distinct visitor (hash of ip and user agent, never the raw values).
CREATE TABLE tracking.pixel_opens (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  message_id uuid NOT NULL,
  visitor_hash text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pixel_opens_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT pixel_opens_message_fkey FOREIGN KEY (organisation_id, message_id)
    REFERENCES outreach.messages (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT pixel_opens_visitor_key UNIQUE (organisation_id, message_id, visitor_hash),
  CONSTRAINT pixel_opens_visitor_hash_check CHECK (char_length(visitor_hash) BETWEEN 1 AND 128)
);

CREATE TABLE tracking.message_open_stats (
  organisation_id uuid NOT NULL,
  message_id uuid NOT NULL,
  first_open_at timestamptz NOT NULL,
  last_open_at timestamptz NOT NULL,
  total_opens integer NOT NULL DEFAULT 0,
  unique_opens integer NOT NULL DEFAULT 0,
  CONSTRAINT message_open_stats_pkey PRIMARY KEY (organisation_id, message_id),
  CONSTRAINT message_open_stats_message_fkey FOREIGN KEY (organisation_id, message_id)
    REFERENCES outreach.messages (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT message_open_stats_counts_check CHECK (total_opens >= unique_opens AND unique_opens >= 0),
  CONSTRAINT message_open_stats_times_check CHECK (last_open_at >= first_open_at)
);

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

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['pixels', 'pixel_opens', 'message_open_stats', 'campaign_daily_stats'] LOOP
    EXECUTE format('ALTER TABLE tracking.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE tracking.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON tracking.%I
                      USING (organisation_id = (SELECT iam.current_organisation_id()))
                      WITH CHECK (organisation_id = (SELECT iam.current_organisation_id()))', t);
  END LOOP;
END
$$;

-- Cross-tenant entry point for the public pixel: the caller has no tenant, the token names one. The function
-- takes the tenant from the token, scopes itself to it with a transaction-local setting (restored on exit), and
-- records the open under the ordinary tenant policy. It answers only true/false; the HTTP layer answers the same
-- GIF either way so a token's existence is never revealed.
CREATE FUNCTION tracking.record_open(p_token text, p_visitor_hash text) RETURNS boolean
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

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA tracking TO prospectflow_app;
GRANT SELECT ON ALL TABLES IN SCHEMA tracking TO prospectflow_readonly;
GRANT SELECT ON tracking.pixels TO prospectflow_definer;
GRANT SELECT, INSERT, UPDATE ON tracking.pixel_opens, tracking.message_open_stats, tracking.campaign_daily_stats
  TO prospectflow_definer;
-- ALTER ... OWNER needs the new owner to hold CREATE on the schema; it keeps ownership after the revoke.
GRANT CREATE ON SCHEMA tracking TO prospectflow_definer;
ALTER FUNCTION tracking.record_open(text, text) OWNER TO prospectflow_definer;
REVOKE CREATE ON SCHEMA tracking FROM prospectflow_definer;
REVOKE ALL ON FUNCTION tracking.record_open(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tracking.record_open(text, text) TO prospectflow_app;
GRANT EXECUTE ON FUNCTION tracking.new_pixel_token(uuid) TO prospectflow_app;

-- Down Migration

DROP FUNCTION tracking.record_open(text, text);
DROP TABLE tracking.campaign_daily_stats;
DROP TABLE tracking.message_open_stats;
DROP TABLE tracking.pixel_opens;
DROP TABLE tracking.pixels;
DROP FUNCTION tracking.new_pixel_token(uuid);
