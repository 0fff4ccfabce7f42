-- Up Migration

-- The domain of a company as a plain text key beside its citext value, as positions.email_key (ADR 0064):
-- citext's equality is not leakproof, so under row-level security no index served `domain = $1::citext`, and
-- each chunk of an import read every company of the organisation to match domains. The indexes keep their
-- names (the API names the conflicting record by the unique one) and move to the key.
ALTER TABLE crm.companies ADD COLUMN domain_key text GENERATED ALWAYS AS (lower(domain::text)) STORED;
DROP INDEX crm.companies_domain_key;
DROP INDEX crm.companies_domain_idx;
CREATE UNIQUE INDEX companies_domain_key ON crm.companies (organisation_id, domain_key)
  WHERE siren IS NULL AND domain_key IS NOT NULL;
CREATE INDEX companies_domain_idx ON crm.companies (organisation_id, domain_key);

-- Down Migration

DROP INDEX crm.companies_domain_idx;
DROP INDEX crm.companies_domain_key;
ALTER TABLE crm.companies DROP COLUMN domain_key;
CREATE UNIQUE INDEX companies_domain_key ON crm.companies (organisation_id, domain)
  WHERE siren IS NULL AND domain IS NOT NULL;
CREATE INDEX companies_domain_idx ON crm.companies (organisation_id, domain);
