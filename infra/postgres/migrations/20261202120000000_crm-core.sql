-- Up Migration

-- Which NAF nomenclature a stored code belongs to: rév. 2 (2008) and NAF 2025 (in force 1 January 2027) share
-- the NN.NNL shape, and some codes exist in both with different meanings.
ALTER TABLE crm.companies
  ADD COLUMN naf_nomenclature text,
  ADD CONSTRAINT companies_naf_nomenclature_check CHECK (naf_nomenclature IN ('NAF_REV2', 'NAF_2025')),
  ADD CONSTRAINT companies_naf_pair_check CHECK (naf_code IS NULL OR naf_nomenclature IS NOT NULL);

-- Accent- and case-insensitive prefix search ("societe" finds "Société Générale"). An immutable function
-- rather than a generated column, so the audit trail does not record a derived field beside every rename.
CREATE FUNCTION crm.search_key(p_value text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  SET search_path = pg_catalog, pg_temp
AS $$ SELECT lower(regexp_replace(normalize(p_value, NFD), '[\u0300-\u036f]', '', 'g')) $$;
REVOKE ALL ON FUNCTION crm.search_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.search_key(text) TO prospectflow_app, prospectflow_readonly;

DROP INDEX crm.companies_name_idx;
CREATE INDEX companies_name_search_idx ON crm.companies (organisation_id, crm.search_key(name) text_pattern_ops);
CREATE INDEX companies_naf_idx ON crm.companies (organisation_id, naf_code);
CREATE INDEX companies_updated_idx ON crm.companies (organisation_id, updated_at);
DROP INDEX crm.people_name_idx;
CREATE INDEX people_last_name_search_idx ON crm.people (organisation_id, crm.search_key(last_name) text_pattern_ops);
CREATE INDEX people_first_name_search_idx ON crm.people (organisation_id, crm.search_key(first_name) text_pattern_ops);
CREATE INDEX positions_status_idx ON crm.positions (organisation_id, email_status);

-- Idempotency-Key of write requests (POST /ingest): the first answer is kept for 24 h and replayed to the
-- same user in the same organisation. A row is 'running' from the first request's start to its commit.
CREATE TABLE crm.idempotency_keys (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  idempotency_key text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL DEFAULT 'running',
  response_status integer,
  -- json, not jsonb: a replay must give back the first answer byte for byte, keys in their order.
  response_body json,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT idempotency_keys_organisation_fkey FOREIGN KEY (organisation_id)
    REFERENCES iam.organisations (id) ON DELETE CASCADE,
  CONSTRAINT idempotency_keys_user_fkey FOREIGN KEY (user_id) REFERENCES iam.users (id) ON DELETE CASCADE,
  CONSTRAINT idempotency_keys_key UNIQUE (organisation_id, user_id, idempotency_key),
  CONSTRAINT idempotency_keys_state_check CHECK (state IN ('running', 'completed')),
  CONSTRAINT idempotency_keys_completed_check CHECK
    ((state = 'completed') = (response_status IS NOT NULL AND response_body IS NOT NULL AND completed_at IS NOT NULL)),
  CONSTRAINT idempotency_keys_key_check CHECK (char_length(idempotency_key) BETWEEN 1 AND 255)
);
CREATE INDEX idempotency_keys_expiry_idx ON crm.idempotency_keys (organisation_id, created_at);

ALTER TABLE crm.idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON crm.idempotency_keys
  USING (organisation_id = (SELECT iam.current_organisation_id()))
  WITH CHECK (organisation_id = (SELECT iam.current_organisation_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.idempotency_keys TO prospectflow_app;
GRANT SELECT ON crm.idempotency_keys TO prospectflow_readonly;

-- Down Migration

DROP TABLE crm.idempotency_keys;
DROP INDEX crm.positions_status_idx;
DROP INDEX crm.people_first_name_search_idx;
DROP INDEX crm.people_last_name_search_idx;
CREATE INDEX people_name_idx ON crm.people (organisation_id, lower(last_name), lower(first_name));
DROP INDEX crm.companies_updated_idx;
DROP INDEX crm.companies_naf_idx;
DROP INDEX crm.companies_name_search_idx;
CREATE INDEX companies_name_idx ON crm.companies (organisation_id, lower(name));
DROP FUNCTION crm.search_key(text);
ALTER TABLE crm.companies
  DROP CONSTRAINT companies_naf_pair_check,
  DROP CONSTRAINT companies_naf_nomenclature_check,
  DROP COLUMN naf_nomenclature;
