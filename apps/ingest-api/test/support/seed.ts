import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createAppPool, withTenantTransaction, withTransaction } from '../../src/platform/db/index.js';

export interface SeededTenant {
  organisationId: string;
  ownerId: string;
  companyId: string;
  personId: string;
  campaignId: string;
  messageId: string;
}

/** Creates (or finds) a user the way sign-in does: through the SECURITY DEFINER sync function. */
export async function signIn(pool: Pool, email: string): Promise<string> {
  return withTransaction(pool, {}, async (sql) => {
    const row = await sql.one<{ user_id: string }>('SELECT user_id FROM iam.sync_user($1, $2, $3, $4)', [
      `sub-${email}`,
      email,
      'Test',
      'User',
    ]);
    return row.user_id;
  });
}

/**
 * One organisation with a row in every tenant table, written as prospectflow_app through the same
 * withTenantTransaction the API uses (so the seed itself passes RLS and the composite keys).
 */
export async function seedTenant(pool: Pool, label: string): Promise<SeededTenant> {
  const organisationId = randomUUID();
  const ownerId = await signIn(pool, `${label}-owner-${organisationId.slice(0, 8)}@example.test`);
  return withTenantTransaction(
    pool,
    { organisationId, userId: ownerId, correlationId: `seed-${label}` },
    async (sql) => {
      await sql.query('INSERT INTO iam.organisations (id, name, slug) VALUES ($1, $2, $3)', [
        organisationId,
        `Org ${label}`,
        `${label.toLowerCase()}-${organisationId.slice(0, 8)}`,
      ]);
      await sql.query(
        "INSERT INTO iam.organisation_users (organisation_id, user_id, role, status) VALUES ($1, $2, 'owner', 'active')",
        [organisationId, ownerId],
      );
      const { id: companyId } = await sql.one<{ id: string }>(
        `INSERT INTO crm.companies (organisation_id, name, siren, naf_code, naf_nomenclature, domain)
       VALUES ($1, $2, lpad((floor(random() * 1e9))::bigint::text, 9, '0'), '62.01Z', 'NAF_REV2', $3) RETURNING id`,
        [organisationId, `Company ${label}`, `${label.toLowerCase()}-${organisationId.slice(0, 8)}.example`],
      );
      const { id: personId } = await sql.one<{ id: string }>(
        "INSERT INTO crm.people (organisation_id, first_name, last_name) VALUES ($1, 'Ada', $2) RETURNING id",
        [organisationId, label],
      );
      const { id: positionId } = await sql.one<{ id: string }>(
        `INSERT INTO crm.positions (organisation_id, person_id, company_id, job_title, email)
       VALUES ($1, $2, $3, 'CTO', $4) RETURNING id`,
        [organisationId, personId, companyId, `ada.${label.toLowerCase()}@example.test`],
      );
      const { id: importId } = await sql.one<{ id: string }>(
        "INSERT INTO crm.imports (organisation_id, file_name, created_by) VALUES ($1, 'seed.csv', $2) RETURNING id",
        [organisationId, ownerId],
      );
      await sql.query(
        "INSERT INTO crm.import_rows (organisation_id, import_id, row_number, raw) VALUES ($1, $2, 1, ARRAY['a','b'])",
        [organisationId, importId],
      );
      await sql.query(
        `INSERT INTO crm.import_errors (organisation_id, import_id, row_number, column_name, code, message)
       VALUES ($1, $2, 1, 'siren', 'invalid_siren', 'SIREN checksum fails')`,
        [organisationId, importId],
      );
      await sql.query(
        `INSERT INTO crm.import_records (organisation_id, import_id, row_number, record, company_key)
       VALUES ($1, $2, 1, '{"company": {"name": "Seed"}}', 'd:seed.example')`,
        [organisationId, importId],
      );
      await sql.query(
        `INSERT INTO crm.import_changes (organisation_id, import_id, table_name, row_id, operation, new_values)
       VALUES ($1, $2, 'companies', $3, 'created', '{}')`,
        [organisationId, importId, companyId],
      );
      await sql.query(
        `INSERT INTO crm.import_mappings (organisation_id, header_signature, headers, mapping)
       VALUES ($1, 'seed', '["SIREN"]', '{"SIREN": "company.siren"}')`,
        [organisationId],
      );
      await sql.query(
        `INSERT INTO crm.idempotency_keys (organisation_id, user_id, idempotency_key, request_hash)
       VALUES ($1, $2, 'seed-key', 'seed-hash')`,
        [organisationId, ownerId],
      );
      const { id: campaignId } = await sql.one<{ id: string }>(
        "INSERT INTO outreach.campaigns (organisation_id, name) VALUES ($1, 'Launch') RETURNING id",
        [organisationId],
      );
      const { id: promptId } = await sql.one<{ id: string }>(
        "INSERT INTO outreach.prompts (organisation_id, name, body) VALUES ($1, 'Intro', 'Say hello') RETURNING id",
        [organisationId],
      );
      await sql.query(
        "INSERT INTO outreach.prompt_versions (organisation_id, prompt_id, version, body, created_by) VALUES ($1, $2, 1, 'Say hello', $3)",
        [organisationId, promptId, ownerId],
      );
      const { id: stepId } = await sql.one<{ id: string }>(
        `INSERT INTO outreach.workflow_steps (organisation_id, campaign_id, step_order, prompt_id)
       VALUES ($1, $2, 1, $3) RETURNING id`,
        [organisationId, campaignId, promptId],
      );
      const { id: experimentId } = await sql.one<{ id: string }>(
        "INSERT INTO outreach.step_experiments (organisation_id, step_id, name) VALUES ($1, $2, 'Subject test') RETURNING id",
        [organisationId, stepId],
      );
      const { id: variantId } = await sql.one<{ id: string }>(
        "INSERT INTO outreach.step_experiment_variants (organisation_id, experiment_id, name) VALUES ($1, $2, 'A') RETURNING id",
        [organisationId, experimentId],
      );
      const { id: enrollmentId } = await sql.one<{ id: string }>(
        `INSERT INTO outreach.campaign_enrollments (organisation_id, campaign_id, person_id, position_id, current_step_id)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [organisationId, campaignId, personId, positionId, stepId],
      );
      await sql.query(
        `INSERT INTO outreach.enrollment_step_variant_assignments (organisation_id, enrollment_id, step_id, variant_id)
       VALUES ($1, $2, $3, $4)`,
        [organisationId, enrollmentId, stepId, variantId],
      );
      const { id: taskId } = await sql.one<{ id: string }>(
        `INSERT INTO outreach.tasks (organisation_id, enrollment_id, step_id, due_at)
       VALUES ($1, $2, $3, now()) RETURNING id`,
        [organisationId, enrollmentId, stepId],
      );
      const { id: messageId } = await sql.one<{ id: string }>(
        `INSERT INTO outreach.messages (organisation_id, enrollment_id, task_id, direction, status, subject)
       VALUES ($1, $2, $3, 'outbound', 'sent', 'Hello') RETURNING id`,
        [organisationId, enrollmentId, taskId],
      );
      const { token } = await sql.one<{ token: string }>(
        `INSERT INTO tracking.pixels (organisation_id, message_id, campaign_id, token)
       VALUES ($1, $2, $3, tracking.new_pixel_token($1)) RETURNING token`,
        [organisationId, messageId, campaignId],
      );
      await sql.one('SELECT tracking.record_open($1, $2) AS recorded', [token, 'visitor-1']);
      return { organisationId, ownerId, companyId, personId, campaignId, messageId };
    },
  );
}

/** The application pool as the API builds it, sized for a test. */
export function testPool(connectionString: string, max: number): Pool {
  return createAppPool({
    connectionString,
    max,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 10_000,
    applicationName: 'ingest-api-test',
    onIdleClientError: () => undefined,
  });
}
