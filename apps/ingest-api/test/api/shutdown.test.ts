import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalTokenIssuer } from '@prospectflow/auth-core/local-issuer';
import { createTestDatabase, harnessEnv, type TestDatabase } from '@prospectflow/test-harness';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.js';
import { TEST_CLIENT, TEST_USER_POOL } from '../support/app.js';

let db: TestDatabase;
let dir: string;
let issuer: LocalTokenIssuer;
let running: RunningServer;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pf-shutdown-'));
  issuer = LocalTokenIssuer.create({
    environment: 'test',
    userPoolId: TEST_USER_POOL,
    clientId: TEST_CLIENT,
  });
  await issuer.writeJwksFile(path.join(dir, 'jwks.json'));
  running = await startServer({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: db.appUrl,
    REDIS_URL: harnessEnv().redisUrl,
    REDIS_KEY_PREFIX: `pfsd${process.pid}:`,
    COGNITO_USER_POOL_ID: TEST_USER_POOL,
    COGNITO_CLIENT_ID: TEST_CLIENT,
    COGNITO_JWKS_FILE: path.join(dir, 'jwks.json'),
    SHUTDOWN_TIMEOUT_MS: '5000',
  });
});
afterAll(async () => {
  await running.shutdown('test end');
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('graceful shutdown', () => {
  it('finishes the request in flight, refuses new connections, then closes the pools', async () => {
    const headers = {
      Authorization: `Bearer ${issuer.mintIdToken({ sub: 'sd', email: 'shutdown@example.test' })}`,
      'Content-Type': 'application/json',
    };
    // Wait for the keys, as a load balancer would wait for readiness.
    for (let i = 0; i < 50 && (await fetch(`${running.url}/health/ready`)).status !== 200; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const created = await fetch(`${running.url}/api/v1/organisations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Drain Ltd' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // Hold the organisation's row so the next PATCH stays in flight.
    const locker = new pg.Client({ connectionString: db.adminUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM iam.organisations WHERE id = $1 FOR UPDATE', [id]);

    const inFlight = fetch(`${running.url}/api/v1/organisations/${id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ name: 'Drained Ltd' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const shutdown = running.shutdown('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(fetch(`${running.url}/health/live`)).rejects.toThrow();

    await locker.query('COMMIT');
    await locker.end();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { name: string }).name).toBe('Drained Ltd');
    await shutdown;
    expect(running.server.listening).toBe(false);
  });
});
