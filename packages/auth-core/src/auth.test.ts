import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, requireRole, type AuthOptions } from './auth.js';
import {
  AuthConfigurationError,
  InvalidClientError,
  InvalidIssuerError,
  JwksUnavailableError,
  MissingGroupError,
  TokenExpiredError,
  TokenRevokedError,
  TokenTooLargeError,
  UnknownSigningKeyError,
} from './error.js';
import { LocalTokenIssuer } from './local-issuer.js';
import { createMemorySessionStore } from './memory-session-store.js';
import type { Role } from './types.js';
import type { SqlExecutor } from './user-sync.js';

const noDatabase: SqlExecutor = {
  query: () => Promise.reject(new Error('these tests never reach the database')),
};

let dir: string;
const pools = {
  staff: LocalTokenIssuer.create({
    environment: 'test',
    userPoolId: 'eu-west-3_Staff1',
    clientId: 'staff-app',
  }),
  customers: LocalTokenIssuer.create({
    environment: 'test',
    userPoolId: 'eu-west-1_Customers2',
    clientId: 'web',
  }),
};
const jwksFiles: Record<keyof typeof pools, string> = { staff: '', customers: '' };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'auth-unit-'));
  for (const name of Object.keys(pools) as (keyof typeof pools)[]) {
    jwksFiles[name] = path.join(dir, `${name}.json`);
    await pools[name].writeJwksFile(jwksFiles[name]);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(overrides: Partial<AuthOptions> = {}): AuthOptions {
  return {
    environment: 'test',
    userPools: [
      {
        userPoolId: 'eu-west-3_Staff1',
        clientId: 'staff-app',
        tokenUse: null,
        groups: ['staff'],
        jwksFile: jwksFiles.staff,
      },
      {
        userPoolId: 'eu-west-1_Customers2',
        clientId: ['web', 'mobile'],
        tokenUse: 'id',
        groups: null,
        jwksFile: jwksFiles.customers,
      },
    ],
    sessionStore: createMemorySessionStore(),
    idleTimeoutSeconds: 1800,
    absoluteLifetimeSeconds: 43_200,
    database: noDatabase,
    profileResolver: null,
    logger: null,
    ...overrides,
  };
}

describe('createAuth options', () => {
  it('lists every problem at once', () => {
    const bad = {
      environment: 'staging',
      userPools: [{ userPoolId: 'not-a-pool', tokenUse: 'refresh' }],
      graceSeconds: 3600,
      sessionStore: {},
      absoluteLifetimeSeconds: 10,
      database: {},
    } as unknown as AuthOptions;
    try {
      createAuth(bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AuthConfigurationError);
      const problems = (error as AuthConfigurationError).problems.join('\n');
      for (const expected of [
        'environment',
        'userPools[0].userPoolId',
        'userPools[0].clientId must be given, or null on purpose',
        'userPools[0].groups must be given, or null on purpose',
        'userPools[0].tokenUse',
        'graceSeconds',
        'sessionStore',
        'idleTimeoutSeconds must be given, or null on purpose',
        'absoluteLifetimeSeconds',
        'database',
        'profileResolver must be given, or null on purpose',
        'logger must be given, or null on purpose',
      ]) {
        expect(problems).toContain(expected);
      }
    }
  });

  it('refuses the in-process session store and JWKS files in production', () => {
    expect(() => createAuth(options({ environment: 'production' }))).toThrow(
      /jwksFile is refused in production[\s\S]*in-process store is refused in production/,
    );
  });

  it('accepts null on purpose for client, token use and groups', () => {
    const pool = { userPoolId: 'eu-west-3_Staff1', clientId: null, tokenUse: null, groups: null };
    expect(() => createAuth(options({ userPools: [pool] }))).not.toThrow();
  });

  it('refuses an unknown role in a guard', () => {
    expect(() => requireRole('superuser' as Role)).toThrow(AuthConfigurationError);
  });
});

describe('verifyToken', () => {
  it('is not ready, and refuses with 503-class errors, until the keys are loaded', async () => {
    const auth = createAuth(options());
    expect(auth.jwksReady()).toBe(false);
    const token = pools.customers.mintIdToken({ sub: 'c-1', email: 'c@example.test' });
    await expect(auth.verifyToken(token)).rejects.toBeInstanceOf(JwksUnavailableError);
    await auth.hydrate();
    expect(auth.jwksReady()).toBe(true);
    await expect(auth.verifyToken(token)).resolves.toMatchObject({
      userPoolId: 'eu-west-1_Customers2',
      sub: 'c-1',
    });
  });

  it('applies each user pool its own client, token use and group rules', async () => {
    const auth = createAuth(options());
    await auth.hydrate();
    const staff = pools.staff.mintAccessToken({ sub: 's-1', groups: ['staff'] });
    await expect(auth.verifyToken(staff)).resolves.toMatchObject({
      tokenUse: 'access',
      groups: ['staff'],
      scopes: ['aws.cognito.signin.user.admin'],
    });
    await expect(
      auth.verifyToken(pools.staff.mintIdToken({ sub: 's-2', groups: ['sales'] })),
    ).rejects.toBeInstanceOf(MissingGroupError);
    const mobile = LocalTokenIssuer.create({
      environment: 'test',
      userPoolId: 'eu-west-1_Customers2',
      clientId: 'mobile',
    });
    // Same pool id, another key: refused on signature before the client is looked at.
    await expect(auth.verifyToken(mobile.mintIdToken({ sub: 'm' }))).rejects.toThrow();
    await expect(
      auth.verifyToken(pools.customers.sign({ ...claims(pools.customers), aud: 'desktop' })),
    ).rejects.toBeInstanceOf(InvalidClientError);
    // One pool's key cannot sign for another configured pool: the kid is not in that pool's JWKS.
    await expect(
      auth.verifyToken(pools.customers.sign({ ...claims(pools.customers), iss: pools.staff.issuer })),
    ).rejects.toBeInstanceOf(UnknownSigningKeyError);
    await expect(
      auth.verifyToken(
        pools.customers.sign({ ...claims(pools.customers), iss: `${pools.customers.issuer}/` }),
      ),
    ).rejects.toBeInstanceOf(InvalidIssuerError);
  });

  it('tolerates clock skew within graceSeconds only', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expiredJustNow = pools.customers.mintIdToken({
      sub: 'c',
      issuedAt: now - 3630,
      expiresInSeconds: 3600,
    });
    const strict = createAuth(options());
    const lenient = createAuth(options({ graceSeconds: 60 }));
    await Promise.all([strict.hydrate(), lenient.hydrate()]);
    await expect(strict.verifyToken(expiredJustNow)).rejects.toBeInstanceOf(TokenExpiredError);
    await expect(lenient.verifyToken(expiredJustNow)).resolves.toMatchObject({ sub: 'c' });
  });

  it('checks the deny-list as part of verification', async () => {
    const store = createMemorySessionStore();
    const auth = createAuth(options({ sessionStore: store }));
    await auth.hydrate();
    await store.revoke('o-9', 60_000);
    const token = pools.customers.mintIdToken({ sub: 'c', originJti: 'o-9' });
    await expect(auth.verifyToken(token)).rejects.toBeInstanceOf(TokenRevokedError);
  });

  it('refuses an oversized token before parsing it', async () => {
    const auth = createAuth(options({ maxTokenLength: 1024 }));
    await expect(auth.verifyToken('a'.repeat(2000))).rejects.toBeInstanceOf(TokenTooLargeError);
  });
});

function claims(issuer: LocalTokenIssuer): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: 'c-2',
    iss: issuer.issuer,
    aud: issuer.clientId,
    token_use: 'id',
    iat: now,
    auth_time: now,
    exp: now + 600,
    jti: 'j-1',
  };
}
