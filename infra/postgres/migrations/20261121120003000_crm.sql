-- Up Migration

CREATE TABLE crm.companies (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
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
  generic_email citext,
  website_url text,
  domain citext,
  linkedin_url text,
  hq_address text,
  hq_postal_code text,
  hq_city text,
  hq_country text NOT NULL DEFAULT 'FR',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT companies_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT companies_organisation_fkey FOREIGN KEY (organisation_id)
    REFERENCES iam.organisations (id) ON DELETE CASCADE,
  CONSTRAINT companies_name_check CHECK (char_length(btrim(name)) BETWEEN 1 AND 500),
  CONSTRAINT companies_siren_check CHECK (siren ~ '^[0-9]{9}$'),
  CONSTRAINT companies_hq_siret_check CHECK (hq_siret ~ '^[0-9]{14}$'),
  CONSTRAINT companies_siret_matches_siren_check CHECK (hq_siret IS NULL OR siren IS NULL OR left(hq_siret, 9) = siren),
  CONSTRAINT companies_naf_code_check CHECK (naf_code ~ '^[0-9]{2}\.[0-9]{2}[A-Z]$'),
  CONSTRAINT companies_annual_revenue_check CHECK (annual_revenue_eur >= 0),
  CONSTRAINT companies_main_phone_check CHECK (main_phone ~ '^\+[1-9][0-9]{6,14}$'),
  CONSTRAINT companies_generic_email_check CHECK (generic_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  CONSTRAINT companies_domain_check CHECK (domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'),
  CONSTRAINT companies_hq_country_check CHECK (hq_country ~ '^[A-Z]{2}$')
);
-- Natural keys (doc/data-model.md): SIREN first, else domain, else the Pharow id.
CREATE UNIQUE INDEX companies_siren_key ON crm.companies (organisation_id, siren) WHERE siren IS NOT NULL;
CREATE UNIQUE INDEX companies_domain_key ON crm.companies (organisation_id, domain)
  WHERE siren IS NULL AND domain IS NOT NULL;
CREATE UNIQUE INDEX companies_pharow_key ON crm.companies (organisation_id, pharow_company_id)
  WHERE pharow_company_id IS NOT NULL;
CREATE INDEX companies_list_idx ON crm.companies (organisation_id, created_at, id);
CREATE INDEX companies_name_idx ON crm.companies (organisation_id, lower(name));
CREATE INDEX companies_domain_idx ON crm.companies (organisation_id, domain);

CREATE TABLE crm.people (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  first_name text,
  last_name text,
  salutation text,
  linkedin_url text,
  mobile_phone text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT people_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT people_organisation_fkey FOREIGN KEY (organisation_id)
    REFERENCES iam.organisations (id) ON DELETE CASCADE,
  CONSTRAINT people_salutation_check CHECK (salutation IN ('mr', 'mrs', 'mx')),
  CONSTRAINT people_mobile_phone_check CHECK (mobile_phone ~ '^\+[1-9][0-9]{6,14}$'),
  CONSTRAINT people_linkedin_url_check CHECK (linkedin_url ~ '^https://'),
  CONSTRAINT people_name_check CHECK (coalesce(first_name, last_name, linkedin_url) IS NOT NULL)
);
CREATE UNIQUE INDEX people_linkedin_key ON crm.people (organisation_id, linkedin_url) WHERE linkedin_url IS NOT NULL;
CREATE INDEX people_list_idx ON crm.people (organisation_id, created_at, id);
CREATE INDEX people_name_idx ON crm.people (organisation_id, lower(last_name), lower(first_name));

CREATE TABLE crm.positions (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL,
  company_id uuid NOT NULL,
  job_title text,
  email citext,
  email_status text,
  email_reliability smallint,
  source text,
  source_list text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT positions_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT positions_person_fkey FOREIGN KEY (organisation_id, person_id)
    REFERENCES crm.people (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT positions_company_fkey FOREIGN KEY (organisation_id, company_id)
    REFERENCES crm.companies (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT positions_person_company_key UNIQUE (organisation_id, person_id, company_id),
  CONSTRAINT positions_email_check CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND char_length(email) <= 320),
  CONSTRAINT positions_email_status_check CHECK (email_status IN ('valid', 'risky', 'catch_all', 'invalid', 'unknown')),
  CONSTRAINT positions_email_reliability_check CHECK (email_reliability BETWEEN 0 AND 100)
);
-- One normalised e-mail identifies one person within an organisation (people de-duplicate on it).
CREATE UNIQUE INDEX positions_email_key ON crm.positions (organisation_id, email) WHERE email IS NOT NULL;
CREATE INDEX positions_company_idx ON crm.positions (organisation_id, company_id);
CREATE INDEX positions_list_idx ON crm.positions (organisation_id, created_at, id);

CREATE TABLE crm.imports (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  file_name text NOT NULL,
  file_size_bytes bigint,
  content_type text,
  status text NOT NULL DEFAULT 'uploaded',
  encoding text,
  delimiter text,
  headers jsonb,
  mapping jsonb,
  campaign_id uuid,
  rows_total integer NOT NULL DEFAULT 0,
  rows_processed integer NOT NULL DEFAULT 0,
  created_count integer NOT NULL DEFAULT 0,
  updated_count integer NOT NULL DEFAULT 0,
  unchanged_count integer NOT NULL DEFAULT 0,
  rejected_count integer NOT NULL DEFAULT 0,
  failure_reason text,
  created_by uuid,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT imports_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT imports_organisation_fkey FOREIGN KEY (organisation_id)
    REFERENCES iam.organisations (id) ON DELETE CASCADE,
  CONSTRAINT imports_created_by_fkey FOREIGN KEY (created_by) REFERENCES iam.users (id) ON DELETE SET NULL,
  CONSTRAINT imports_status_check CHECK (status IN
    ('uploaded', 'mapped', 'validating', 'validated', 'committing', 'committed', 'failed', 'cancelled')),
  CONSTRAINT imports_delimiter_check CHECK (delimiter IN (',', ';', E'\t')),
  CONSTRAINT imports_counts_check CHECK (rows_total >= 0 AND rows_processed >= 0 AND created_count >= 0
    AND updated_count >= 0 AND unchanged_count >= 0 AND rejected_count >= 0),
  CONSTRAINT imports_file_name_check CHECK (char_length(file_name) BETWEEN 1 AND 255)
);
CREATE INDEX imports_list_idx ON crm.imports (organisation_id, created_at, id);
CREATE INDEX imports_status_idx ON crm.imports (organisation_id, status);

-- Staging: parsed rows of one import, filled by COPY and merged with set-based SQL. Keyed by the import's
-- row number, not by a uuid: a million-row COPY should not pay for a uuid per row.
CREATE TABLE crm.import_rows (
  organisation_id uuid NOT NULL,
  import_id uuid NOT NULL,
  row_number integer NOT NULL,
  raw text[] NOT NULL,
  data jsonb,
  status text NOT NULL DEFAULT 'staged',
  CONSTRAINT import_rows_pkey PRIMARY KEY (organisation_id, import_id, row_number),
  CONSTRAINT import_rows_import_fkey FOREIGN KEY (organisation_id, import_id)
    REFERENCES crm.imports (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT import_rows_status_check CHECK (status IN ('staged', 'valid', 'rejected', 'duplicate', 'merged')),
  CONSTRAINT import_rows_row_number_check CHECK (row_number >= 1)
);

CREATE TABLE crm.import_errors (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  import_id uuid NOT NULL,
  row_number integer NOT NULL,
  column_name text,
  code text NOT NULL,
  severity text NOT NULL DEFAULT 'error',
  message text NOT NULL,
  raw_value text,
  CONSTRAINT import_errors_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT import_errors_import_fkey FOREIGN KEY (organisation_id, import_id)
    REFERENCES crm.imports (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT import_errors_severity_check CHECK (severity IN ('error', 'warning')),
  CONSTRAINT import_errors_row_number_check CHECK (row_number >= 0)
);
CREATE INDEX import_errors_import_idx ON crm.import_errors (organisation_id, import_id, row_number);

CREATE TRIGGER companies_touch BEFORE UPDATE ON crm.companies FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER people_touch BEFORE UPDATE ON crm.people FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER positions_touch BEFORE UPDATE ON crm.positions FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER imports_touch BEFORE UPDATE ON crm.imports FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['companies', 'people', 'positions', 'imports', 'import_rows', 'import_errors'] LOOP
    EXECUTE format('ALTER TABLE crm.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE crm.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON crm.%I
                      USING (organisation_id = (SELECT iam.current_organisation_id()))
                      WITH CHECK (organisation_id = (SELECT iam.current_organisation_id()))', t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA crm TO prospectflow_app;
GRANT SELECT ON ALL TABLES IN SCHEMA crm TO prospectflow_readonly;

-- Down Migration

DROP TABLE crm.import_errors;
DROP TABLE crm.import_rows;
DROP TABLE crm.imports;
DROP TABLE crm.positions;
DROP TABLE crm.people;
DROP TABLE crm.companies;
