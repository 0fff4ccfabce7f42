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
import type { Enrolment } from './campaigns.schemas.js';
import type { EnrolmentState } from './transitions.js';

interface EnrolmentRow {
  id: string;
  campaign_id: string;
  person_id: string;
  position_id: string | null;
  state: EnrolmentState;
  current_step_id: string | null;
  enrolled_at: Date;
  state_changed_at: Date;
  keyset_sort_key: string;
}

const ORDER: KeysetOrder = { sortColumn: 'e.enrolled_at', idColumn: 'e.id', direction: 'asc' };
const COLUMNS = `e.id, e.campaign_id, e.person_id, e.position_id, e.state, e.current_step_id, e.enrolled_at,
  e.state_changed_at, ${keysetSortKey(ORDER)}`;
const PAGE = keysetClauses(ORDER, 3);

const toEnrolment = (row: EnrolmentRow): Enrolment => ({
  id: row.id,
  campaignId: row.campaign_id,
  personId: row.person_id,
  positionId: row.position_id,
  state: row.state,
  currentStepId: row.current_step_id,
  enrolledAt: row.enrolled_at.toISOString(),
  stateChangedAt: row.state_changed_at.toISOString(),
});

/**
 * The listed people that cannot be enrolled as given: unknown person ids, and positions that do not exist or
 * belong to someone else. One set-based query.
 */
export async function findInvalidPeople(
  sql: Sql,
  organisationId: string,
  people: readonly { personId: string; positionId: string | null }[],
): Promise<{ index: number; field: 'personId' | 'positionId' }[]> {
  const rows = await sql.any<{ ord: string; field: 'personId' | 'positionId' }>(
    `SELECT i.ord::text AS ord,
            CASE WHEN p.id IS NULL THEN 'personId' ELSE 'positionId' END AS field
       FROM unnest($2::uuid[], $3::uuid[]) WITH ORDINALITY AS i(person_id, position_id, ord)
       LEFT JOIN crm.people p ON p.organisation_id = $1 AND p.id = i.person_id
       LEFT JOIN crm.positions q ON q.organisation_id = $1 AND q.id = i.position_id
      WHERE p.id IS NULL OR (i.position_id IS NOT NULL AND (q.id IS NULL OR q.person_id <> i.person_id))
      ORDER BY i.ord`,
    [organisationId, people.map((p) => p.personId), people.map((p) => p.positionId)],
  );
  return rows.map((row) => ({ index: Number(row.ord) - 1, field: row.field }));
}

/** Inserts the enrolments that do not exist yet; answers the person ids it created. */
export async function insertEnrolments(
  sql: Sql,
  organisationId: string,
  campaignId: string,
  people: readonly { personId: string; positionId: string | null }[],
): Promise<string[]> {
  const rows = await sql.any<{ person_id: string }>(
    `INSERT INTO outreach.campaign_enrollments (organisation_id, campaign_id, person_id, position_id)
     SELECT $1, $2, i.person_id, i.position_id
       FROM unnest($3::uuid[], $4::uuid[]) AS i(person_id, position_id)
      ORDER BY i.person_id
     ON CONFLICT ON CONSTRAINT campaign_enrollments_person_key DO NOTHING
     RETURNING person_id`,
    [organisationId, campaignId, people.map((p) => p.personId), people.map((p) => p.positionId)],
  );
  return rows.map((row) => row.person_id);
}

export async function enrolledAmong(
  sql: Sql,
  organisationId: string,
  campaignId: string,
  personIds: readonly string[],
): Promise<string[]> {
  const rows = await sql.any<{ person_id: string }>(
    `SELECT person_id FROM outreach.campaign_enrollments
      WHERE organisation_id = $1 AND campaign_id = $2 AND person_id = ANY($3::uuid[])`,
    [organisationId, campaignId, personIds],
  );
  return rows.map((row) => row.person_id);
}

export async function enrolledElsewhereSince(
  sql: Sql,
  organisationId: string,
  campaignId: string,
  personIds: readonly string[],
  windowDays: number,
): Promise<{ personId: string; campaignId: string; enrolledAt: string }[]> {
  const rows = await sql.any<{ person_id: string; campaign_id: string; enrolled_at: Date }>(
    `SELECT DISTINCT ON (person_id) person_id, campaign_id, enrolled_at FROM outreach.campaign_enrollments
      WHERE organisation_id = $1 AND campaign_id <> $2 AND person_id = ANY($3::uuid[])
        AND enrolled_at >= now() - make_interval(days => $4)
      ORDER BY person_id, enrolled_at DESC`,
    [organisationId, campaignId, personIds, windowDays],
  );
  return rows.map((row) => ({
    personId: row.person_id,
    campaignId: row.campaign_id,
    enrolledAt: row.enrolled_at.toISOString(),
  }));
}

export async function listEnrolments(
  sql: Sql,
  input: {
    organisationId: string;
    campaignId: string;
    after: KeysetPosition | null;
    limit: number;
    state?: EnrolmentState | undefined;
  },
): Promise<KeysetPage<Enrolment>> {
  const rows = await sql.any<EnrolmentRow>(
    `SELECT ${COLUMNS} FROM outreach.campaign_enrollments e
      WHERE e.organisation_id = $1 AND e.campaign_id = $2 AND ${PAGE.predicate}
        AND ($5::text IS NULL OR e.state = $5)
      ORDER BY ${PAGE.orderBy} LIMIT $6`,
    [
      input.organisationId,
      input.campaignId,
      ...keysetValues(input.after),
      input.state ?? null,
      input.limit + 1,
    ],
  );
  return keysetPage(rows, input.limit, toEnrolment);
}

export async function findEnrolment(
  sql: Sql,
  organisationId: string,
  campaignId: string,
  id: string,
  forUpdate = false,
): Promise<Enrolment | null> {
  const row = await sql.maybeOne<EnrolmentRow>(
    `SELECT ${COLUMNS} FROM outreach.campaign_enrollments e
      WHERE e.organisation_id = $1 AND e.campaign_id = $2 AND e.id = $3${forUpdate ? ' FOR UPDATE' : ''}`,
    [organisationId, campaignId, id],
  );
  return row ? toEnrolment(row) : null;
}

export async function setEnrolmentState(
  sql: Sql,
  organisationId: string,
  id: string,
  state: EnrolmentState,
): Promise<Enrolment> {
  const row = await sql.one<EnrolmentRow>(
    `UPDATE outreach.campaign_enrollments e SET state = $3 WHERE e.organisation_id = $1 AND e.id = $2
      RETURNING ${COLUMNS}`,
    [organisationId, id, state],
  );
  return toEnrolment(row);
}
