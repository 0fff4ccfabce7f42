import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalTokenIssuer } from '@prospectflow/auth-core/local-issuer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, TEST_CLIENT, TEST_USER_POOL, type TestApi } from '../support/app.js';

let api: TestApi;
let server: http.Server;
let valid: string;
let otherValid: string;
let forged: string;

interface Answer {
  status: number;
  contentType: string | undefined;
  challenge: string | undefined;
  body: Record<string, unknown>;
}

/** A raw request whose Authorization headers go on the wire as separate lines, in the order given. */
function getMe(authorization: readonly string[]): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/v1/me', method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          challenge: res.headers['www-authenticate'],
          body: JSON.parse(text) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    if (authorization.length > 0) req.setHeader('Authorization', [...authorization]);
    req.end();
  });
}

beforeAll(async () => {
  api = await startTestApi();
  server = http.createServer(api.service.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  valid = `Bearer ${api.token('first@example.test')}`;
  otherValid = `Bearer ${api.token('second@example.test')}`;
  // Same user pool and claims shape, signed with a key the API does not know.
  const attacker = LocalTokenIssuer.create({
    environment: 'test',
    userPoolId: TEST_USER_POOL,
    clientId: TEST_CLIENT,
  });
  forged = `Bearer ${attacker.mintIdToken({ sub: 'sub-first@example.test', email: 'victim@example.test' })}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await api.close();
});

describe('a request with more than one Authorization header is refused', () => {
  it('accepts each valid header alone (control)', async () => {
    const first = await getMe([valid]);
    expect(first.status).toBe(200);
    expect(first.body['user']).toMatchObject({ email: 'first@example.test' });
    expect((await getMe([otherValid])).status).toBe(200);
    expect((await getMe([forged])).status).toBe(401);
  });

  it.each([
    ['valid then forged', () => [valid, forged]],
    ['forged then valid', () => [forged, valid]],
    ['two valid tokens of different users', () => [valid, otherValid]],
    ['the same valid token twice', () => [valid, valid]],
    ['valid then empty', () => [valid, '']],
  ])('%s → 400 duplicate_authorization', async (_name, headers) => {
    const answer = await getMe(headers());
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.challenge).toMatch(/^Bearer error="invalid_request"/);
    expect(answer.body).toMatchObject({ status: 400, code: 'duplicate_authorization' });
    expect(answer.body['user']).toBeUndefined();
  });
});
