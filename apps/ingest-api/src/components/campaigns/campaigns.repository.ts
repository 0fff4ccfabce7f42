import type { Sql } from '../../platform/db/index.js';
import {
  keysetClauses,
  keysetPage,
  keysetSortKey,
  keysetValues,
  type KeysetOrder,
  type KeysetPage,
  type KeysetPosition,
} from '../../platform/db/keyset.js';
import type { Campaign, Experiment, Prompt, PromptVersion, Step, Variant } from './campaigns.schemas.js';
import type { CampaignStatus } from './transitions.js';

const iso = (value: Date) => value.toISOString();

interface CampaignRow {
  id: string;
  name: string;
  description: string | null;
  status: CampaignStatus;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  keyset_sort_key: string;
}

const CAMPAIGN_ORDER: KeysetOrder = { sortColumn: 'c.created_at', idColumn: 'c.id', direction: 'desc' };
const CAMPAIGN_COLUMNS = `c.id, c.name, c.description, c.status, c.created_by, c.created_at, c.updated_at,
  ${keysetSortKey(CAMPAIGN_ORDER)}`;
const CAMPAIGN_PAGE = keysetClauses(CAMPAIGN_ORDER, 2);

const toCampaign = (row: CampaignRow): Campaign => ({
  id: row.id,
  name: row.name,
  description: row.description,
  status: row.status,
  createdBy: row.created_by,
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at),
});

export async function insertCampaign(
  sql: Sql,
  input: { organisationId: string; name: string; description: string | null; createdBy: string | null },
): Promise<Campaign> {
  const row = await sql.one<CampaignRow>(
    `INSERT INTO outreach.campaigns AS c (organisation_id, name, description, created_by)
     VALUES ($1, $2, $3, $4) RETURNING ${CAMPAIGN_COLUMNS}`,
    [input.organisationId, input.name, input.description, input.createdBy],
  );
  return toCampaign(row);
}

export async function findCampaign(
  sql: Sql,
  organisationId: string,
  id: string,
  lock: 'none' | 'share' | 'update' = 'none',
): Promise<Campaign | null> {
  const suffix = lock === 'update' ? ' FOR UPDATE' : lock === 'share' ? ' FOR SHARE' : '';
  const row = await sql.maybeOne<CampaignRow>(
    `SELECT ${CAMPAIGN_COLUMNS} FROM outreach.campaigns c WHERE c.organisation_id = $1 AND c.id = $2${suffix}`,
    [organisationId, id],
  );
  return row ? toCampaign(row) : null;
}

/** Newest first, strictly after the cursor. */
export async function listCampaigns(
  sql: Sql,
  input: {
    organisationId: string;
    after: KeysetPosition | null;
    limit: number;
    status?: CampaignStatus | undefined;
  },
): Promise<KeysetPage<Campaign>> {
  const rows = await sql.any<CampaignRow>(
    `SELECT ${CAMPAIGN_COLUMNS} FROM outreach.campaigns c
      WHERE c.organisation_id = $1 AND ${CAMPAIGN_PAGE.predicate} AND ($4::text IS NULL OR c.status = $4)
      ORDER BY ${CAMPAIGN_PAGE.orderBy} LIMIT $5`,
    [input.organisationId, ...keysetValues(input.after), input.status ?? null, input.limit + 1],
  );
  return keysetPage(rows, input.limit, toCampaign);
}

/**
 * Sets only the given fields; a field set to its current value is not a change (the audit trigger then
 * records nothing).
 */
export async function updateCampaign(
  sql: Sql,
  organisationId: string,
  id: string,
  changes: { name?: string | undefined; description?: string | null | undefined; status?: CampaignStatus },
): Promise<Campaign | null> {
  const row = await sql.maybeOne<CampaignRow>(
    `UPDATE outreach.campaigns c
        SET name = CASE WHEN $3::boolean THEN $4 ELSE c.name END,
            description = CASE WHEN $5::boolean THEN $6 ELSE c.description END,
            status = coalesce($7, c.status)
      WHERE c.organisation_id = $1 AND c.id = $2
        AND (($3::boolean AND c.name IS DISTINCT FROM $4) OR ($5::boolean AND c.description IS DISTINCT FROM $6)
             OR ($7::text IS NOT NULL AND c.status IS DISTINCT FROM $7))
      RETURNING ${CAMPAIGN_COLUMNS}`,
    [
      organisationId,
      id,
      changes.name !== undefined,
      changes.name ?? null,
      changes.description !== undefined,
      changes.description ?? null,
      changes.status ?? null,
    ],
  );
  return row ? toCampaign(row) : null;
}

export async function deleteCampaign(sql: Sql, organisationId: string, id: string): Promise<number> {
  const { rowCount } = await sql.query(
    'DELETE FROM outreach.campaigns WHERE organisation_id = $1 AND id = $2',
    [organisationId, id],
  );
  return rowCount;
}

interface StepRow {
  id: string;
  campaign_id: string;
  step_order: number;
  delay_days: number;
  prompt_id: string | null;
  prompt_version: number | null;
  subject_template: string | null;
  body_template: string | null;
  created_at: Date;
  updated_at: Date;
}
const STEP_COLUMNS = `s.id, s.campaign_id, s.step_order, s.delay_days, s.prompt_id, s.prompt_version,
  s.subject_template, s.body_template, s.created_at, s.updated_at`;
const toStep = (row: StepRow): Step => ({
  id: row.id,
  campaignId: row.campaign_id,
  stepOrder: row.step_order,
  channel: 'email',
  delayDays: row.delay_days,
  promptId: row.prompt_id,
  promptVersion: row.prompt_version,
  subjectTemplate: row.subject_template,
  bodyTemplate: row.body_template,
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at),
});

export async function listSteps(sql: Sql, organisationId: string, campaignId: string): Promise<Step[]> {
  const rows = await sql.any<StepRow>(
    `SELECT ${STEP_COLUMNS} FROM outreach.workflow_steps s
      WHERE s.organisation_id = $1 AND s.campaign_id = $2 ORDER BY s.step_order`,
    [organisationId, campaignId],
  );
  return rows.map(toStep);
}

export async function findStep(
  sql: Sql,
  organisationId: string,
  campaignId: string,
  stepId: string,
): Promise<Step | null> {
  const row = await sql.maybeOne<StepRow>(
    `SELECT ${STEP_COLUMNS} FROM outreach.workflow_steps s
      WHERE s.organisation_id = $1 AND s.campaign_id = $2 AND s.id = $3`,
    [organisationId, campaignId, stepId],
  );
  return row ? toStep(row) : null;
}

/**
 * Moves the steps at or after `from` (up to `to` when given) by `delta` places. The order key is unique per
 * campaign and DEFERRABLE, so the caller defers it for the transaction before shifting.
 */
export async function shiftSteps(
  sql: Sql,
  organisationId: string,
  campaignId: string,
  range: { from: number; to: number | null; delta: 1 | -1; exceptId: string | null },
): Promise<void> {
  await sql.query('SET CONSTRAINTS outreach.workflow_steps_order_key DEFERRED');
  await sql.query(
    `UPDATE outreach.workflow_steps SET step_order = step_order + $5
      WHERE organisation_id = $1 AND campaign_id = $2 AND step_order >= $3
        AND ($4::integer IS NULL OR step_order <= $4) AND ($6::uuid IS NULL OR id <> $6)`,
    [organisationId, campaignId, range.from, range.to, range.delta, range.exceptId],
  );
}

export async function countSteps(sql: Sql, organisationId: string, campaignId: string): Promise<number> {
  const row = await sql.one<{ n: number }>(
    'SELECT count(*)::integer AS n FROM outreach.workflow_steps WHERE organisation_id = $1 AND campaign_id = $2',
    [organisationId, campaignId],
  );
  return row.n;
}

export interface StepValues {
  stepOrder: number;
  delayDays: number;
  promptId: string | null;
  promptVersion: number | null;
  subjectTemplate: string | null;
  bodyTemplate: string | null;
}

export async function insertStep(
  sql: Sql,
  organisationId: string,
  campaignId: string,
  values: StepValues,
): Promise<Step> {
  const row = await sql.one<StepRow>(
    `INSERT INTO outreach.workflow_steps AS s (organisation_id, campaign_id, step_order, channel, delay_days,
            prompt_id, prompt_version, subject_template, body_template)
     VALUES ($1, $2, $3, 'email', $4, $5, $6, $7, $8) RETURNING ${STEP_COLUMNS}`,
    [
      organisationId,
      campaignId,
      values.stepOrder,
      values.delayDays,
      values.promptId,
      values.promptVersion,
      values.subjectTemplate,
      values.bodyTemplate,
    ],
  );
  return toStep(row);
}

export async function updateStep(
  sql: Sql,
  organisationId: string,
  stepId: string,
  values: StepValues,
): Promise<Step> {
  const row = await sql.one<StepRow>(
    `UPDATE outreach.workflow_steps s
        SET step_order = $3, delay_days = $4, prompt_id = $5, prompt_version = $6, subject_template = $7,
            body_template = $8
      WHERE s.organisation_id = $1 AND s.id = $2 RETURNING ${STEP_COLUMNS}`,
    [
      organisationId,
      stepId,
      values.stepOrder,
      values.delayDays,
      values.promptId,
      values.promptVersion,
      values.subjectTemplate,
      values.bodyTemplate,
    ],
  );
  return toStep(row);
}

export async function deleteStep(sql: Sql, organisationId: string, stepId: string): Promise<void> {
  await sql.query('DELETE FROM outreach.workflow_steps WHERE organisation_id = $1 AND id = $2', [
    organisationId,
    stepId,
  ]);
}

interface PromptRow {
  id: string;
  name: string;
  current_version: number;
  body: string;
  created_at: Date;
  updated_at: Date;
  keyset_sort_key: string;
}
const PROMPT_ORDER: KeysetOrder = { sortColumn: 'p.created_at', idColumn: 'p.id', direction: 'desc' };
const PROMPT_COLUMNS = `p.id, p.name, p.current_version, p.body, p.created_at, p.updated_at, ${keysetSortKey(PROMPT_ORDER)}`;
const PROMPT_PAGE = keysetClauses(PROMPT_ORDER, 2);
const toPrompt = (row: PromptRow): Prompt => ({
  id: row.id,
  name: row.name,
  currentVersion: row.current_version,
  body: row.body,
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at),
});

export async function insertPrompt(
  sql: Sql,
  input: { organisationId: string; name: string; body: string; createdBy: string | null },
): Promise<Prompt> {
  const row = await sql.one<PromptRow>(
    `INSERT INTO outreach.prompts AS p (organisation_id, name, body) VALUES ($1, $2, $3) RETURNING ${PROMPT_COLUMNS}`,
    [input.organisationId, input.name, input.body],
  );
  await sql.query(
    `INSERT INTO outreach.prompt_versions (organisation_id, prompt_id, version, body, created_by)
     VALUES ($1, $2, 1, $3, $4)`,
    [input.organisationId, row.id, input.body, input.createdBy],
  );
  return toPrompt(row);
}

export async function findPrompt(
  sql: Sql,
  organisationId: string,
  id: string,
  forUpdate = false,
): Promise<Prompt | null> {
  const row = await sql.maybeOne<PromptRow>(
    `SELECT ${PROMPT_COLUMNS} FROM outreach.prompts p WHERE p.organisation_id = $1 AND p.id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [organisationId, id],
  );
  return row ? toPrompt(row) : null;
}

export async function listPrompts(
  sql: Sql,
  input: { organisationId: string; after: KeysetPosition | null; limit: number },
): Promise<KeysetPage<Prompt>> {
  const rows = await sql.any<PromptRow>(
    `SELECT ${PROMPT_COLUMNS} FROM outreach.prompts p WHERE p.organisation_id = $1 AND ${PROMPT_PAGE.predicate}
      ORDER BY ${PROMPT_PAGE.orderBy} LIMIT $4`,
    [input.organisationId, ...keysetValues(input.after), input.limit + 1],
  );
  return keysetPage(rows, input.limit, toPrompt);
}

export async function listPromptVersions(
  sql: Sql,
  organisationId: string,
  promptId: string,
): Promise<PromptVersion[]> {
  const rows = await sql.any<{ version: number; body: string; created_by: string | null; created_at: Date }>(
    `SELECT version, body, created_by, created_at FROM outreach.prompt_versions
      WHERE organisation_id = $1 AND prompt_id = $2 ORDER BY version`,
    [organisationId, promptId],
  );
  return rows.map((row) => ({
    version: row.version,
    body: row.body,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
  }));
}

/** A new version becomes the current text. The caller holds the prompt row locked. */
export async function addPromptVersion(
  sql: Sql,
  input: {
    organisationId: string;
    promptId: string;
    version: number;
    body: string;
    createdBy: string | null;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO outreach.prompt_versions (organisation_id, prompt_id, version, body, created_by)
     VALUES ($1, $2, $3, $4, $5)`,
    [input.organisationId, input.promptId, input.version, input.body, input.createdBy],
  );
  await sql.query(
    'UPDATE outreach.prompts SET body = $3, current_version = $4 WHERE organisation_id = $1 AND id = $2',
    [input.organisationId, input.promptId, input.body, input.version],
  );
}

export async function promptVersionExists(
  sql: Sql,
  organisationId: string,
  promptId: string,
  version: number,
): Promise<boolean> {
  const row = await sql.maybeOne(
    'SELECT 1 FROM outreach.prompt_versions WHERE organisation_id = $1 AND prompt_id = $2 AND version = $3',
    [organisationId, promptId, version],
  );
  return row !== null;
}

interface ExperimentRow {
  id: string;
  step_id: string;
  name: string;
  status: Experiment['status'];
  created_at: Date;
  variants: {
    id: string;
    name: string;
    weight: number;
    prompt_id: string | null;
    subject_template: string | null;
    body_template: string | null;
  }[];
}

const toExperiment = (row: ExperimentRow): Experiment => ({
  id: row.id,
  stepId: row.step_id,
  name: row.name,
  status: row.status,
  createdAt: iso(row.created_at),
  variants: row.variants.map((v): Variant => ({
    id: v.id,
    name: v.name,
    weight: v.weight,
    promptId: v.prompt_id,
    subjectTemplate: v.subject_template,
    bodyTemplate: v.body_template,
  })),
});

const EXPERIMENT_SELECT = `SELECT x.id, x.step_id, x.name, x.status, x.created_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', v.id, 'name', v.name, 'weight', v.weight,
                   'prompt_id', v.prompt_id, 'subject_template', v.subject_template, 'body_template', v.body_template)
                   ORDER BY v.created_at, v.id)
                  FROM outreach.step_experiment_variants v
                 WHERE v.organisation_id = x.organisation_id AND v.experiment_id = x.id), '[]'::jsonb) AS variants
  FROM outreach.step_experiments x`;

export async function listExperiments(
  sql: Sql,
  organisationId: string,
  stepId: string,
): Promise<Experiment[]> {
  const rows = await sql.any<ExperimentRow>(
    `${EXPERIMENT_SELECT} WHERE x.organisation_id = $1 AND x.step_id = $2 ORDER BY x.created_at DESC, x.id`,
    [organisationId, stepId],
  );
  return rows.map(toExperiment);
}

/** Stops the step's running experiment (if any) and starts a new one with its variants. */
export async function insertRunningExperiment(
  sql: Sql,
  input: {
    organisationId: string;
    stepId: string;
    name: string;
    variants: {
      name: string;
      weight: number;
      promptId: string | null;
      subjectTemplate: string | null;
      bodyTemplate: string | null;
    }[];
  },
): Promise<Experiment> {
  await sql.query(
    `UPDATE outreach.step_experiments SET status = 'stopped'
      WHERE organisation_id = $1 AND step_id = $2 AND status = 'running'`,
    [input.organisationId, input.stepId],
  );
  const { id } = await sql.one<{ id: string }>(
    `INSERT INTO outreach.step_experiments (organisation_id, step_id, name, status)
     VALUES ($1, $2, $3, 'running') RETURNING id`,
    [input.organisationId, input.stepId, input.name],
  );
  // One statement; ordinality keeps the variants in the order given (created_at is the same for all).
  await sql.query(
    `INSERT INTO outreach.step_experiment_variants (organisation_id, experiment_id, name, weight, prompt_id,
            subject_template, body_template, created_at)
     SELECT $1, $2, v.name, v.weight, v.prompt_id, v.subject_template, v.body_template,
            now() + v.ord * interval '1 microsecond'
       FROM unnest($3::text[], $4::integer[], $5::uuid[], $6::text[], $7::text[])
            WITH ORDINALITY AS v(name, weight, prompt_id, subject_template, body_template, ord)`,
    [
      input.organisationId,
      id,
      input.variants.map((v) => v.name),
      input.variants.map((v) => v.weight),
      input.variants.map((v) => v.promptId),
      input.variants.map((v) => v.subjectTemplate),
      input.variants.map((v) => v.bodyTemplate),
    ],
  );
  const row = await sql.one<ExperimentRow>(
    `${EXPERIMENT_SELECT} WHERE x.organisation_id = $1 AND x.id = $2`,
    [input.organisationId, id],
  );
  return toExperiment(row);
}

export async function findRunningExperiment(
  sql: Sql,
  organisationId: string,
  stepId: string,
): Promise<Experiment | null> {
  const row = await sql.maybeOne<ExperimentRow>(
    `${EXPERIMENT_SELECT} WHERE x.organisation_id = $1 AND x.step_id = $2 AND x.status = 'running'
      ORDER BY x.created_at DESC LIMIT 1`,
    [organisationId, stepId],
  );
  return row ? toExperiment(row) : null;
}

/**
 * Assigns each listed enrolment of the campaign a variant of the experiment, set-based and stable: a stored
 * assignment is kept; a new one is drawn from a hash of (enrolment, experiment) mapped onto the cumulative
 * weights, so the same enrolment lands on the same variant however often it is asked, and many enrolments
 * split as the weights say. Enrolments of other campaigns are ignored.
 */
export async function assignVariants(
  sql: Sql,
  input: {
    organisationId: string;
    campaignId: string;
    stepId: string;
    experimentId: string;
    enrolmentIds: string[];
  },
): Promise<{ enrolmentId: string; variantId: string; variantName: string }[]> {
  await sql.query(
    `WITH variants AS (
       SELECT v.id, v.weight,
              sum(v.weight) OVER (ORDER BY v.created_at, v.id) - v.weight AS lower_bound,
              sum(v.weight) OVER () AS total
         FROM outreach.step_experiment_variants v
        WHERE v.organisation_id = $1 AND v.experiment_id = $4
     ), enrolments AS (
       SELECT e.id,
              -- 48 bits of md5 over the pair: uniform enough for a split, and the same on every call.
              ('x' || substr(md5(e.id::text || ':' || $4::text), 1, 12))::bit(48)::bigint AS draw
         FROM outreach.campaign_enrollments e
        WHERE e.organisation_id = $1 AND e.campaign_id = $2 AND e.id = ANY($5::uuid[])
     )
     INSERT INTO outreach.enrollment_step_variant_assignments (organisation_id, enrollment_id, step_id, variant_id)
     SELECT $1, e.id, $3, v.id
       FROM enrolments e
       JOIN variants v ON (e.draw % v.total) >= v.lower_bound AND (e.draw % v.total) < v.lower_bound + v.weight
      ORDER BY e.id
     ON CONFLICT ON CONSTRAINT enrollment_step_variant_assignments_key DO NOTHING`,
    [input.organisationId, input.campaignId, input.stepId, input.experimentId, input.enrolmentIds],
  );
  return sql.any<{ enrolmentId: string; variantId: string; variantName: string }>(
    `SELECT a.enrollment_id AS "enrolmentId", a.variant_id AS "variantId", v.name AS "variantName"
       FROM outreach.enrollment_step_variant_assignments a
       JOIN outreach.step_experiment_variants v ON v.organisation_id = a.organisation_id AND v.id = a.variant_id
       JOIN outreach.campaign_enrollments e ON e.organisation_id = a.organisation_id AND e.id = a.enrollment_id
      WHERE a.organisation_id = $1 AND a.step_id = $2 AND e.campaign_id = $3 AND a.enrollment_id = ANY($4::uuid[])
      ORDER BY a.enrollment_id`,
    [input.organisationId, input.stepId, input.campaignId, input.enrolmentIds],
  );
}
