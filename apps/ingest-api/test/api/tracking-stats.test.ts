import { withAdmin } from '@prospectflow/test-harness';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppPool, withTransaction } from '../../src/platform/db/index.js';
import { startTestApi, type TestApi } from '../support/app.js';
import { createPeople, organisationWith, type TestUser } from './campaigns-fixtures.js';

let api: TestApi;
let org: string;
let member: TestUser;
let viewer: TestUser;
let people: { personId: string; positionId: string }[];
let nextPerson = 0;
const http = () => request(api.service.app);

/** A campaign with one enrolment and one message sent at `sentAt`. */
async function campaignWithMessage(sentAt: string) {
  const campaignId = (
    await http().post('/api/v1/campaigns').set(member.auth).send({ name: 'Stats' }).expect(201)
  ).body.id as string;
  const person = people[nextPerson++]!;
  await http()
    .post(`/api/v1/campaigns/${campaignId}/enrolments`)
    .set(member.auth)
    .send({ people: [{ personId: person.personId }] })
    .expect(200);
  const enrolment = (
    await http().get(`/api/v1/campaigns/${campaignId}/enrolments`).set(member.auth).expect(200)
  ).body.items[0];
  const message = (
    await http()
      .post(`/api/v1/campaigns/${campaignId}/enrolments/${enrolment.id}/messages`)
      .set(member.auth)
      .send({ subject: 'Hi', sentAt })
      .expect(201)
  ).body;
  return { campaignId, enrolmentId: enrolment.id as string, token: message.pixel.token as string };
}

/** Opens at given instants, written through the recorder's own database call as the app role via pgBouncer. */
async function recordOpens(token: string, instants: string[]): Promise<number> {
  const pool = createAppPool({
    connectionString: api.db.appUrl,
    max: 1,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 1000,
    applicationName: 'stats-test',
    onIdleClientError: () => undefined,
  });
  try {
    return await withTransaction(pool, {}, async (sql) => {
      const row = await sql.one<{ n: number }>(
        'SELECT tracking.record_opens($1::text[], $2::text[], $3::text[], $4::timestamptz[], 10) AS n',
        [
          instants.map(() => token),
          instants.map((_, i) => `visitor-${i}`),
          instants.map(() => 'human'),
          instants,
        ],
      );
      return row.n;
    });
  } finally {
    await pool.end();
  }
}

type Day = {
  date: string;
  opens: number;
  uniqueOpens: number;
  likelyHumanUniqueOpens: number;
  messagesSent: number;
};
const stats = async (campaignId: string, query: string) =>
  (await http().get(`/api/v1/campaigns/${campaignId}/stats?${query}`).set(viewer.auth).expect(200)).body as {
    days: (Day & {
      enrolmentsEntered: Record<string, number>;
      enrolmentsAtEndOfDay: Record<string, number>;
    })[];
    totals: Day;
    timeZone: string;
  };
const column = (days: Day[], key: keyof Day) => Object.fromEntries(days.map((d) => [d.date, d[key]]));

beforeAll(async () => {
  api = await startTestApi();
  const created = await organisationWith(api, 'Stats Org', 'stats-owner@example.test', {
    'stats-member@example.test': 'member',
    'stats-viewer@example.test': 'viewer',
  });
  org = created.id;
  member = created.users['stats-member@example.test']!;
  viewer = created.users['stats-viewer@example.test']!;
  people = await createPeople(api, org, 10);
});
afterAll(async () => {
  await api.close();
});

describe('GET /campaigns/:id/stats', () => {
  it('cuts days in Europe/Paris across the last Sunday of March (a 23-hour day), zeros included', async () => {
    const { campaignId, enrolmentId, token } = await campaignWithMessage('2026-03-28T22:30:00Z');
    const recorded = await recordOpens(token, [
      '2026-03-28T22:59:00Z', // 23:59 on the 28th (UTC+1)
      '2026-03-28T23:00:00Z', // 00:00 on the 29th
      '2026-03-29T21:59:00Z', // 23:59 on the 29th (UTC+2 since 01:00 UTC)
      '2026-03-29T22:00:00Z', // 00:00 on the 30th
    ]);
    expect(recorded).toBe(4);
    // Enrolment history at chosen instants (the API stamps now()): active on the 28th, replied late on the 29th.
    await http()
      .patch(`/api/v1/campaigns/${campaignId}/enrolments/${enrolmentId}`)
      .set(member.auth)
      .send({ state: 'replied' })
      .expect(200);
    await withAdmin(api.db.adminUrl, (admin) =>
      admin.query(
        `UPDATE outreach.enrollment_state_changes
            SET changed_at = CASE state WHEN 'active' THEN timestamptz '2026-03-28T22:30:00Z'
                                         ELSE timestamptz '2026-03-29T21:30:00Z' END
          WHERE enrollment_id = $1`,
        [enrolmentId],
      ),
    );

    const paris = await stats(campaignId, 'from=2026-03-27&to=2026-03-31');
    expect(paris.timeZone).toBe('Europe/Paris');
    expect(paris.days.map((d) => d.date)).toEqual([
      '2026-03-27',
      '2026-03-28',
      '2026-03-29',
      '2026-03-30',
      '2026-03-31',
    ]);
    expect(column(paris.days, 'opens')).toEqual({
      '2026-03-27': 0,
      '2026-03-28': 1,
      '2026-03-29': 2,
      '2026-03-30': 1,
      '2026-03-31': 0,
    });
    expect(column(paris.days, 'uniqueOpens')).toEqual(column(paris.days, 'opens'));
    expect(column(paris.days, 'likelyHumanUniqueOpens')).toEqual(column(paris.days, 'opens'));
    expect(column(paris.days, 'messagesSent')).toMatchObject({ '2026-03-28': 1, '2026-03-29': 0 });
    expect(paris.days.map((d) => [d.enrolmentsEntered['active'], d.enrolmentsEntered['replied']])).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
      [0, 0],
      [0, 0],
    ]);
    expect(
      paris.days.map((d) => [d.enrolmentsAtEndOfDay['active'], d.enrolmentsAtEndOfDay['replied']]),
    ).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(paris.totals).toMatchObject({
      opens: 4,
      uniqueOpens: 4,
      likelyHumanUniqueOpens: 4,
      messagesSent: 1,
    });

    const utc = await stats(campaignId, 'from=2026-03-28&to=2026-03-30&tz=UTC');
    expect(column(utc.days, 'opens')).toEqual({ '2026-03-28': 2, '2026-03-29': 2, '2026-03-30': 0 });
  });

  it('cuts days across the last Sunday of October (a 25-hour day)', async () => {
    const { campaignId, token } = await campaignWithMessage('2026-10-24T12:00:00Z');
    await recordOpens(token, [
      '2026-10-24T21:59:00Z', // 23:59 on the 24th (UTC+2)
      '2026-10-24T22:00:00Z', // 00:00 on the 25th
      '2026-10-25T00:30:00Z', // 02:30 CEST, before the clocks go back
      '2026-10-25T01:30:00Z', // 02:30 CET, the repeated hour
      '2026-10-25T18:14:00Z', // 19:14 in Paris; 23:59 in Kathmandu (UTC+5:45)
      '2026-10-25T18:15:00Z', // 19:15 in Paris; 00:00 on the 26th in Kathmandu
      '2026-10-25T22:59:00Z', // 23:59 on the 25th (UTC+1)
      '2026-10-25T23:00:00Z', // 00:00 on the 26th
    ]);
    const paris = await stats(campaignId, 'from=2026-10-24&to=2026-10-26&tz=Europe/Paris');
    expect(column(paris.days, 'opens')).toEqual({ '2026-10-24': 1, '2026-10-25': 6, '2026-10-26': 1 });
    // Quarter-hour buckets follow a zone a non-whole number of hours from UTC: Kathmandu is UTC+5:45.
    const kathmandu = await stats(campaignId, 'from=2026-10-25&to=2026-10-26&tz=Asia/Kathmandu');
    expect(column(kathmandu.days, 'opens')).toEqual({ '2026-10-25': 5, '2026-10-26': 3 });
  });

  it('defaults to the last 30 days in Europe/Paris and refuses bad ranges and zones with a 422', async () => {
    const { campaignId } = await campaignWithMessage(new Date().toISOString());
    const recent = await stats(campaignId, '');
    expect(recent.days).toHaveLength(30);
    expect(recent.totals.messagesSent).toBe(1);
    for (const query of [
      'tz=Mars/Olympus',
      'tz=UTC%2B2',
      'tz=CET%3B',
      'from=2026-02-30&to=2026-03-01',
      'from=2026-03-02&to=2026-03-01',
      'from=2024-01-01&to=2026-01-01',
      'from=yesterday',
      'bogus=1',
    ]) {
      const res = await http().get(`/api/v1/campaigns/${campaignId}/stats?${query}`).set(viewer.auth);
      expect({ query, status: res.status }).toEqual({ query, status: 422 });
    }
    await http()
      .get('/api/v1/campaigns/00000000-0000-4000-8000-000000000009/stats')
      .set(viewer.auth)
      .expect(404);
  });
});
