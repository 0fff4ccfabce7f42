import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import {
  createAuth,
  createRedisClient,
  createRedisSessionStore,
  getScopedAuth,
  type Auth,
  type AuthOptions,
  type RedisClient,
  type SessionStore,
} from '../src/index.js';
import { LocalTokenIssuer } from '../src/local-issuer.js';

export const USER_POOL_ID = 'eu-west-3_TestPool1';
export const CLIENT_ID = 'prospectflow-test-client';

export function rsaKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

/** A pino logger writing into memory, so tests can assert on what would have been logged. */
export function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return {
    logger,
    lines,
    text: () => lines.join(''),
    events: (event: string) =>
      lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry['event'] === event),
  };
}

export interface IssuerFiles {
  issuer: LocalTokenIssuer;
  jwksFile: string;
  cleanup(): Promise<void>;
}

/** A local issuer for the test pool and its JWKS written to a temporary file (the verifier's `jwksFile`). */
export async function createIssuer(
  options: { privateKey?: KeyObject; clientId?: string } = {},
): Promise<IssuerFiles> {
  const issuer = LocalTokenIssuer.create({
    environment: 'test',
    userPoolId: USER_POOL_ID,
    clientId: options.clientId ?? CLIENT_ID,
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'auth-core-jwks-'));
  const jwksFile = path.join(dir, 'jwks.json');
  await issuer.writeJwksFile(jwksFile);
  return { issuer, jwksFile, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A Redis client on the shared test Redis, once connected (the client rejects commands until then). */
export async function connectRedis(url: string): Promise<RedisClient> {
  const client = createRedisClient(url);
  await waitUntilReady(client as Redis);
  return client;
}

export async function waitUntilReady(client: Redis, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Redis not ready in time')), timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A key prefix no other test file uses: the test Redis is shared by files running in parallel. */
export function uniquePrefix(file: string): string {
  return `pf-test:auth-core:${file}:${randomUUID()}:`;
}

export async function keysWithPrefix(client: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  const keys = await keysWithPrefix(client, `${prefix}*`);
  for (const key of keys) await client.del(key);
}

export function redisStore(client: RedisClient, prefix: string): SessionStore {
  return createRedisSessionStore({ client, keyPrefix: prefix });
}

export type TestAuthOptions = Partial<AuthOptions> & Pick<AuthOptions, 'sessionStore' | 'database'>;

export async function createTestAuth(jwksFile: string, options: TestAuthOptions): Promise<Auth> {
  const auth = createAuth({
    environment: 'test',
    userPools: [{ userPoolId: USER_POOL_ID, clientId: CLIENT_ID, tokenUse: null, groups: null, jwksFile }],
    idleTimeoutSeconds: 1800,
    absoluteLifetimeSeconds: 12 * 3600,
    profileResolver: null,
    logger: null,
    ...options,
  });
  await auth.hydrate();
  return auth;
}

/** A tiny app with the routes the tests need; errors other than auth errors are collected and answered 500. */
export function buildApp(auth: Auth): { app: Express; unexpectedErrors: unknown[] } {
  const unexpectedErrors: unknown[] = [];
  const app = express();
  app.use((req, res, next) => {
    const id = randomUUID();
    (req as { id?: string }).id = id;
    res.setHeader('X-Request-Id', id);
    next();
  });
  app.get('/me', auth.authenticate, (req, res) => {
    res.json(auth.sessionView(req));
  });
  app.get('/org', auth.authenticate, auth.scopeOrganisation, (req, res) => {
    const scoped = getScopedAuth(req);
    res.json({
      organisationId: scoped.organisation.organisationId,
      role: scoped.role,
      userId: scoped.user.id,
    });
  });
  app.get('/admin', auth.authenticate, auth.scopeOrganisation, auth.requireRole('admin'), (_req, res) => {
    res.json({ ok: true });
  });
  app.post('/logout', auth.authenticate, async (req, res) => {
    await auth.logout(req);
    res.status(204).end();
  });
  app.put('/active-organisation/:id', auth.authenticate, async (req, res) => {
    const id = String(req.params['id'] ?? '');
    res.json(await auth.setActiveOrganisation(req, id === 'none' ? null : id));
  });
  app.use(auth.errorHandler);
  const fallback: ErrorRequestHandler = (error, _req, res, _next) => {
    unexpectedErrors.push(error);
    res.status(500).json({ title: 'Internal Server Error' });
  };
  app.use(fallback);
  return { app, unexpectedErrors };
}

export function uniqueEmail(): string {
  return `user-${randomUUID()}@example.test`;
}

/** Fixture writes as the superuser (RLS is forced on the iam tables; a superuser is exempt). */
export class Fixtures {
  readonly admin: pg.Pool;
  constructor(adminUrl: string) {
    this.admin = new pg.Pool({ connectionString: adminUrl, max: 2 });
  }

  async insertUser(email: string, cognitoSub: string | null = null): Promise<string> {
    const { rows } = await this.admin.query<{ id: string }>(
      'INSERT INTO iam.users (email, cognito_sub) VALUES ($1, $2) RETURNING id',
      [email, cognitoSub],
    );
    return (rows[0] as { id: string }).id;
  }

  /** An organisation with its (required) single active owner. */
  async createOrganisation(ownerUserId: string, name = `Org ${randomUUID().slice(0, 8)}`): Promise<string> {
    const client = await this.admin.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string }>(
        'INSERT INTO iam.organisations (name, slug) VALUES ($1, $2) RETURNING id',
        [name, `org-${randomUUID().slice(0, 12)}`],
      );
      const organisationId = (rows[0] as { id: string }).id;
      await client.query(
        "INSERT INTO iam.organisation_users (organisation_id, user_id, role, status) VALUES ($1, $2, 'owner', 'active')",
        [organisationId, ownerUserId],
      );
      await client.query('COMMIT');
      return organisationId;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  async addMember(organisationId: string, userId: string, role: string, status = 'active'): Promise<void> {
    await this.admin.query(
      'INSERT INTO iam.organisation_users (organisation_id, user_id, role, status) VALUES ($1, $2, $3, $4)',
      [organisationId, userId, role, status],
    );
  }

  async setRole(organisationId: string, userId: string, role: string): Promise<void> {
    await this.admin.query(
      'UPDATE iam.organisation_users SET role = $3 WHERE organisation_id = $1 AND user_id = $2',
      [organisationId, userId, role],
    );
  }

  async removeMember(organisationId: string, userId: string): Promise<void> {
    await this.admin.query('DELETE FROM iam.organisation_users WHERE organisation_id = $1 AND user_id = $2', [
      organisationId,
      userId,
    ]);
  }

  async usersWithSub(
    cognitoSub: string,
  ): Promise<{ id: string; email: string; first_name: string | null }[]> {
    const { rows } = await this.admin.query<{ id: string; email: string; first_name: string | null }>(
      'SELECT id, email, first_name FROM iam.users WHERE cognito_sub = $1',
      [cognitoSub],
    );
    return rows;
  }

  async membership(
    organisationId: string,
    userId: string,
  ): Promise<{ role: string; status: string } | undefined> {
    const { rows } = await this.admin.query<{ role: string; status: string }>(
      'SELECT role, status FROM iam.organisation_users WHERE organisation_id = $1 AND user_id = $2',
      [organisationId, userId],
    );
    return rows[0];
  }

  end(): Promise<void> {
    return this.admin.end();
  }
}

/** The application's database handle: prospectflow_app through pgBouncer in transaction mode. */
export function appPool(appUrl: string, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: appUrl, max });
}
