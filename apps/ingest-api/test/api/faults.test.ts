import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  startRedis,
  startTestPgBouncer,
  withCredentials,
  type PgBouncerInstance,
  type RedisInstance,
  type TestDatabase,
} from '@prospectflow/test-harness';
import type { Runtime } from '../../src/runtime.js';
import { eventually } from '../support/eventually.js';
import { startTestApi, type TestApi } from '../support/app.js';
import { Load, countBy, expectCleanOutcomes, outcomeOf } from '../support/load.js';

let db: TestDatabase;
let redis: RedisInstance;
let bouncer: PgBouncerInstance;
let api: TestApi;
let organisationId: string;
const email = 'faults@example.test';

const ready = () => request(api.service.app).get('/health/ready');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bearer = () => ({ Authorization: `Bearer ${api.token(email, { originJti: 'faults-session' })}` });

beforeAll(async () => {
  db = await createTestDatabase();
  [redis, bouncer] = await Promise.all([startRedis(), startTestPgBouncer()]);
  api = await startTestApi(
    {
      REDIS_URL: redis.url,
      DATABASE_URL: withCredentials(db.appUrl, { port: bouncer.port }),
      HEALTH_CHECK_TIMEOUT_MS: '500',
      // The loads below come from one address and one user: the limits are tested on instances of their own.
      RATE_LIMIT_PUBLIC_PER_WINDOW: '1000000',
      RATE_LIMIT_DEFAULT_PER_WINDOW: '1000000',
    },
    { database: db },
  );
  organisationId = (
    await request(api.service.app)
      .post('/api/v1/organisations')
      .set(bearer())
      .send({ name: 'Faulty' })
      .expect(201)
  ).body.id;
});
afterAll(async () => {
  await api.close();
  await Promise.all([redis.stop(), bouncer.stop()]);
  await db.drop();
});

describe('readiness and recovery without a restart', () => {
  it('is healthy with every dependency up, with a status and latency per check', async () => {
    const res = await ready().expect(200);
    expect(res.body.status).toMatch(/healthy|degraded/);
    for (const name of ['database', 'redis', 'sessionStore', 'jwks']) {
      expect(res.body.checks[name]).toMatchObject({ status: 'up', latencyMs: expect.any(Number) });
    }
  });

  it('Redis stopped: readiness 503, session requests 503; Redis back: both recover', async () => {
    await redis.stop();
    const down = await eventually(async () => {
      const res = await ready().expect(503);
      expect(res.body.checks.redis.status).toBe('down');
      return res;
    });
    expect(down.body.status).toBe('unhealthy');
    const refused = await request(api.service.app).get('/api/v1/me').set(bearer()).expect(503);
    expect(refused.body.code).toBe('session_store_unavailable');
    expect(refused.headers['retry-after']).toBeDefined();
    // Public routes keep working: the rate limiter falls back to its in-memory insurance.
    await request(api.service.app).get('/health/live').expect(200);

    await redis.start();
    await eventually(() => ready().expect(200));
    // Redis lost its data (no persistence): the session is rebuilt from the database on the next request.
    await eventually(() =>
      request(api.service.app).get(`/api/v1/organisations/${organisationId}`).set(bearer()).expect(200),
    );
  });

  it('pgBouncer (the database path) stopped: readiness 503, queries 503; back: both recover', async () => {
    await request(api.service.app).get(`/api/v1/organisations/${organisationId}`).set(bearer()).expect(200);
    await bouncer.stop();
    const down = await eventually(async () => {
      const res = await ready().expect(503);
      expect(res.body.checks.database.status).toBe('down');
      return res;
    });
    expect(down.body.checks.redis.status).toBe('up');
    const refused = await request(api.service.app)
      .get(`/api/v1/organisations/${organisationId}`)
      .set(bearer())
      .expect(503);
    expect(refused.body.code).toBe('database_unavailable');

    await bouncer.restart();
    await eventually(() => ready().expect(200));
    await eventually(() =>
      request(api.service.app).get(`/api/v1/organisations/${organisationId}`).set(bearer()).expect(200),
    );
  });

  it('Redis stopped under load: every session-bound answer is 200 or the documented 503, then all 200 again', async () => {
    const path = `/api/v1/organisations/${organisationId}`;
    let phase = 'before';
    const load = new Load(6, async () => {
      const label = phase;
      return outcomeOf(await request(api.service.app).get(path).set(bearer()), label);
    });
    await sleep(300);
    phase = 'down';
    await redis.stop();
    await eventually(async () => {
      const res = await ready().expect(503);
      expect(res.body).toMatchObject({ status: 'unhealthy', checks: { sessionStore: { status: 'down' } } });
    });
    await sleep(800);
    phase = 'recovering';
    await redis.start();
    await eventually(() => ready().expect(200));
    await eventually(() => request(api.service.app).get(path).set(bearer()).expect(200));
    phase = 'after';
    await sleep(400);
    const outcomes = await load.stop();

    // Never a 500, never a 401 (a dependency down is not "unauthenticated"), never internals.
    expectCleanOutcomes(outcomes, { statuses: [200, 503], codes: ['session_store_unavailable'] });
    expect(
      countBy(
        outcomes.filter((o) => o.label === 'down'),
        503,
      ),
    ).toBeGreaterThan(0);
    expect(
      countBy(
        outcomes.filter((o) => o.label === 'before'),
        200,
      ),
    ).toBeGreaterThan(0);
    const after = outcomes.filter((o) => o.label === 'after');
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((o) => o.status !== 200)).toEqual([]);
  });

  it('rate limits: shared through Redis, per instance in memory while it is down, shared again when it is back', async () => {
    const limited = { RATE_LIMIT_PUBLIC_PER_WINDOW: '4', TRUST_PROXY_HOPS: '1' };
    const [a, b] = await Promise.all([api.another(limited), api.another(limited)]);
    // Each phase is a client address of its own, so each starts with a full budget.
    const hit = async (instance: Runtime, address: string) =>
      (await request(instance.app).get('/health/live').set('X-Forwarded-For', address)).status;
    const alternating = async (address: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) statuses.push(await hit(i % 2 === 0 ? a : b, address));
      return statuses;
    };
    const connected = (status: string) =>
      eventually(async () => expect([a.redis?.status, b.redis?.status]).toEqual([status, status]));

    // One budget of 4 for both instances.
    expect(await alternating('203.0.113.10')).toEqual([200, 200, 200, 200, 429, 429]);

    await redis.stop();
    await connected('reconnecting');
    // The insurance limiter: still limited (never everything let through, never an error), but per instance.
    for (const instance of [a, b]) {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push(await hit(instance, '203.0.113.20'));
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
    }

    await redis.start();
    await connected('ready');
    // Shared again, without restarting either instance.
    expect(await alternating('203.0.113.30')).toEqual([200, 200, 200, 200, 429, 429]);
  });
});
