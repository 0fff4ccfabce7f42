import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  startRedis,
  type RedisInstance,
  type TestDatabase,
} from '@prospectflow/test-harness';
import { SessionStoreUnavailableError, type Auth, type RedisClient } from '../src/index.js';
import {
  appPool,
  buildApp,
  captureLogs,
  connectRedis,
  createIssuer,
  createTestAuth,
  redisStore,
  uniqueEmail,
  type IssuerFiles,
} from './support.js';

// Redis stopped and started again under a running service. A private redis-server: the shared one is not
// touched.

let server: RedisInstance;
let client: RedisClient;
let db: TestDatabase;
let pool: pg.Pool;
let files: IssuerFiles;
let auth: Auth;
let app: Express;
let unexpectedErrors: unknown[];
const logs = captureLogs();

beforeAll(async () => {
  [server, db, files] = await Promise.all([startRedis(), createTestDatabase(), createIssuer()]);
  pool = appPool(db.appUrl);
  client = await connectRedis(server.url);
  auth = await createTestAuth(files.jwksFile, {
    sessionStore: redisStore(client, 'pf-test:outage:'),
    database: pool,
    logger: logs.logger,
  });
  ({ app, unexpectedErrors } = buildApp(auth));
});

afterAll(async () => {
  client.disconnect();
  await server.stop();
  await pool.end();
  await files.cleanup();
  await db.drop();
});

describe('Redis outage', () => {
  it('answers 503 quickly while Redis is down and recovers by itself when it is back', async () => {
    const token = files.issuer.mintIdToken({ sub: randomUUID(), email: uniqueEmail() });
    const get = () => request(app).get('/me').set('Authorization', `Bearer ${token}`);
    expect((await get()).status).toBe(200);

    await server.stop();
    const started = Date.now();
    const during = await get();
    expect(Date.now() - started).toBeLessThan(1500);
    expect(during.status).toBe(503);
    expect(during.headers['retry-after']).toBe('5');
    expect(during.body).toMatchObject({ code: 'session_store_unavailable', status: 503 });
    await expect(auth.ping()).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    // Still refused while down: never a silent pass without a session.
    expect((await get()).status).toBe(503);

    await server.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await get()).status;
      if (status === 200) break;
      expect(status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    await expect(auth.ping()).resolves.toBeUndefined();
    expect((client as Redis).status).toBe('ready');
    expect(unexpectedErrors).toEqual([]);
    expect(logs.events('auth_refused').some((entry) => entry['code'] === 'session_store_unavailable')).toBe(
      true,
    );
  });
});
