import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthConfigurationError } from './error.js';
import { LocalTokenIssuer } from './local-issuer.js';

const decode = (token: string) =>
  token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('LocalTokenIssuer', () => {
  const issuer = LocalTokenIssuer.create({
    environment: 'test',
    userPoolId: 'eu-west-3_Local1',
    clientId: 'client-1',
  });

  it('refuses to exist in production', () => {
    expect(() =>
      LocalTokenIssuer.create({ environment: 'production', userPoolId: 'eu-west-3_Local1', clientId: 'c' }),
    ).toThrow(AuthConfigurationError);
  });

  it('refuses a user pool id that Cognito would not issue', () => {
    expect(() =>
      LocalTokenIssuer.create({ environment: 'test', userPoolId: 'local', clientId: 'c' }),
    ).toThrow(/userPoolId/);
  });

  it('mints ID tokens shaped like Cognito', () => {
    const [header, claims] = decode(
      issuer.mintIdToken({ sub: 's-1', email: 'a@example.test', givenName: 'Ada', groups: ['admins'] }),
    );
    expect(header).toEqual({ kid: issuer.kid, alg: 'RS256' });
    expect(claims).toMatchObject({
      sub: 's-1',
      iss: 'https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_Local1',
      aud: 'client-1',
      token_use: 'id',
      'cognito:username': 's-1',
      'cognito:groups': ['admins'],
      email: 'a@example.test',
      email_verified: true,
      given_name: 'Ada',
    });
    expect(claims?.['exp']).toBe((claims?.['iat'] as number) + 3600);
    for (const claim of ['jti', 'origin_jti', 'event_id', 'auth_time']) expect(claims).toHaveProperty(claim);
  });

  it('mints access tokens without e-mail, with client_id and scope', () => {
    const [, claims] = decode(
      issuer.mintAccessToken({ sub: 's-1', email: 'ignored@example.test', originJti: 'o-1' }),
    );
    expect(claims).toMatchObject({
      token_use: 'access',
      client_id: 'client-1',
      scope: 'aws.cognito.signin.user.admin',
    });
    expect(claims).toMatchObject({ origin_jti: 'o-1', username: 's-1' });
    expect(claims).not.toHaveProperty('email');
    expect(claims).not.toHaveProperty('aud');
  });

  it('publishes a JWKS with the public key only', () => {
    const [key] = issuer.jwks().keys;
    expect(key).toMatchObject({ kty: 'RSA', kid: issuer.kid, alg: 'RS256', use: 'sig' });
    expect(Object.keys(key ?? {}).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('keeps its key in a private key file across restarts', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'local-issuer-'));
    dirs.push(dir);
    const keyFile = path.join(dir, 'keys', 'signing-key.json');
    const options = { environment: 'development' as const, userPoolId: 'eu-west-3_Local1', clientId: 'c' };
    const first = await LocalTokenIssuer.fromKeyFile(keyFile, options);
    const second = await LocalTokenIssuer.fromKeyFile(keyFile, options);
    expect(second.kid).toBe(first.kid);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    await first.writeJwksFile(path.join(dir, 'jwks.json'));
    expect(JSON.parse(await readFile(path.join(dir, 'jwks.json'), 'utf8'))).toEqual(first.jwks());
  });
});
