import type { Pool } from 'pg';
import { InvalidInputError, withScope } from '../../platform/db/index.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import type { ApiRoutes } from '../../platform/http/api-routes.js';
import { tenantOf } from '../../platform/http/tenant.js';
import { z } from '../../platform/http/zod.js';
import type { TenantScope } from '../../platform/tenant.js';
import { ENROLMENT_STATES } from '../campaigns/transitions.js';
import { OPEN_VERDICTS } from './classify.js';
import * as repository from './stats.repository.js';

const DEFAULT_ZONE = 'Europe/Paris';
const MAX_DAYS = 366;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isTimeZone(value: string): boolean {
  // IANA names only (Area/Location, or UTC): PostgreSQL would also take POSIX strings such as "UTC+2", whose
  // sign is the reverse of what most people expect.
  if (!/^(?:UTC|[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+)$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const isDate = (value: string) =>
  DATE.test(value) &&
  !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
  new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);

const dateParam = z.string().refine(isDate, 'must be a calendar date YYYY-MM-DD');

export const statsQuery = z
  .object({
    from: dateParam.optional().openapi({ description: 'First local day (default: 29 days before `to`)' }),
    to: dateParam.optional().openapi({ description: 'Last local day, included (default: today in `tz`)' }),
    tz: z
      .string()
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris')
      .default(DEFAULT_ZONE)
      .openapi({ description: 'IANA time zone that cuts the days (default Europe/Paris)' }),
  })
  .strict();

const verdictCounts = z.object(Object.fromEntries(OPEN_VERDICTS.map((v) => [v, z.number().int()])));
const stateCounts = z.object(Object.fromEntries(ENROLMENT_STATES.map((s) => [s, z.number().int()])));
const dayFields = {
  messagesSent: z.number().int(),
  opens: z.number().int().openapi({ description: 'Every recorded open, whatever its verdict' }),
  uniqueOpens: z
    .number()
    .int()
    .openapi({ description: 'New (message, visitor) pairs, on the day of their first open' }),
  likelyHumanUniqueOpens: z
    .number()
    .int()
    .openapi({ description: 'Unique opens whose first open was classified human' }),
  opensByVerdict: verdictCounts,
  uniqueOpensByVerdict: verdictCounts,
  enrolmentsEntered: stateCounts.openapi({ description: 'Enrolments that entered each state that day' }),
};
export const statsSchema = z
  .object({
    campaignId: z.string().uuid(),
    timeZone: z.string(),
    from: z.string(),
    to: z.string(),
    days: z.array(
      z.object({
        date: z.string(),
        ...dayFields,
        enrolmentsAtEndOfDay: stateCounts.openapi({
          description: 'Enrolments in each state at the end of the day',
        }),
      }),
    ),
    totals: z.object(dayFields),
  })
  .openapi('CampaignStats');
type Stats = z.infer<typeof statsSchema>;
type Day = Stats['days'][number];

const zeroes = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

function addDays(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

function today(timeZone: string): string {
  // en-CA formats a date as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
}

/**
 * Per-day statistics of a campaign in a time zone: every day of the range is present (zeros included), days
 * are local calendar days (23 or 25 hours across DST changes). See doc/tracking.md for what each count means.
 */
export class CampaignStatsService {
  constructor(private readonly deps: { pool: Pool; statementTimeoutMs: number }) {}

  /** @throws {NotFoundError} @throws {ValidationError} from after to, or a range over 366 days */
  async stats(
    scope: TenantScope,
    campaignId: string,
    query: { from?: string | undefined; to?: string | undefined; tz: string },
  ): Promise<Stats> {
    const to = query.to ?? today(query.tz);
    const from = query.from ?? addDays(to, -29);
    if (from > to) throw new ValidationError([{ path: 'query.from', message: 'must not be after to' }]);
    const dayCount = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
    if (dayCount > MAX_DAYS)
      throw new ValidationError([
        { path: 'query.from', message: `the range may span at most ${MAX_DAYS} days` },
      ]);

    const range = { organisationId: scope.organisationId, campaignId, from, to, timeZone: query.tz };
    let rows;
    try {
      rows = await withScope(this.deps.pool, scope, this.deps.statementTimeoutMs, async (sql) => {
        if (!(await repository.campaignExists(sql, scope.organisationId, campaignId)))
          throw new NotFoundError('No such campaign.', 'campaign_not_found');
        return {
          sent: await repository.sentPerDay(sql, range),
          opens: await repository.opensPerDay(sql, range),
          entered: await repository.enrolmentEntriesPerDay(sql, range),
          atEnd: await repository.enrolmentsAtEndOfDay(sql, range),
        };
      });
    } catch (error) {
      // A zone Node knows but this PostgreSQL's tz database does not.
      if (error instanceof InvalidInputError)
        throw new ValidationError([{ path: 'query.tz', message: 'unknown to the database time zone list' }]);
      throw error;
    }

    const days = new Map<string, Day>();
    for (let i = 0; i < dayCount; i += 1) {
      const date = addDays(from, i);
      days.set(date, {
        date,
        messagesSent: 0,
        opens: 0,
        uniqueOpens: 0,
        likelyHumanUniqueOpens: 0,
        opensByVerdict: zeroes(OPEN_VERDICTS),
        uniqueOpensByVerdict: zeroes(OPEN_VERDICTS),
        enrolmentsEntered: zeroes(ENROLMENT_STATES),
        enrolmentsAtEndOfDay: zeroes(ENROLMENT_STATES),
      });
    }
    for (const row of rows.sent) {
      const day = days.get(row.day);
      if (day) day.messagesSent += row.count;
    }
    for (const row of rows.opens) {
      const day = days.get(row.day);
      if (!day) continue;
      day.opens += row.opens;
      day.uniqueOpens += row.uniqueOpens;
      (day.opensByVerdict as Record<string, number>)[row.verdict] = row.opens;
      (day.uniqueOpensByVerdict as Record<string, number>)[row.verdict] = row.uniqueOpens;
      if (row.verdict === 'human') day.likelyHumanUniqueOpens += row.uniqueOpens;
    }
    for (const row of rows.entered) {
      const day = days.get(row.day);
      if (day) (day.enrolmentsEntered as Record<string, number>)[row.state] = row.count;
    }
    for (const row of rows.atEnd) {
      const day = days.get(row.day);
      if (day) (day.enrolmentsAtEndOfDay as Record<string, number>)[row.state] = row.count;
    }

    const list = [...days.values()];
    const sum = (pick: (day: Day) => number) => list.reduce((total, day) => total + pick(day), 0);
    const sumBy = <K extends string>(keys: readonly K[], pick: (day: Day) => Record<string, number>) =>
      Object.fromEntries(keys.map((key) => [key, sum((day) => pick(day)[key] ?? 0)])) as Record<K, number>;
    return {
      campaignId,
      timeZone: query.tz,
      from,
      to,
      days: list,
      totals: {
        messagesSent: sum((day) => day.messagesSent),
        opens: sum((day) => day.opens),
        uniqueOpens: sum((day) => day.uniqueOpens),
        likelyHumanUniqueOpens: sum((day) => day.likelyHumanUniqueOpens),
        opensByVerdict: sumBy(OPEN_VERDICTS, (day) => day.opensByVerdict),
        uniqueOpensByVerdict: sumBy(OPEN_VERDICTS, (day) => day.uniqueOpensByVerdict),
        enrolmentsEntered: sumBy(ENROLMENT_STATES, (day) => day.enrolmentsEntered),
      },
    };
  }
}

export function registerTrackingRoutes(
  routes: ApiRoutes,
  deps: { pool: Pool; statementTimeoutMs: number },
): void {
  const service = new CampaignStatsService(deps);
  routes.add({
    method: 'get',
    path: '/campaigns/:campaignId/stats',
    operationId: 'getCampaignStats',
    summary:
      'Per-day statistics of a campaign in a time zone: sent, opens, unique and likely-human opens, enrolments',
    tags: ['tracking'],
    access: 'organisation',
    params: z.object({ campaignId: z.string().uuid() }).strict(),
    query: statsQuery,
    responses: { 200: { description: 'The statistics', schema: statsSchema } },
    handler: async ({ req, params, query }) => ({
      status: 200,
      body: await service.stats(tenantOf(req), params.campaignId, query),
    }),
  });
}
