import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, freePort, withAdmin, type TestDatabase } from '@prospectflow/test-harness';
import {
  createMemorySessionStore,
  createUserInfoProfileResolver,
  InvalidClaimsError,
  syncUser,
  UserSyncConflictError,
} from '../src/index.js';
import type { SessionView } from '../src/types.js';
import {
  appPool,
  buildApp,
  createIssuer,
  createTestAuth,
  Fixtures,
  uniqueEmail,
  type IssuerFiles,
} from './support.js';

// User sync on the real PostgreSQL, as the application role through pgBouncer in transaction mode.

let db: TestDatabase;
let pool: pg.Pool;
let fixtures: Fixtures;
let files: IssuerFiles;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = appPool(db.appUrl, 20);
  fixtures = new Fixtures(db.adminUrl);
  files = await createIssuer();
});

afterAll(async () => {
  await pool.end();
  await fixtures.end();
  await files.cleanup();
  await db.drop();
});

const bearer = (token: string) => `Bearer ${token}`;

describe('user sync', () => {
  it('creates exactly one user when ten instances see the first request of an identity at once', async () => {
    // Separate session stores, so nothing but the database stands between the concurrent syncs.
    const instances = await Promise.all(
      Array.from({ length: 10 }, async () =>
        buildApp(
          await createTestAuth(files.jwksFile, { sessionStore: createMemorySessionStore(), database: pool }),
        ),
      ),
    );
    const sub = randomUUID();
    const email = uniqueEmail();
    const token = files.issuer.mintIdToken({ sub, email });
    const responses = await Promise.all(
      instances.map(({ app }) => request(app).get('/me').set('Authorization', bearer(token))),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    const users = await fixtures.usersWithSub(sub);
    expect(users).toHaveLength(1);
    expect(new Set(responses.map((response) => (response.body as SessionView).user.id))).toEqual(
      new Set([users[0]?.id]),
    );
  });

  it('accepts a pending invitation on the first sign-in of the invited e-mail', async () => {
    const owner = await fixtures.insertUser(uniqueEmail());
    const organisationId = await fixtures.createOrganisation(owner);
    const email = uniqueEmail();
    const placeholder = await fixtures.insertUser(email);
    await fixtures.addMember(organisationId, placeholder, 'admin', 'invited');

    const { app, unexpectedErrors } = buildApp(
      await createTestAuth(files.jwksFile, { sessionStore: createMemorySessionStore(), database: pool }),
    );
    const sub = randomUUID();
    // The e-mail's case differs from the invitation's: iam.users.email is citext.
    const token = files.issuer.mintIdToken({ sub, email: email.toUpperCase(), givenName: 'Grace' });
    const response = await request(app).get('/org').set('Authorization', bearer(token));
    expect(response.status, String(unexpectedErrors[0] ?? JSON.stringify(response.body))).toBe(200);
    expect(response.body).toMatchObject({ organisationId, role: 'admin', userId: placeholder });
    expect(await fixtures.membership(organisationId, placeholder)).toEqual({
      role: 'admin',
      status: 'active',
    });
    const users = await fixtures.usersWithSub(sub);
    expect(users).toEqual([{ id: placeholder, email: email.toUpperCase(), first_name: 'Grace' }]);
  });

  it("ends with the later token's e-mail when two first requests of one identity carry different e-mails", async () => {
    // Two instances with their own session stores, so both requests reach the database; the e-mail changed in
    // Cognito between the two tokens (the later one has the higher iat).
    const instance = async () =>
      buildApp(
        await createTestAuth(files.jwksFile, { sessionStore: createMemorySessionStore(), database: pool }),
      ).app;
    const [a, b] = [await instance(), await instance()];
    const now = Math.floor(Date.now() / 1000);
    for (let round = 0; round < 6; round += 1) {
      const sub = randomUUID();
      const older = uniqueEmail();
      const newer = uniqueEmail();
      const olderToken = files.issuer.mintIdToken({ sub, email: older, issuedAt: now - 60 });
      const newerToken = files.issuer.mintIdToken({ sub, email: newer, issuedAt: now });
      // Each order of arrival, on each instance.
      const [first, second] = round % 2 === 0 ? [olderToken, newerToken] : [newerToken, olderToken];
      const responses = await Promise.all([
        request(a).get('/me').set('Authorization', bearer(first)),
        request(b).get('/me').set('Authorization', bearer(second)),
      ]);
      expect(
        responses.map((response) => response.status),
        JSON.stringify(responses.map((response) => response.body)),
      ).toEqual([200, 200]);
      const users = await fixtures.usersWithSub(sub);
      expect(users).toEqual([expect.objectContaining({ email: newer })]);
      expect(new Set(responses.map((response) => (response.body as SessionView).user.id))).toEqual(
        new Set([users[0]?.id]),
      );
    }
  });

  it('never lets an older token put back a former e-mail or name', async () => {
    const sub = randomUUID();
    const newer = uniqueEmail();
    const now = Math.floor(Date.now() / 1000);
    const profile = { cognitoSub: sub, firstName: 'Ada', lastName: 'Byron' };
    const { userId } = await syncUser(pool, { ...profile, email: newer, lastName: 'King', issuedAt: now });
    // Same claims again, then an older token with another e-mail and the former last name.
    await syncUser(pool, { ...profile, email: newer, lastName: 'King', issuedAt: now });
    await syncUser(pool, { ...profile, email: uniqueEmail(), issuedAt: now - 30 });
    const stored = await withAdmin(db.adminUrl, async (admin) =>
      admin.query('SELECT id, email::text AS email, last_name FROM iam.users WHERE cognito_sub = $1', [sub]),
    );
    expect(stored.rows).toEqual([{ id: userId, email: newer, last_name: 'King' }]);
  });

  it('turns a value the database refuses into invalid_claims, not a 500', async () => {
    const refusing = {
      query: async () => {
        throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
      },
    };
    const error = await syncUser(refusing, {
      cognitoSub: randomUUID(),
      email: uniqueEmail(),
      firstName: null,
      lastName: null,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidClaimsError);
    expect(error).toMatchObject({ code: 'invalid_claims', claim: 'profile' });
  });

  it('keeps names in step with the token on a later sign-in', async () => {
    const sub = randomUUID();
    const email = uniqueEmail();
    const first = await syncUser(pool, { cognitoSub: sub, email, firstName: 'Ada', lastName: null });
    const second = await syncUser(pool, { cognitoSub: sub, email, firstName: 'Ada', lastName: 'King' });
    expect(first).toMatchObject({ created: true, invitationsAccepted: 0 });
    expect(second).toEqual({ userId: first.userId, created: false, invitationsAccepted: 0 });
  });

  it('answers 409 when the e-mail already belongs to another identity', async () => {
    const email = uniqueEmail();
    await fixtures.insertUser(email, randomUUID());
    await expect(
      syncUser(pool, { cognitoSub: randomUUID(), email, firstName: null, lastName: null }),
    ).rejects.toBeInstanceOf(UserSyncConflictError);
    const { app } = buildApp(
      await createTestAuth(files.jwksFile, { sessionStore: createMemorySessionStore(), database: pool }),
    );
    const response = await request(app)
      .get('/me')
      .set('Authorization', bearer(files.issuer.mintIdToken({ sub: randomUUID(), email })));
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'user_sync_conflict' });
  });

  it('answers 503 when the database cannot be reached, never 500 or unauthenticated', async () => {
    const { default: pgModule } = await import('pg');
    const unreachable = new pgModule.Pool({
      connectionString: `postgres://nobody@127.0.0.1:${await freePort()}/none`,
      connectionTimeoutMillis: 1000,
    });
    const { app, unexpectedErrors } = buildApp(
      await createTestAuth(files.jwksFile, {
        sessionStore: createMemorySessionStore(),
        database: unreachable,
      }),
    );
    const response = await request(app)
      .get('/me')
      .set('Authorization', bearer(files.issuer.mintIdToken({ sub: randomUUID(), email: uniqueEmail() })));
    await unreachable.end();
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body).toMatchObject({ code: 'user_directory_unavailable' });
    expect(unexpectedErrors).toEqual([]);
  });

  it('signs in with an access token through a userInfo profile resolver', async () => {
    const sub = randomUUID();
    const email = uniqueEmail();
    const seen: (string | undefined)[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          sub,
          email,
          email_verified: 'true',
          given_name: 'Katherine',
          family_name: 'Johnson',
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { app } = buildApp(
        await createTestAuth(files.jwksFile, {
          sessionStore: createMemorySessionStore(),
          database: pool,
          profileResolver: createUserInfoProfileResolver({
            userInfoUrl: `http://127.0.0.1:${port}/oauth2/userInfo`,
          }),
        }),
      );
      const accessToken = files.issuer.mintAccessToken({ sub, scope: 'openid email profile' });
      const response = await request(app).get('/me').set('Authorization', bearer(accessToken));
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect((response.body as SessionView).user).toMatchObject({
        email,
        firstName: 'Katherine',
        lastName: 'Johnson',
      });
      expect(seen).toEqual([`Bearer ${accessToken}`]);
      expect(await fixtures.usersWithSub(sub)).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});
