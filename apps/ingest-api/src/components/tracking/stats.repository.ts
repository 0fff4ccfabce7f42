import type { Sql } from '../../platform/db/index.js';

export async function campaignExists(sql: Sql, organisationId: string, campaignId: string): Promise<boolean> {
  return (
    (await sql.maybeOne('SELECT 1 FROM outreach.campaigns WHERE organisation_id = $1 AND id = $2', [
      organisationId,
      campaignId,
    ])) !== null
  );
}

/**
 * A range of local days in an IANA zone. Every query below cuts days as [d 00:00, d+1 00:00) local time,
 * converted with AT TIME ZONE, so a DST day is 23 or 25 hours long.
 */
export interface DayRange {
  organisationId: string;
  campaignId: string;
  from: string;
  to: string;
  timeZone: string;
}

const parameters = (range: DayRange) => [
  range.organisationId,
  range.campaignId,
  range.from,
  range.to,
  range.timeZone,
];

/** Outbound messages sent per local day. */
export async function sentPerDay(sql: Sql, range: DayRange): Promise<{ day: string; count: number }[]> {
  return sql.any(
    `SELECT to_char((m.sent_at AT TIME ZONE $5)::date, 'YYYY-MM-DD') AS day, count(*)::integer AS count
       FROM outreach.messages m
       JOIN outreach.campaign_enrollments e ON e.organisation_id = m.organisation_id AND e.id = m.enrollment_id
      WHERE m.organisation_id = $1 AND e.campaign_id = $2 AND m.direction = 'outbound'
        AND m.sent_at >= ($3::date::timestamp AT TIME ZONE $5) AND m.sent_at < ((($4::date + 1)::timestamp) AT TIME ZONE $5)
      GROUP BY 1`,
    parameters(range),
  );
}

/** Opens and new unique opens per local day and verdict, from the 15-minute buckets. */
export async function opensPerDay(
  sql: Sql,
  range: DayRange,
): Promise<{ day: string; verdict: string; opens: number; uniqueOpens: number }[]> {
  return sql.any(
    `SELECT to_char((b.bucket_start AT TIME ZONE $5)::date, 'YYYY-MM-DD') AS day, b.verdict,
            sum(b.opens)::integer AS opens, sum(b.unique_opens)::integer AS "uniqueOpens"
       FROM tracking.campaign_open_buckets b
      WHERE b.organisation_id = $1 AND b.campaign_id = $2
        AND b.bucket_start >= ($3::date::timestamp AT TIME ZONE $5) AND b.bucket_start < ((($4::date + 1)::timestamp) AT TIME ZONE $5)
      GROUP BY 1, 2`,
    parameters(range),
  );
}

/** How many enrolments entered each state per local day (a new enrolment enters active). */
export async function enrolmentEntriesPerDay(
  sql: Sql,
  range: DayRange,
): Promise<{ day: string; state: string; count: number }[]> {
  return sql.any(
    `SELECT to_char((c.changed_at AT TIME ZONE $5)::date, 'YYYY-MM-DD') AS day, c.state, count(*)::integer AS count
       FROM outreach.enrollment_state_changes c
      WHERE c.organisation_id = $1 AND c.campaign_id = $2
        AND c.changed_at >= ($3::date::timestamp AT TIME ZONE $5) AND c.changed_at < ((($4::date + 1)::timestamp) AT TIME ZONE $5)
      GROUP BY 1, 2`,
    parameters(range),
  );
}

/** How many enrolments were in each state at the end of each local day (from the state history). */
export async function enrolmentsAtEndOfDay(
  sql: Sql,
  range: DayRange,
): Promise<{ day: string; state: string; count: number }[]> {
  return sql.any(
    `WITH days AS (
       SELECT d::date AS day, ((d::date + 1)::timestamp AT TIME ZONE $5) AS day_end
         FROM generate_series($3::date, $4::date, interval '1 day') AS d
     ), spans AS (
       SELECT c.state, c.changed_at,
              lead(c.changed_at) OVER (PARTITION BY c.enrollment_id ORDER BY c.changed_at, c.id) AS until
         FROM outreach.enrollment_state_changes c
        WHERE c.organisation_id = $1 AND c.campaign_id = $2
          AND c.changed_at < ((($4::date + 1)::timestamp) AT TIME ZONE $5)
     )
     SELECT to_char(d.day, 'YYYY-MM-DD') AS day, s.state, count(*)::integer AS count
       FROM days d JOIN spans s ON s.changed_at < d.day_end AND (s.until IS NULL OR s.until >= d.day_end)
      GROUP BY 1, 2`,
    parameters(range),
  );
}
