-- Up Migration

-- File imports (doc/imports.md): the upload stages rows, a worker validates and commits them as jobs claimed
-- with a lease, the outcome and what the commit changed are recorded so the import can be undone.
ALTER TABLE crm.imports
  DROP CONSTRAINT imports_status_check,
  ADD CONSTRAINT imports_status_check CHECK (status IN ('uploading', 'uploaded', 'mapped', 'validating',
    'validated', 'committing', 'committed', 'reverting', 'reverted', 'failed', 'cancelled')),
  DROP CONSTRAINT imports_delimiter_check,
  ADD CONSTRAINT imports_delimiter_check CHECK (delimiter IN (',', ';', E'\t', '|')),
  ADD COLUMN format text,
  ADD COLUMN sheet text,
  ADD COLUMN header_signature text,
  ADD COLUMN preview jsonb,
  ADD COLUMN suggested_mapping jsonb,
  ADD COLUMN options jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN rows_valid integer NOT NULL DEFAULT 0,
  ADD COLUMN rows_invalid integer NOT NULL DEFAULT 0,
  ADD COLUMN rows_duplicate integer NOT NULL DEFAULT 0,
  ADD COLUMN rows_existing integer NOT NULL DEFAULT 0,
  ADD COLUMN rows_warning integer NOT NULL DEFAULT 0,
  ADD COLUMN enrolled_count integer NOT NULL DEFAULT 0,
  ADD COLUMN job text,
  ADD COLUMN job_state text,
  ADD COLUMN job_error text,
  ADD COLUMN lease_owner text,
  ADD COLUMN lease_expires_at timestamptz,
  ADD COLUMN job_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN job_started_at timestamptz,
  ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false,
  ADD COLUMN committed_at timestamptz,
  ADD COLUMN reverted_at timestamptz,
  ADD COLUMN revert_report jsonb,
  ADD COLUMN staged_purged_at timestamptz,
  ADD CONSTRAINT imports_format_check CHECK (format IN ('csv', 'xlsx')),
  ADD CONSTRAINT imports_job_check CHECK (job IN ('validate', 'commit', 'revert')),
  ADD CONSTRAINT imports_job_state_check CHECK (job_state IN ('queued', 'running', 'done', 'failed')),
  ADD CONSTRAINT imports_job_pair_check CHECK ((job IS NULL) = (job_state IS NULL));
-- An import row is a job's state (status, progress, lease) more than business data: its updates are not
-- audited one by one (a progress tick per chunk would flood the trail). What an import changes in the CRM is
-- audited as every other write, each entry carrying the import's id (audit.audit_log.import_id).
DROP TRIGGER audit_insert ON crm.imports;
DROP TRIGGER audit_update ON crm.imports;
DROP TRIGGER audit_delete ON crm.imports;
-- Workers look for queued jobs and expired leases across organisations: the partial index holds only the
-- imports with an active job, so scanning it whole is cheap; it leads with organisation_id like every index.
CREATE INDEX imports_jobs_idx ON crm.imports (organisation_id, job_state, lease_expires_at)
  WHERE job_state IN ('queued', 'running');

-- Clean records of an import, written by validation and read by the commit: the commit never validates again
-- and never trusts anything a client sends back. The keys say which rows are the same company or person.
CREATE TABLE crm.import_records (
  organisation_id uuid NOT NULL,
  import_id uuid NOT NULL,
  row_number integer NOT NULL,
  record jsonb NOT NULL,
  company_key text,
  person_key text,
  CONSTRAINT import_records_pkey PRIMARY KEY (organisation_id, import_id, row_number),
  CONSTRAINT import_records_import_fkey FOREIGN KEY (organisation_id, import_id)
    REFERENCES crm.imports (organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX import_records_company_key_idx ON crm.import_records (organisation_id, import_id, company_key);
CREATE INDEX import_records_person_key_idx ON crm.import_records (organisation_id, import_id, person_key);

-- What a commit did, so that it can be undone: the rows it created, and the old and new values of the
-- fields it changed.
CREATE TABLE crm.import_changes (
  organisation_id uuid NOT NULL,
  import_id uuid NOT NULL,
  table_name text NOT NULL,
  row_id uuid NOT NULL,
  operation text NOT NULL,
  old_values jsonb,
  new_values jsonb,
  CONSTRAINT import_changes_pkey PRIMARY KEY (organisation_id, import_id, table_name, row_id),
  CONSTRAINT import_changes_import_fkey FOREIGN KEY (organisation_id, import_id)
    REFERENCES crm.imports (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT import_changes_table_check CHECK (table_name IN ('companies', 'people', 'positions')),
  CONSTRAINT import_changes_operation_check CHECK (operation IN ('created', 'updated'))
);

-- The mapping a user confirmed, remembered per organisation for the same headers.
CREATE TABLE crm.import_mappings (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  header_signature text NOT NULL,
  headers jsonb NOT NULL,
  mapping jsonb NOT NULL,
  confirmed_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT import_mappings_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT import_mappings_organisation_fkey FOREIGN KEY (organisation_id)
    REFERENCES iam.organisations (id) ON DELETE CASCADE,
  CONSTRAINT import_mappings_confirmed_by_fkey FOREIGN KEY (confirmed_by) REFERENCES iam.users (id) ON DELETE SET NULL,
  CONSTRAINT import_mappings_signature_key UNIQUE (organisation_id, header_signature)
);
CREATE TRIGGER import_mappings_touch BEFORE UPDATE ON crm.import_mappings
  FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['import_records', 'import_changes', 'import_mappings'] LOOP
    EXECUTE format('ALTER TABLE crm.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE crm.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON crm.%I
                      USING (organisation_id = (SELECT iam.current_organisation_id()))
                      WITH CHECK (organisation_id = (SELECT iam.current_organisation_id()))', t);
  END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.import_records, crm.import_changes, crm.import_mappings TO prospectflow_app;
GRANT SELECT ON crm.import_records, crm.import_changes, crm.import_mappings TO prospectflow_readonly;

-- Claiming a job crosses organisations (a worker serves them all), so it goes through this narrow definer
-- function: it takes the oldest queued job, or one whose lease has run out, locks it without waiting for
-- another worker (SKIP LOCKED), gives it to the caller for p_lease_seconds and returns where it lives. The
-- work itself then runs in an ordinary tenant transaction.
CREATE POLICY definer_claim ON crm.imports FOR SELECT TO prospectflow_definer USING (true);
CREATE POLICY definer_lease ON crm.imports FOR UPDATE TO prospectflow_definer USING (true) WITH CHECK (true);
GRANT SELECT ON crm.imports TO prospectflow_definer;
GRANT UPDATE (job_state, lease_owner, lease_expires_at, job_attempts, job_started_at, status, job_error,
              finished_at, updated_at) ON crm.imports TO prospectflow_definer;

CREATE FUNCTION crm.claim_import_job(p_worker text, p_lease_seconds integer, p_max_attempts integer)
  RETURNS TABLE (organisation_id uuid, import_id uuid, job text, attempt integer)
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
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

-- Staged rows outlive their import only for the retention period: this lists, across organisations, the
-- imports whose staged rows and clean records the worker's sweep should purge (no job queued or running).
CREATE FUNCTION crm.imports_to_purge(p_retention_seconds integer, p_limit integer)
  RETURNS TABLE (organisation_id uuid, import_id uuid)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT i.organisation_id, i.id FROM crm.imports i
   WHERE i.staged_purged_at IS NULL
     AND i.updated_at < now() - make_interval(secs => p_retention_seconds)
     AND (i.job_state IS NULL OR i.job_state NOT IN ('queued', 'running'))
   ORDER BY i.updated_at
   LIMIT p_limit
$$;

GRANT CREATE ON SCHEMA crm TO prospectflow_definer;
ALTER FUNCTION crm.claim_import_job(text, integer, integer) OWNER TO prospectflow_definer;
ALTER FUNCTION crm.imports_to_purge(integer, integer) OWNER TO prospectflow_definer;
REVOKE CREATE ON SCHEMA crm FROM prospectflow_definer;
REVOKE ALL ON FUNCTION crm.claim_import_job(text, integer, integer), crm.imports_to_purge(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.claim_import_job(text, integer, integer), crm.imports_to_purge(integer, integer)
  TO prospectflow_app;

-- Down Migration

SELECT audit.attach('crm.imports');

DROP FUNCTION crm.imports_to_purge(integer, integer);
DROP FUNCTION crm.claim_import_job(text, integer, integer);
REVOKE UPDATE (job_state, lease_owner, lease_expires_at, job_attempts, job_started_at, status, job_error,
               finished_at, updated_at) ON crm.imports FROM prospectflow_definer;
REVOKE SELECT ON crm.imports FROM prospectflow_definer;
DROP POLICY definer_lease ON crm.imports;
DROP POLICY definer_claim ON crm.imports;
DROP TABLE crm.import_mappings;
DROP TABLE crm.import_changes;
DROP TABLE crm.import_records;
DROP INDEX crm.imports_jobs_idx;
ALTER TABLE crm.imports
  DROP CONSTRAINT imports_job_pair_check,
  DROP CONSTRAINT imports_job_state_check,
  DROP CONSTRAINT imports_job_check,
  DROP CONSTRAINT imports_format_check,
  DROP COLUMN staged_purged_at,
  DROP COLUMN revert_report,
  DROP COLUMN reverted_at,
  DROP COLUMN committed_at,
  DROP COLUMN cancel_requested,
  DROP COLUMN job_started_at,
  DROP COLUMN job_attempts,
  DROP COLUMN lease_expires_at,
  DROP COLUMN lease_owner,
  DROP COLUMN job_error,
  DROP COLUMN job_state,
  DROP COLUMN job,
  DROP COLUMN enrolled_count,
  DROP COLUMN rows_warning,
  DROP COLUMN rows_existing,
  DROP COLUMN rows_duplicate,
  DROP COLUMN rows_invalid,
  DROP COLUMN rows_valid,
  DROP COLUMN options,
  DROP COLUMN suggested_mapping,
  DROP COLUMN preview,
  DROP COLUMN header_signature,
  DROP COLUMN sheet,
  DROP COLUMN format,
  DROP CONSTRAINT imports_delimiter_check,
  ADD CONSTRAINT imports_delimiter_check CHECK (delimiter IN (',', ';', E'\t')),
  DROP CONSTRAINT imports_status_check,
  ADD CONSTRAINT imports_status_check CHECK (status IN
    ('uploaded', 'mapped', 'validating', 'validated', 'committing', 'committed', 'failed', 'cancelled'));
