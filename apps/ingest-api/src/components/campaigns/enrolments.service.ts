import type { Pool } from 'pg';
import { withScope, type Sql } from '../../platform/db/index.js';
import { ConflictError, NotFoundError, TooLargeError, ValidationError } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import type { TenantScope } from '../../platform/tenant.js';
import * as campaigns from './campaigns.repository.js';
import type { Enrolment, EnrolmentListQuery } from './campaigns.schemas.js';
import * as repository from './enrolments.repository.js';
import { enrolmentTransitionError, type EnrolmentState } from './transitions.js';

export interface PersonToEnrol {
  personId: string;
  positionId?: string | null;
}

export interface EnrolResult {
  /** Person ids enrolled by this call. */
  enrolled: string[];
  /** Person ids that already were (nothing was changed for them). */
  alreadyEnrolled: string[];
}

/**
 * Enrols people in a campaign inside the caller's transaction (the file import calls it from its merge).
 * Set-based and idempotent: one `INSERT ... SELECT FROM unnest ... ON CONFLICT DO NOTHING`; enrolling someone
 * twice creates nothing and reports them in `alreadyEnrolled`. A person listed twice counts once (the first
 * position given wins). The campaign row is share-locked, so a concurrent delete or archive waits for the
 * caller's commit. No size limit here; the HTTP route applies `OUTREACH_ENROL_MAX_PER_CALL`.
 *
 * @param sql a transaction whose app.organisation_id is scope.organisationId (withScope)
 * @throws {NotFoundError} campaign_not_found
 * @throws {ConflictError} campaign_archived
 * @throws {ValidationError} unknown person, or a position that is not that person's (paths `people.N.*`)
 */
export async function enrolPeople(
  sql: Sql,
  scope: TenantScope,
  campaignId: string,
  people: readonly PersonToEnrol[],
): Promise<EnrolResult> {
  const campaign = await campaigns.findCampaign(sql, scope.organisationId, campaignId, 'share');
  if (!campaign) throw new NotFoundError('No such campaign.', 'campaign_not_found');
  if (campaign.status === 'archived') {
    throw new ConflictError('An archived campaign takes no new enrolments.', 'campaign_archived');
  }
  const seen = new Set<string>();
  const unique = people
    .map((person) => ({ personId: person.personId.toLowerCase(), positionId: person.positionId ?? null }))
    .filter((person) => (seen.has(person.personId) ? false : (seen.add(person.personId), true)));
  if (unique.length === 0) return { enrolled: [], alreadyEnrolled: [] };

  const invalid = await repository.findInvalidPeople(sql, scope.organisationId, unique);
  if (invalid.length > 0) {
    throw new ValidationError(
      invalid.slice(0, 100).map(({ index, field }) => ({
        path: `people.${people.findIndex((p) => p.personId.toLowerCase() === unique[index]?.personId)}.${field}`,
        message: field === 'personId' ? 'no such person' : 'no such position of this person',
        code: field === 'personId' ? 'unknown_person' : 'unknown_position',
      })),
      `${invalid.length} of the people cannot be enrolled.`,
    );
  }
  const created = new Set(await repository.insertEnrolments(sql, scope.organisationId, campaignId, unique));
  const enrolled: string[] = [];
  const alreadyEnrolled: string[] = [];
  for (const { personId } of unique) (created.has(personId) ? enrolled : alreadyEnrolled).push(personId);
  return { enrolled, alreadyEnrolled };
}

export interface EnrolmentConflicts {
  /** Of the given people, those already enrolled in the campaign (duplicates for an import). */
  alreadyEnrolled: string[];
  /** Of the given people, those enrolled in another campaign within the window (warnings), latest first. */
  enrolledElsewhere: { personId: string; campaignId: string; enrolledAt: string }[];
}

/**
 * What the import validation reports before a commit: who is already in campaign X, and who was enrolled in
 * another campaign within `windowDays`. Read-only, set-based, inside the caller's transaction.
 */
export async function findEnrolmentConflicts(
  sql: Sql,
  scope: TenantScope,
  campaignId: string,
  personIds: readonly string[],
  windowDays: number,
): Promise<EnrolmentConflicts> {
  if (!Number.isInteger(windowDays) || windowDays < 0) throw new RangeError('windowDays must be >= 0');
  const [alreadyEnrolled, enrolledElsewhere] = [
    await repository.enrolledAmong(sql, scope.organisationId, campaignId, personIds),
    await repository.enrolledElsewhereSince(sql, scope.organisationId, campaignId, personIds, windowDays),
  ];
  return { alreadyEnrolled, enrolledElsewhere };
}

/** The enrolment routes: bulk enrol with a per-call limit, list, read, state changes. */
export class EnrolmentService {
  constructor(private readonly deps: { pool: Pool; statementTimeoutMs: number; enrolMaxPerCall: number }) {}

  #tx<T>(scope: TenantScope, fn: (sql: Sql) => Promise<T>): Promise<T> {
    return withScope(this.deps.pool, scope, this.deps.statementTimeoutMs, fn);
  }

  /** @throws {TooLargeError} too_many_people, and whatever enrolPeople throws */
  async enrol(
    scope: TenantScope,
    campaignId: string,
    people: readonly PersonToEnrol[],
  ): Promise<EnrolResult> {
    if (people.length > this.deps.enrolMaxPerCall) {
      throw new TooLargeError(
        `At most ${this.deps.enrolMaxPerCall} people per call; got ${people.length}.`,
        'too_many_people',
      );
    }
    return this.#tx(scope, (sql) => enrolPeople(sql, scope, campaignId, people));
  }

  async list(
    scope: TenantScope,
    campaignId: string,
    query: EnrolmentListQuery,
  ): Promise<{ items: Enrolment[]; nextCursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const page = await this.#tx(scope, async (sql) => {
      if (!(await campaigns.findCampaign(sql, scope.organisationId, campaignId)))
        throw new NotFoundError('No such campaign.', 'campaign_not_found');
      return repository.listEnrolments(sql, {
        organisationId: scope.organisationId,
        campaignId,
        after,
        limit: query.limit,
        state: query.state,
      });
    });
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  /** @throws {NotFoundError} */
  async get(scope: TenantScope, campaignId: string, enrolmentId: string): Promise<Enrolment> {
    const enrolment = await this.#tx(scope, (sql) =>
      repository.findEnrolment(sql, scope.organisationId, campaignId, enrolmentId),
    );
    if (!enrolment) throw new NotFoundError('No such enrolment.');
    return enrolment;
  }

  /**
   * Moves an enrolment to another state; the same state is a no-op. The trigger holds the transition table.
   *
   * @throws {NotFoundError} @throws {ConflictError} invalid_transition naming the allowed moves
   */
  async changeState(
    scope: TenantScope,
    campaignId: string,
    enrolmentId: string,
    state: EnrolmentState,
  ): Promise<Enrolment> {
    return this.#tx(scope, async (sql) => {
      const current = await repository.findEnrolment(
        sql,
        scope.organisationId,
        campaignId,
        enrolmentId,
        true,
      );
      if (!current) throw new NotFoundError('No such enrolment.');
      if (current.state === state) return current;
      try {
        return await repository.setEnrolmentState(sql, scope.organisationId, enrolmentId, state);
      } catch (error) {
        throw enrolmentTransitionError(error, current.state, state);
      }
    });
  }
}
