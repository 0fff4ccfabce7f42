-- Up Migration

-- The e-mail of a position as a plain text key beside its citext value (ADR 0064). citext's equality is not
-- leakproof, so under row-level security PostgreSQL cannot use an index for `email = $1::citext` (the
-- condition may not run before the tenant policy): every lookup by e-mail read all of the organisation's
-- positions, and the import commit, which looks up each chunk's e-mails, grew quadratically with the CRM.
-- text equality is leakproof: `email_key = lower($1)` probes the unique index under the policy. The key is
-- lower(email::text), which is what citext compares, so uniqueness is unchanged; the unique index keeps its
-- name (the API names the conflicting record by it) and moves to the key.
ALTER TABLE crm.positions ADD COLUMN email_key text GENERATED ALWAYS AS (lower(email::text)) STORED;
DROP INDEX crm.positions_email_key;
CREATE UNIQUE INDEX positions_email_key ON crm.positions (organisation_id, email_key) WHERE email_key IS NOT NULL;

-- Down Migration

DROP INDEX crm.positions_email_key;
ALTER TABLE crm.positions DROP COLUMN email_key;
CREATE UNIQUE INDEX positions_email_key ON crm.positions (organisation_id, email) WHERE email IS NOT NULL;
