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
import { eventually } from '../support/eventually.js';
import { startTestApi, type TestApi } from '../support/app.js';

let db: TestDatabase;
let redis: RedisInstance;
let bouncer: PgBouncerInstance;
let api: TestApi;
let organisationId: string;
const email = 'faults@example.test';

const ready = () => request(api.service.app).get('/health/ready');
const bearer = () => ({ Authorization: `Bearer ${api.token(email, { originJti: 'faults-session' })}` });

beforeAll(async () => {
  db = await createTestDatabase();
  [redis, bouncer] = await Promise.all([startRedis(), startTestPgBouncer()]);
  api = await startTestApi(
    {
      REDIS_URL: redis.url,
      DATABASE_URL: withCredentials(db.appUrl, { port: bouncer.port }),
      HEALTH_CHECK_TIMEOUT_MS: '500',
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
});
