import { randomUUID } from 'node:crypto';
import type { MintOptions } from '@prospectflow/auth-core/local-issuer';
import { withAdmin } from '@prospectflow/test-harness';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';

// Correctly signed ID tokens whose profile claims the database cannot store as they are (ADR 0031): names are
// cleaned, a subject or e-mail that cannot be stored exactly is a 401 invalid_claims naming the claim. Never a
// 500, and a refused token leaves no user behind.

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

interface StoredUser {
  email: string;
  first_name: string | null;
  last_name: string | null;
}

async function usersWithSub(sub: string): Promise<StoredUser[]> {
  return withAdmin(api.db.adminUrl, async (admin) => {
    const { rows } = await admin.query<StoredUser>(
      // By the trailing uuid: a subject with a NUL cannot even be a query parameter.
      "SELECT email::text AS email, first_name, last_name FROM iam.users WHERE cognito_sub LIKE '%' || $1",
      [sub.slice(-36)],
    );
    return rows;
  });
}

function firstRequest(claims: Omit<MintOptions, 'sub'> & { sub?: string }) {
  const token = api.issuer.mintIdToken({
    sub: randomUUID(),
    email: `${randomUUID()}@example.test`,
    ...claims,
  });
  return request(api.service.app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);
}

describe('profile claims the database cannot store as they are', () => {
  it('strips NUL and control characters from names, and stores and shows the cleaned names', async () => {
    const sub = randomUUID();
    const res = await firstRequest({
      sub,
      givenName: 'Ada\u0000 Lovelace\u0007',
      familyName: '\tKing\u0000',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toMatchObject({ firstName: 'Ada Lovelace', lastName: 'King' });
    expect(await usersWithSub(sub)).toEqual([
      expect.objectContaining({ first_name: 'Ada Lovelace', last_name: 'King' }),
    ]);
  });

  it('cuts a name to 200 code points without splitting a character, and makes a blank name null', async () => {
    const sub = randomUUID();
    const res = await firstRequest({ sub, givenName: '\u0000 \u0001', familyName: '😀'.repeat(300) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await usersWithSub(sub)).toEqual([
      expect.objectContaining({ first_name: null, last_name: '😀'.repeat(200) }),
    ]);
  });

  it.each([
    { case: 'a given_name with a lone surrogate', claims: { givenName: 'Ada \ud800' }, claim: 'given_name' },
    {
      case: 'a family_name with a lone surrogate',
      claims: { familyName: '\udc00King' },
      claim: 'family_name',
    },
    {
      case: 'an e-mail of 326 characters',
      // 313 + 13 = 326 characters.
      claims: { email: `${'a'.repeat(313)}@example.test` },
      claim: 'email',
    },
    { case: 'an e-mail with a NUL', claims: { email: 'ada\u0000@example.test' }, claim: 'email' },
    { case: 'an e-mail with a lone surrogate', claims: { email: 'ada\ud800@example.test' }, claim: 'email' },
    { case: 'an e-mail that is no address', claims: { email: 'ada at example' }, claim: 'email' },
    { case: 'a subject with a NUL', claims: { sub: `sub\u0000${randomUUID()}` }, claim: 'sub' },
  ])('refuses $case: 401 invalid_claims naming $claim, no user created', async ({ claims, claim }) => {
    const sub = ('sub' in claims ? claims.sub : undefined) ?? randomUUID();
    const res = await firstRequest({ ...claims, sub });
    expect(res.status, JSON.stringify(res.body)).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    expect(res.body).toMatchObject({ status: 401, code: 'invalid_claims' });
    expect(res.body.detail).toContain(`token's ${claim} claim cannot be used`);
    expect(await usersWithSub(sub)).toEqual([]);
  });
});
