import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenExpiredError, TokenRevokedError, UnknownSigningKeyError } from '../src/error.js';
import { LocalTokenIssuer } from '../src/local-issuer.js';
import { createTokenVerifier, type VerifiedToken } from '../src/token-verifier.js';
import { VerifiedTokenCache } from '../src/verified-token-cache.js';
import { CLIENT_ID, rsaKey, USER_POOL_ID } from './support.js';

// Verified claims are remembered per exact token until exp, in a bounded LRU cleared when keys are loaded; the
// deny-list is read on every verify(). Real RS256 tokens of the local issuer; remote keys come from an
// in-memory fetcher, never the network.

const claims = (expiresAt: number): VerifiedToken => ({
  sessionId: 'session-1',
  sub: 'sub-1',
  tokenUse: 'id',
  issuer: 'https://issuer.example',
  userPoolId: USER_POOL_ID,
  clientId: CLIENT_ID,
  username: null,
  groups: [],
  scopes: [],
  issuedAt: expiresAt - 3600,
  expiresAt,
  authTime: expiresAt - 3600,
  email: 'ada@example.test',
  emailVerified: true,
  givenName: null,
  familyName: null,
});

describe('VerifiedTokenCache', () => {
  it('keeps the most recently used tokens up to its size', () => {
    const cache = new VerifiedTokenCache(2, () => 0);
    cache.set('a', claims(100));
    cache.set('b', claims(100));
    expect(cache.get('a')).toBeDefined();
    cache.set('c', claims(100));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size).toBe(2);
  });

  it('answers for the exact token only, and forgets it at exp', () => {
    let now = 0;
    const cache = new VerifiedTokenCache(10, () => now);
    cache.set('token', claims(60));
    expect(cache.get('token ')).toBeUndefined();
    expect(cache.get('token')?.sub).toBe('sub-1');
    now = 60_000;
    expect(cache.get('token')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('stores nothing when off or already expired, hands out frozen claims, and clears', () => {
    const off = new VerifiedTokenCache(0, () => 0);
    off.set('token', claims(60));
    expect(off.get('token')).toBeUndefined();
    const cache = new VerifiedTokenCache(10, () => 120_000);
    cache.set('late', claims(60));
    expect(cache.size).toBe(0);
    const fresh = new VerifiedTokenCache(10, () => 0);
    fresh.set('token', claims(60));
    const hit = fresh.get('token');
    expect(Object.isFrozen(hit)).toBe(true);
    expect(Object.isFrozen(hit?.groups)).toBe(true);
    fresh.clear();
    expect(fresh.get('token')).toBeUndefined();
  });
});

describe('token verifier with remembered tokens', () => {
  let dir: string;
  let issuer: LocalTokenIssuer;
  let jwksFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pf-token-cache-'));
    issuer = LocalTokenIssuer.create({ environment: 'test', userPoolId: USER_POOL_ID, clientId: CLIENT_ID });
    jwksFile = path.join(dir, 'jwks.json');
    await issuer.writeJwksFile(jwksFile);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  afterEach(() => vi.useRealTimers());

  const pool = { userPoolId: USER_POOL_ID, clientId: CLIENT_ID, tokenUse: null, groups: null } as const;
  const mint = (from: LocalTokenIssuer, options: { expiresInSeconds?: number } = {}) =>
    from.mintIdToken({ sub: 'sub-cache', email: 'cache@example.test', ...options });

  it('reads the deny-list on every verify, for a remembered token too', async () => {
    const revoked = new Set<string>();
    const isRevoked = vi.fn(async (sessionId: string) => revoked.has(sessionId));
    const verifier = createTokenVerifier({ userPools: [{ ...pool, jwksFile }], graceSeconds: 0, isRevoked });
    await verifier.hydrate();
    const token = mint(issuer);
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first);
    expect(isRevoked).toHaveBeenCalledTimes(2);
    revoked.add(first.sessionId);
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(TokenRevokedError);
    // verifyClaims is verify without the deny-list: its caller reads the deny-list with the session.
    await expect(verifier.verifyClaims(token)).resolves.toBe(first);
  });

  it('refuses a remembered token once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const verifier = createTokenVerifier({
      userPools: [{ ...pool, jwksFile }],
      graceSeconds: 0,
      isRevoked: async () => false,
    });
    await verifier.hydrate();
    const token = mint(issuer, { expiresInSeconds: 60 });
    await verifier.verify(token);
    vi.setSystemTime(Date.now() + 61_000);
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(TokenExpiredError);
  });

  it('forgets every token when the keys are fetched again, so a key dropped from the JWKS stops working', async () => {
    const rotated = LocalTokenIssuer.create({
      environment: 'test',
      userPoolId: USER_POOL_ID,
      clientId: CLIENT_ID,
      privateKey: rsaKey(),
    });
    let served = issuer.jwks();
    const fetches: string[] = [];
    const verifier = createTokenVerifier({
      userPools: [pool],
      graceSeconds: 0,
      isRevoked: async () => false,
      jwksFetcher: {
        fetch: async (uri) => {
          fetches.push(uri);
          return new TextEncoder().encode(JSON.stringify(served)).buffer as ArrayBuffer;
        },
      },
    });
    await verifier.hydrate();
    const old = mint(issuer);
    await verifier.verify(old);
    await verifier.verify(old);
    expect(fetches).toHaveLength(1);

    // The pool rotates: the old key leaves the JWKS. A token of the new key makes the verifier fetch again.
    served = rotated.jwks();
    await verifier.verify(mint(rotated));
    expect(fetches).toHaveLength(2);
    await expect(verifier.verify(old)).rejects.toBeInstanceOf(UnknownSigningKeyError);
  });
});
