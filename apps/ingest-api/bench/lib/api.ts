import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalTokenIssuer } from '@prospectflow/auth-core/local-issuer';
import type { TestDatabase } from '@prospectflow/test-harness';
import type { BenchServices } from './services.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

const USER_POOL = 'eu-west-3_BenchPool1';
const CLIENT = 'bench-client';
/** Limits still enforced (every request still goes through the Redis limiter), just out of the way of load. */
const UNBOUNDED = String(1_000_000_000);

export interface BenchApi {
  server: ServerProcess;
  /** An ID token of the local issuer for a user (valid one hour, like Cognito's default). */
  token(email: string): string;
  /** POST/GET with a user's token; throws on a non-2xx answer. */
  call<T>(
    method: 'GET' | 'POST',
    route: string,
    email: string,
    body?: unknown,
    organisationId?: string,
  ): Promise<T>;
  close(): Promise<void>;
}

/**
 * The API as `test/support/app.ts` builds it (buildRuntime from the parsed configuration, prospectflow_app
 * through pgBouncer, real Redis under a key prefix of its own, tokens of a local issuer whose JWKS file it
 * loads), but in a child process, at log level warn and with rate limits that load cannot reach.
 */
export async function startBenchApi(
  services: BenchServices,
  db: TestDatabase,
  options: { cpuProfileDir?: string; environment?: Record<string, string> } = {},
): Promise<BenchApi> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pf-bench-'));
  const issuer = LocalTokenIssuer.create({ environment: 'test', userPoolId: USER_POOL, clientId: CLIENT });
  const jwksFile = path.join(dir, 'jwks.json');
  await issuer.writeJwksFile(jwksFile);
  const server = await startServerProcess(
    {
      kind: 'api',
      environment: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: db.appUrl,
        REDIS_URL: services.redisUrl,
        REDIS_KEY_PREFIX: `pfb${randomUUID().slice(0, 8)}:`,
        COGNITO_USER_POOL_ID: USER_POOL,
        COGNITO_CLIENT_ID: CLIENT,
        COGNITO_JWKS_FILE: jwksFile,
        RATE_LIMIT_PUBLIC_PER_WINDOW: UNBOUNDED,
        RATE_LIMIT_DEFAULT_PER_WINDOW: UNBOUNDED,
        RATE_LIMIT_INGEST_PER_WINDOW: UNBOUNDED,
        ...options.environment,
      },
    },
    options.cpuProfileDir === undefined ? {} : { cpuProfileDir: options.cpuProfileDir },
  );
  const tokens = new Map<string, string>();
  const token = (email: string) => {
    let minted = tokens.get(email);
    if (minted === undefined) {
      const [local = 'bench'] = email.split('@');
      minted = issuer.mintIdToken({ sub: `sub-${email}`, email, givenName: local, familyName: 'Bench' });
      tokens.set(email, minted);
    }
    return minted;
  };
  return {
    server,
    token,
    async call<T>(
      method: 'GET' | 'POST',
      route: string,
      email: string,
      body?: unknown,
      organisationId?: string,
    ) {
      const response = await fetch(`${server.url}${route}`, {
        method,
        headers: {
          Authorization: `Bearer ${token(email)}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(organisationId === undefined ? {} : { 'X-Organisation-Id': organisationId }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok)
        throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 500)}`);
      return JSON.parse(text) as T;
    },
    close: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Creates an organisation through the API; the user is its owner. */
export async function createOrganisation(api: BenchApi, ownerEmail: string, name: string): Promise<string> {
  const created = await api.call<{ id: string }>('POST', '/api/v1/organisations', ownerEmail, { name });
  return created.id;
}
