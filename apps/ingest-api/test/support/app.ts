import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalTokenIssuer } from '@prospectflow/auth-core/local-issuer';
import { createTestDatabase, harnessEnv, type TestDatabase } from '@prospectflow/test-harness';
import { loadConfig } from '../../src/platform/config/config.js';
import { createLogger } from '../../src/platform/logger/logger.js';
import { buildRuntime, type Runtime } from '../../src/runtime.js';

export const TEST_USER_POOL = 'eu-west-3_TestPool1';
export const TEST_CLIENT = 'test-client';

export interface TestApi {
  service: Runtime;
  db: TestDatabase;
  issuer: LocalTokenIssuer;
  /** A fresh ID token for an e-mail (one sign-in per call unless originJti is given). */
  token(email: string, options?: { originJti?: string }): string;
  /** The environment the API was built from (for child processes: a worker, a server). */
  environment: Readonly<Record<string, string>>;
  /** Another instance of the API on the same database, Redis and keys (horizontal scaling tests). */
  another(overrides?: Record<string, string>): Promise<Runtime>;
  close(): Promise<void>;
}

/**
 * The real app as the server builds it: prospectflow_app through pgBouncer, real Redis (a key prefix of its
 * own), tokens from a local issuer whose JWKS file the API loads like any external harness would.
 */
export async function startTestApi(
  overrides: Record<string, string> = {},
  options: { database?: TestDatabase } = {},
): Promise<TestApi> {
  const db = options.database ?? (await createTestDatabase());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pf-api-test-'));
  const issuer = LocalTokenIssuer.create({
    environment: 'test',
    userPoolId: TEST_USER_POOL,
    clientId: TEST_CLIENT,
  });
  const jwksFile = path.join(dir, 'jwks.json');
  await issuer.writeJwksFile(jwksFile);
  const prefix = `pft${randomUUID().slice(0, 8)}:`;
  const environment = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    DATABASE_URL: db.appUrl,
    REDIS_URL: harnessEnv().redisUrl,
    REDIS_KEY_PREFIX: prefix,
    COGNITO_USER_POOL_ID: TEST_USER_POOL,
    COGNITO_CLIENT_ID: TEST_CLIENT,
    COGNITO_JWKS_FILE: jwksFile,
    ...overrides,
  };
  const services: Runtime[] = [];
  const build = async (extra: Record<string, string> = {}) => {
    const config = loadConfig({ ...environment, ...extra });
    const service = buildRuntime(config, createLogger({ level: config.logLevel }));
    services.push(service);
    await service.ready;
    return service;
  };
  const service = await build();
  return {
    service,
    db,
    issuer,
    environment,
    token: (email, tokenOptions = {}) =>
      issuer.mintIdToken({
        sub: `sub-${email}`,
        email,
        givenName: email.split('@')[0] ?? 'Test',
        familyName: 'Tester',
        ...(tokenOptions.originJti ? { originJti: tokenOptions.originJti } : {}),
      }),
    another: (extra) => build(extra),
    close: async () => {
      await Promise.all(services.map((s) => s.close()));
      if (!options.database) await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
