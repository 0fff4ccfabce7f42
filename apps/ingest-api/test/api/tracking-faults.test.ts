import {
  createTestDatabase,
  startTestPgBouncer,
  withAdmin,
  withCredentials,
  type PgBouncerInstance,
  type TestDatabase,
} from '@prospectflow/test-harness';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIXEL_GIF } from '../../src/components/tracking/pixel.js';
import { eventually } from '../support/eventually.js';
import { startTestApi, type TestApi } from '../support/app.js';
import { createPeople, organisationWith } from './campaigns-fixtures.js';

let db: TestDatabase;
let bouncer: PgBouncerInstance;
let api: TestApi;
let pixelPath: string;
let messageId: string;

const metric = async (name: string, reason: string): Promise<number> => {
  const text = (await request(api.service.app).get('/metrics').expect(200)).text;
  const match = new RegExp(`^${name}\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
};
const totalOpens = async (): Promise<number> =>
  withAdmin(api.db.adminUrl, async (admin) =>
    Number(
      (
        await admin.query('SELECT total_opens FROM tracking.message_open_stats WHERE message_id = $1', [
          messageId,
        ])
      ).rows[0]?.total_opens ?? 0,
    ),
  );

beforeAll(async () => {
  db = await createTestDatabase();
  bouncer = await startTestPgBouncer();
  api = await startTestApi(
    {
      DATABASE_URL: withCredentials(db.appUrl, { port: bouncer.port }),
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      TRACKING_FLUSH_INTERVAL_MS: '60000',
    },
    { database: db },
  );
  const { id: org, users } = await organisationWith(api, 'Fault Org', 'fault-owner@example.test');
  const auth = users['fault-owner@example.test']!.auth;
  const [person] = await createPeople(api, org, 1);
  const campaignId = (
    await request(api.service.app).post('/api/v1/campaigns').set(auth).send({ name: 'F' }).expect(201)
  ).body.id;
  await request(api.service.app)
    .post(`/api/v1/campaigns/${campaignId}/enrolments`)
    .set(auth)
    .send({ people: [{ personId: person!.personId }] })
    .expect(200);
  const enrolment = (
    await request(api.service.app).get(`/api/v1/campaigns/${campaignId}/enrolments`).set(auth)
  ).body.items[0];
  const message = (
    await request(api.service.app)
      .post(`/api/v1/campaigns/${campaignId}/enrolments/${enrolment.id}/messages`)
      .set(auth)
      .send({ subject: 'F', sentAt: new Date(Date.now() - 3_600_000).toISOString() })
      .expect(201)
  ).body;
  pixelPath = message.pixel.path;
  messageId = message.id;
});
afterAll(async () => {
  await api.close();
  await bouncer.stop();
  await db.drop();
});

describe('the pixel while the database path is down', () => {
  it('still serves the GIF at once, drops the opens and counts them; recovers when pgBouncer is back', async () => {
    await request(api.service.app).get(pixelPath).expect(200);
    await api.service.pixelRecorder.flush();
    expect(await totalOpens()).toBe(1);

    await bouncer.stop();
    for (let i = 0; i < 25; i += 1) {
      const res = await request(api.service.app)
        .get(pixelPath)
        .buffer(true)
        .parse((r, done) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => done(null, Buffer.concat(chunks)));
        });
      expect(res.status).toBe(200);
      expect((res.body as Buffer).equals(PIXEL_GIF)).toBe(true);
    }
    // All 25 were answered while their opens still sat in the buffer: no answer waited for the database.
    expect(api.service.pixelRecorder.pending).toBe(25);
    const before = await metric('tracking_pixel_opens_dropped_total', 'database_error');
    await api.service.pixelRecorder.flush();
    expect((await metric('tracking_pixel_opens_dropped_total', 'database_error')) - before).toBe(25);
    expect(api.service.pixelRecorder.pending).toBe(0);

    await bouncer.restart();
    await eventually(async () => {
      await request(api.service.app).get(pixelPath).expect(200);
      await api.service.pixelRecorder.flush();
      expect(await totalOpens()).toBeGreaterThanOrEqual(2);
    });
    // Nothing of the dropped batch was written: one open before the outage, then only those after it.
    expect(await totalOpens()).toBeLessThan(1 + 25);
  });
});
