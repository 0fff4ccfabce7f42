import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, harnessEnv, type TestDatabase } from '@prospectflow/test-harness';
import type { Auth, SqlExecutor } from '../src/index.js';
import type { SessionView } from '../src/types.js';
import {
  appPool,
  buildApp,
  captureLogs,
  connectRedis,
  createIssuer,
  createTestAuth,
  deleteKeys,
  Fixtures,
  keysWithPrefix,
  redisStore,
  uniqueEmail,
  uniquePrefix,
  type IssuerFiles,
  type TestAuthOptions,
} from './support.js';

// Sessions on the real Redis and user sync on the real PostgreSQL (through pgBouncer), with two auth instances
// standing for two API processes that share both.

let db: TestDatabase;
let pool: pg.Pool;
let fixtures: Fixtures;
let redis: Redis;
let prefix: string;
let files: IssuerFiles;
let syncCalls = 0;
let clockOffset = 0;
const logs = captureLogs();
let auth: Auth;
let app: Express;
let unexpectedErrors: unknown[];
let otherAuth: Auth;
let otherApp: Express;

const countingDatabase = (): SqlExecutor => ({
  query: (text, values) => {
    if (text.includes('iam.sync_user')) syncCalls += 1;
    return pool.query(text, values);
  },
});

async function instance(options: Partial<TestAuthOptions> = {}) {
  const created = await createTestAuth(files.jwksFile, {
    sessionStore: redisStore(redis, prefix),
    database: countingDatabase(),
    logger: logs.logger,
    clock: () => Date.now() + clockOffset,
    ...options,
  });
  return { auth: created, ...buildApp(created) };
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = appPool(db.appUrl);
  fixtures = new Fixtures(db.adminUrl);
  redis = (await connectRedis(harnessEnv().redisUrl)) as Redis;
  prefix = uniquePrefix('sessions');
  files = await createIssuer();
  ({ auth, app, unexpectedErrors } = await instance());
  ({ auth: otherAuth, app: otherApp } = await instance());
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await pool.end();
  await fixtures.end();
  await files.cleanup();
  await db.drop();
});

function signIn(options: { sub?: string; email?: string; originJti?: string; authTime?: number } = {}) {
  const sub = options.sub ?? randomUUID();
  const email = options.email ?? uniqueEmail();
  const originJti = options.originJti ?? randomUUID();
  const idToken = files.issuer.mintIdToken({
    sub,
    email,
    givenName: 'Ada',
    familyName: 'Lovelace',
    originJti,
    ...(options.authTime === undefined ? {} : { authTime: options.authTime }),
  });
  const accessToken = files.issuer.mintAccessToken({ sub, originJti });
  return { sub, email, originJti, idToken, accessToken };
}

const bearer = (token: string) => `Bearer ${token}`;

async function me(token: string, target: Express = app): Promise<SessionView> {
  const response = await request(target).get('/me').set('Authorization', bearer(token));
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as SessionView;
}

/** A signed-in user who is a member of a fresh organisation (owned by someone else). */
async function memberOfNewOrganisation(role: string) {
  const identity = signIn();
  const { user } = await me(identity.idToken);
  const ownerId = await fixtures.insertUser(uniqueEmail());
  const organisationId = await fixtures.createOrganisation(ownerId);
  await fixtures.addMember(organisationId, user.id, role);
  await auth.invalidateUserSessions(user.id);
  return { ...identity, userId: user.id, organisationId };
}

describe('session creation', () => {
  it('creates one session and one user for 20 concurrent first requests across two instances', async () => {
    const identity = signIn();
    syncCalls = 0;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        request(index % 2 === 0 ? app : otherApp)
          .get('/me')
          .set('Authorization', bearer(identity.idToken)),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const userIds = new Set(responses.map((response) => (response.body as SessionView).user.id));
    expect(userIds.size).toBe(1);
    expect(await keysWithPrefix(redis, `${prefix}session:${identity.originJti}`)).toHaveLength(1);
    expect(await fixtures.usersWithSub(identity.sub)).toHaveLength(1);
    // One user sync per instance at most: concurrent requests of one sign-in share it.
    expect(syncCalls).toBeGreaterThanOrEqual(1);
    expect(syncCalls).toBeLessThanOrEqual(2);
  });

  it('serves the access token of the same sign-in from the session the ID token opened', async () => {
    const identity = signIn();
    const first = await me(identity.idToken);
    const second = await me(identity.accessToken, otherApp);
    expect(second.user).toEqual(first.user);
    expect(first.user).toMatchObject({ email: identity.email, firstName: 'Ada', lastName: 'Lovelace' });
  });

  it('lets an ID token open the session even when an access token of the same sign-in races it', async () => {
    const identity = signIn();
    const [access, id] = await Promise.all([
      request(app).get('/me').set('Authorization', bearer(identity.accessToken)),
      request(app).get('/me').set('Authorization', bearer(identity.idToken)),
    ]);
    expect(id.status).toBe(200);
    expect([200, 401]).toContain(access.status);
  });

  it('refuses an access token that starts a sign-in when no profile resolver is configured', async () => {
    const identity = signIn();
    const response = await request(app).get('/me').set('Authorization', bearer(identity.accessToken));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'id_token_required' });
    expect(await fixtures.usersWithSub(identity.sub)).toHaveLength(0);
  });

  it('refuses an unverified e-mail without creating a user', async () => {
    const sub = randomUUID();
    const token = files.issuer.mintIdToken({ sub, email: uniqueEmail(), emailVerified: false });
    const response = await request(app).get('/me').set('Authorization', bearer(token));
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ code: 'email_not_verified' });
    expect(await fixtures.usersWithSub(sub)).toHaveLength(0);
  });
});

describe('logout', () => {
  it('revokes the session: the same token, a refreshed token and the access token are refused', async () => {
    const identity = signIn();
    await me(identity.idToken);
    const logout = await request(app).post('/logout').set('Authorization', bearer(identity.idToken));
    expect(logout.status).toBe(204);
    expect(await keysWithPrefix(redis, `${prefix}session:${identity.originJti}`)).toHaveLength(0);
    const ttl = await redis.pttl(`${prefix}revoked:${identity.originJti}`);
    expect(ttl).toBeGreaterThan(3_500_000);

    const refreshed = files.issuer.mintIdToken({
      sub: identity.sub,
      email: identity.email,
      originJti: identity.originJti,
    });
    for (const [target, token] of [
      [app, identity.idToken],
      [otherApp, identity.idToken],
      [app, identity.accessToken],
      [otherApp, refreshed],
    ] as const) {
      const replay = await request(target).get('/me').set('Authorization', bearer(token));
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({ code: 'token_revoked' });
    }
    // The replay did not recreate the session.
    expect(await keysWithPrefix(redis, `${prefix}session:${identity.originJti}`)).toHaveLength(0);

    // A new sign-in of the same user works.
    const again = await me(signIn({ sub: identity.sub, email: identity.email }).idToken);
    expect(again.user.email).toBe(identity.email);
  });
});

describe('membership changes', () => {
  it('applies a role change on the very next request, on every instance', async () => {
    const member = await memberOfNewOrganisation('member');
    const header = { Authorization: bearer(member.idToken), 'X-Organisation-Id': member.organisationId };
    expect((await request(otherApp).get('/admin').set(header)).body).toMatchObject({
      code: 'insufficient_role',
    });

    await fixtures.setRole(member.organisationId, member.userId, 'admin');
    expect(await auth.invalidateUserSessions(member.userId)).toBe(1);
    const promoted = await request(otherApp).get('/admin').set(header);
    expect(promoted.status).toBe(200);

    await fixtures.setRole(member.organisationId, member.userId, 'viewer');
    await otherAuth.invalidateUserSessions(member.userId);
    const demoted = await request(app).get('/admin').set(header);
    expect(demoted.status).toBe(403);
    expect(demoted.body).toMatchObject({ code: 'insufficient_role', requiredRole: 'admin' });
  });

  it('applies a removal on the very next request and logs the attempt as cross-tenant', async () => {
    const member = await memberOfNewOrganisation('admin');
    const header = { Authorization: bearer(member.idToken), 'X-Organisation-Id': member.organisationId };
    expect((await request(app).get('/org').set(header)).body).toMatchObject({ role: 'admin' });

    await fixtures.removeMember(member.organisationId, member.userId);
    await auth.invalidateUserSessions(member.userId);
    const refused = await request(otherApp).get('/org').set(header);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'not_a_member' });

    const events = logs.events('cross_tenant_attempt').filter((event) => event['userId'] === member.userId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      organisationId: member.organisationId,
      requestId: refused.headers['x-request-id'],
      ip: expect.any(String),
    });
  });

  it('keeps the active organisation across an invalidation', async () => {
    const member = await memberOfNewOrganisation('member');
    const secondOwner = await fixtures.insertUser(uniqueEmail());
    const second = await fixtures.createOrganisation(secondOwner);
    await fixtures.addMember(second, member.userId, 'viewer');
    await auth.invalidateUserSessions(member.userId);

    const ambiguous = await request(app).get('/org').set('Authorization', bearer(member.idToken));
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body).toMatchObject({ code: 'organisation_required' });

    const chosen = await request(app)
      .put(`/active-organisation/${second}`)
      .set('Authorization', bearer(member.idToken));
    expect(chosen.status).toBe(200);
    expect(chosen.body).toMatchObject({ activeOrganisationId: second, role: 'viewer' });

    await fixtures.setRole(second, member.userId, 'admin');
    await auth.invalidateUserSessions(member.userId);
    const scoped = await request(otherApp).get('/org').set('Authorization', bearer(member.accessToken));
    expect(scoped.body).toMatchObject({ organisationId: second, role: 'admin' });
  });
});

describe('organisation scope', () => {
  it('answers 400 for a malformed X-Organisation-Id', async () => {
    const member = await memberOfNewOrganisation('member');
    const response = await request(app)
      .get('/org')
      .set({ Authorization: bearer(member.idToken), 'X-Organisation-Id': "1' OR '1'='1" });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_organisation_id' });
  });

  it('uses the only membership when nothing is requested', async () => {
    const member = await memberOfNewOrganisation('member');
    const response = await request(app).get('/org').set('Authorization', bearer(member.idToken));
    expect(response.body).toMatchObject({ organisationId: member.organisationId, role: 'member' });
  });

  it('answers 403 no_organisation to a user without any organisation', async () => {
    const identity = signIn();
    const response = await request(app).get('/org').set('Authorization', bearer(identity.idToken));
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ code: 'no_organisation' });
  });

  it('refuses an organisation of which the user is only invited, and refuses choosing it', async () => {
    const member = await memberOfNewOrganisation('member');
    const owner = await fixtures.insertUser(uniqueEmail());
    const other = await fixtures.createOrganisation(owner);
    await fixtures.addMember(other, member.userId, 'admin', 'invited');
    await auth.invalidateUserSessions(member.userId);
    const header = { Authorization: bearer(member.idToken), 'X-Organisation-Id': other };
    expect((await request(app).get('/org').set(header)).body).toMatchObject({ code: 'not_a_member' });
    const choose = await request(app)
      .put(`/active-organisation/${other}`)
      .set('Authorization', bearer(member.idToken));
    expect(choose.status).toBe(403);
  });
});

describe('session lifetime', () => {
  it('ends a session idle for longer than the idle timeout, even with a valid token', async () => {
    const identity = signIn();
    await me(identity.idToken);
    clockOffset = 20 * 60 * 1000;
    await me(identity.idToken);
    clockOffset = 20 * 60 * 1000 + 31 * 60 * 1000;
    try {
      const response = await request(app).get('/me').set('Authorization', bearer(identity.idToken));
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'session_expired' });
    } finally {
      clockOffset = 0;
    }
  });

  it('ends a session at its absolute lifetime from the Cognito sign-in', async () => {
    const identity = signIn({ authTime: Math.floor(Date.now() / 1000) - 12 * 3600 - 5 });
    const response = await request(app).get('/me').set('Authorization', bearer(identity.idToken));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'session_expired' });
  });

  it('raised no unexpected error', () => {
    expect(unexpectedErrors).toEqual([]);
  });
});
