import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, harnessEnv, type TestDatabase } from '@prospectflow/test-harness';
import type { AuthProblem } from '../src/types.js';
import { LocalTokenIssuer } from '../src/local-issuer.js';
import {
  appPool,
  buildApp,
  captureLogs,
  CLIENT_ID,
  connectRedis,
  createIssuer,
  createTestAuth,
  deleteKeys,
  redisStore,
  rsaKey,
  uniqueEmail,
  uniquePrefix,
  USER_POOL_ID,
  type IssuerFiles,
} from './support.js';

// Every way a bearer token can be wrong, against the real middleware chain: each must be a 401 naming its
// reason, never a 500, and neither the token nor its claims may appear in the answer or the logs.

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let db: TestDatabase;
let pool: pg.Pool;
let redis: Redis;
let prefix: string;
let files: IssuerFiles;
let app: Express;
let unexpectedErrors: unknown[];
const logs = captureLogs();
const signingKey = rsaKey();
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  db = await createTestDatabase();
  pool = appPool(db.appUrl);
  redis = (await connectRedis(harnessEnv().redisUrl)) as Redis;
  prefix = uniquePrefix('jwt-attacks');
  files = await createIssuer({ privateKey: signingKey });
  const auth = await createTestAuth(files.jwksFile, {
    sessionStore: redisStore(redis, prefix),
    database: pool,
    logger: logs.logger,
    // ID tokens only here, so an access token is a wrong token use.
    userPools: [
      {
        userPoolId: USER_POOL_ID,
        clientId: CLIENT_ID,
        tokenUse: 'id',
        groups: null,
        jwksFile: files.jwksFile,
      },
    ],
  });
  ({ app, unexpectedErrors } = buildApp(auth));
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await pool.end();
  await files.cleanup();
  await db.drop();
});

function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = now();
  return {
    sub: randomUUID(),
    iss: files.issuer.issuer,
    aud: CLIENT_ID,
    token_use: 'id',
    auth_time: iat,
    iat,
    exp: iat + 3600,
    jti: randomUUID(),
    origin_jti: randomUUID(),
    email: uniqueEmail(),
    email_verified: true,
    ...overrides,
  };
}

interface Attack {
  name: string;
  authorization: () => string | undefined;
  code: AuthProblem['code'];
  /** Expected WWW-Authenticate: RFC 6750 gives no error code when no Bearer credentials were sent. */
  challenge: 'bare' | 'invalid_token';
}

const attacks: Attack[] = [
  {
    name: 'alg none without a signature',
    authorization: () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(validClaims())}.`,
    code: 'malformed_token',
    challenge: 'invalid_token',
  },
  {
    name: 'alg none with the kid of the real key',
    authorization: () => `Bearer ${b64({ alg: 'none', kid: files.issuer.kid })}.${b64(validClaims())}.AAAA`,
    code: 'unsupported_algorithm',
    challenge: 'invalid_token',
  },
  {
    name: 'HS256 signed with the public key as HMAC secret',
    authorization: () => {
      const input = `${b64({ alg: 'HS256', kid: files.issuer.kid })}.${b64(validClaims())}`;
      const publicPem = createPublicKey(signingKey).export({ format: 'pem', type: 'spki' });
      return `Bearer ${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
    },
    code: 'unsupported_algorithm',
    challenge: 'invalid_token',
  },
  {
    name: 'expired',
    authorization: () =>
      `Bearer ${files.issuer.sign(validClaims({ iat: now() - 7200, auth_time: now() - 7200, exp: now() - 3600 }))}`,
    code: 'token_expired',
    challenge: 'invalid_token',
  },
  {
    name: 'issued in the future',
    authorization: () => `Bearer ${files.issuer.sign(validClaims({ iat: now() + 600, exp: now() + 4200 }))}`,
    code: 'token_not_yet_valid',
    challenge: 'invalid_token',
  },
  {
    name: 'nbf in the future',
    authorization: () => `Bearer ${files.issuer.sign(validClaims({ nbf: now() + 600 }))}`,
    code: 'token_not_yet_valid',
    challenge: 'invalid_token',
  },
  {
    name: 'another user pool',
    authorization: () => {
      const other = LocalTokenIssuer.create({
        environment: 'test',
        userPoolId: 'eu-west-3_OtherPool9',
        clientId: CLIENT_ID,
        privateKey: signingKey,
      });
      return `Bearer ${other.mintIdToken({ sub: randomUUID(), email: uniqueEmail() })}`;
    },
    code: 'invalid_issuer',
    challenge: 'invalid_token',
  },
  {
    name: 'a look-alike issuer host',
    authorization: () =>
      `Bearer ${files.issuer.sign(validClaims({ iss: `https://cognito-idp.eu-west-3.amazonaws.com.evil.example/${USER_POOL_ID}` }))}`,
    code: 'invalid_issuer',
    challenge: 'invalid_token',
  },
  {
    name: 'no issuer',
    authorization: () => `Bearer ${files.issuer.sign(validClaims({ iss: undefined }))}`,
    code: 'invalid_issuer',
    challenge: 'invalid_token',
  },
  {
    name: 'another app client',
    authorization: () => `Bearer ${files.issuer.sign(validClaims({ aud: 'someone-elses-client' }))}`,
    code: 'invalid_client',
    challenge: 'invalid_token',
  },
  {
    name: 'an access token where ID tokens are required',
    authorization: () => `Bearer ${files.issuer.mintAccessToken({ sub: randomUUID() })}`,
    code: 'invalid_token_use',
    challenge: 'invalid_token',
  },
  {
    name: 'token_use refresh',
    authorization: () => `Bearer ${files.issuer.sign(validClaims({ token_use: 'refresh' }))}`,
    code: 'invalid_token_use',
    challenge: 'invalid_token',
  },
  {
    name: 'an unknown kid',
    authorization: () => `Bearer ${files.issuer.sign(validClaims(), { kid: 'not-a-known-key' })}`,
    code: 'unknown_key',
    challenge: 'invalid_token',
  },
  {
    name: 'no kid',
    authorization: () => `Bearer ${files.issuer.sign(validClaims(), { kid: undefined })}`,
    code: 'unknown_key',
    challenge: 'invalid_token',
  },
  {
    name: "another key claiming the real key's kid",
    authorization: () => {
      const forger = LocalTokenIssuer.create({
        environment: 'test',
        userPoolId: USER_POOL_ID,
        clientId: CLIENT_ID,
      });
      return `Bearer ${forger.sign(validClaims(), { kid: files.issuer.kid })}`;
    },
    code: 'invalid_signature',
    challenge: 'invalid_token',
  },
  {
    name: 'a tampered payload',
    authorization: () => {
      const [header, , signature] = files.issuer.sign(validClaims()).split('.');
      return `Bearer ${header}.${b64(validClaims({ sub: 'admin' }))}.${signature}`;
    },
    code: 'invalid_signature',
    challenge: 'invalid_token',
  },
  {
    name: 'a tampered signature',
    authorization: () => {
      const token = files.issuer.sign(validClaims());
      const cut = token.lastIndexOf('.') + 20;
      const flipped = token[cut] === 'A' ? 'B' : 'A';
      return `Bearer ${token.slice(0, cut)}${flipped}${token.slice(cut + 1)}`;
    },
    code: 'invalid_signature',
    challenge: 'invalid_token',
  },
  {
    name: 'a truncated token',
    authorization: () => {
      const token = files.issuer.sign(validClaims());
      return `Bearer ${token.slice(0, Math.floor(token.length / 2))}`;
    },
    code: 'malformed_token',
    challenge: 'invalid_token',
  },
  {
    name: 'a truncated signature',
    authorization: () => `Bearer ${files.issuer.sign(validClaims()).slice(0, -40)}`,
    code: 'invalid_signature',
    challenge: 'invalid_token',
  },
  {
    name: 'no expiry',
    authorization: () => `Bearer ${files.issuer.sign(validClaims({ exp: undefined }))}`,
    code: 'invalid_claims',
    challenge: 'invalid_token',
  },
  {
    name: 'no subject',
    authorization: () => `Bearer ${files.issuer.sign(validClaims({ sub: undefined }))}`,
    code: 'invalid_claims',
    challenge: 'invalid_token',
  },
  {
    name: 'an oversized header',
    authorization: () => `Bearer ${'a'.repeat(10_000)}`,
    code: 'token_too_large',
    challenge: 'invalid_token',
  },
  {
    name: 'garbage',
    authorization: () => 'Bearer not-a-jwt',
    code: 'malformed_token',
    challenge: 'invalid_token',
  },
  {
    name: 'three segments of garbage',
    authorization: () => 'Bearer e30.bm90IGpzb24.c2ln',
    code: 'malformed_token',
    challenge: 'invalid_token',
  },
  {
    name: 'two tokens',
    authorization: () => `Bearer ${files.issuer.sign(validClaims())} ${files.issuer.sign(validClaims())}`,
    code: 'malformed_token',
    challenge: 'invalid_token',
  },
  {
    name: 'Bearer without a token',
    authorization: () => 'Bearer ',
    code: 'malformed_token',
    challenge: 'invalid_token',
  },
  {
    name: 'no Authorization header',
    authorization: () => undefined,
    code: 'missing_token',
    challenge: 'bare',
  },
  {
    name: 'the Basic scheme',
    authorization: () => `Basic ${Buffer.from('admin:secret').toString('base64')}`,
    code: 'unsupported_scheme',
    challenge: 'bare',
  },
  {
    name: 'a valid token sent with the Basic scheme',
    authorization: () => `Basic ${files.issuer.sign(validClaims())}`,
    code: 'unsupported_scheme',
    challenge: 'bare',
  },
];

describe('JWT attack battery', () => {
  it('accepts a genuine ID token (control)', async () => {
    const response = await request(app)
      .get('/me')
      .set('Authorization', `Bearer ${files.issuer.sign(validClaims())}`);
    expect(response.status).toBe(200);
  });

  it.each(attacks)('refuses $name with 401 $code', async (attack) => {
    const authorization = attack.authorization();
    const call = request(app).get('/me');
    if (authorization !== undefined) call.set('Authorization', authorization);
    const response = await call;

    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = response.body as AuthProblem;
    expect(body).toMatchObject({ status: 401, code: attack.code, instance: '/me' });
    expect(body.type).toBe(`https://prospectflow.dev/problems/${attack.code}`);
    expect(body.title).toEqual(expect.any(String));
    expect(body.detail).toEqual(expect.any(String));
    expect(body.requestId).toBe(response.headers['x-request-id']);
    expect(response.headers['www-authenticate']).toEqual(
      attack.challenge === 'bare'
        ? 'Bearer'
        : expect.stringMatching(/^Bearer error="invalid_token", error_description="[^"]+"$/),
    );

    // Neither the token nor any part of it, nor a claim, in the answer or the logs.
    const secrets = (authorization ?? '')
      .replace(/^\S+\s*/, '')
      .split(/[.\s]/)
      .filter((part) => part.length >= 16);
    const claims = secrets.flatMap((part) => {
      try {
        const decoded = JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
        return Object.values(decoded).filter(
          (value): value is string => typeof value === 'string' && value.length >= 8,
        );
      } catch {
        return [];
      }
    });
    const exposed = `${response.text}\n${JSON.stringify(response.headers)}\n${logs.text()}`;
    for (const secret of [...secrets, ...claims]) expect(exposed).not.toContain(secret);
    expect(unexpectedErrors).toEqual([]);
  });

  it('logged every refusal with its reason and request id, never a token', () => {
    const refusals = logs.events('auth_refused');
    expect(refusals.length).toBe(attacks.length);
    expect(new Set(refusals.map((entry) => entry['code']))).toEqual(
      new Set(attacks.map((attack) => attack.code)),
    );
    for (const entry of refusals) {
      expect(entry['requestId']).toEqual(expect.any(String));
      expect(Object.keys(entry)).not.toContain('authorization');
    }
  });
});
