import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessEnv } from '@prospectflow/test-harness';
import {
  AuthConfigurationError,
  createMemorySessionStore,
  createRedisSessionStore,
  type RedisClient,
  type SessionRecord,
  type SessionStore,
} from '../src/index.js';
import { connectRedis, deleteKeys, uniquePrefix } from './support.js';

// One contract, two implementations: the in-process store must behave like the Redis one it stands in for.

let redis: RedisClient;
const prefix = uniquePrefix('session-store');

beforeAll(async () => {
  redis = await connectRedis(harnessEnv().redisUrl);
});
afterAll(async () => {
  await deleteKeys(redis as Redis, prefix);
  redis.disconnect();
});

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: randomUUID(),
    userPoolId: 'eu-west-3_TestPool1',
    cognitoSub: randomUUID(),
    userId: randomUUID(),
    email: 'someone@example.test',
    firstName: null,
    lastName: null,
    memberships: [],
    createdAt: now,
    authenticatedAt: now,
    expiresAt: now + 60_000,
    refreshedAt: now,
    ...overrides,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const implementations: [string, () => SessionStore][] = [
  ['in-process', () => createMemorySessionStore()],
  ['Redis', () => createRedisSessionStore({ client: redis, keyPrefix: `${prefix}${randomUUID()}:` })],
];

describe.each(implementations)('%s session store', (_name, makeStore) => {
  it('creates a session once: the first writer wins', async () => {
    const store = makeStore();
    const first = record();
    const now = Date.now();
    expect(await store.create(first, now)).toBe(true);
    expect(await store.create({ ...first, email: 'other@example.test' }, now)).toBe(false);
    const read = await store.read(first.id, now + 1, 60_000);
    expect(read).toEqual({
      idle: false,
      entry: {
        record: first,
        activeOrganisationId: null,
        lastSeenAt: now,
        staleVersion: 0,
        syncedVersion: 0,
      },
    });
    expect(await store.read(randomUUID(), now, 60_000)).toBeNull();
  });

  it('slides the idle deadline, and reports an idle session without reviving it', async () => {
    const store = makeStore();
    const session = record();
    const now = Date.now();
    await store.create(session, now);
    expect((await store.read(session.id, now + 900, 1000))?.idle).toBe(false);
    expect((await store.read(session.id, now + 1800, 1000))?.idle).toBe(false);
    const idle = await store.read(session.id, now + 2900, 1000);
    expect(idle?.idle).toBe(true);
    expect(idle?.entry.lastSeenAt).toBe(now + 1800);
    expect((await store.read(session.id, now + 2901, 1000))?.idle).toBe(true);
    expect((await store.read(session.id, now + 2902, null))?.idle).toBe(false);
  });

  it('refreshes a record only if it was not invalidated since it was read', async () => {
    const store = makeStore();
    const session = record();
    await store.create(session, Date.now());
    expect(await store.markUserSessionsStale(session.userId)).toBe(1);
    const stale = (await store.read(session.id, Date.now(), null))?.entry;
    expect(stale).toMatchObject({ staleVersion: 1, syncedVersion: 0 });

    await store.markStale(session.id);
    expect(await store.refresh({ ...session, email: 'late@example.test' }, 1)).toBe(false);
    expect(await store.refresh({ ...session, email: 'fresh@example.test' }, 2)).toBe(true);
    const fresh = (await store.read(session.id, Date.now(), null))?.entry;
    expect(fresh).toMatchObject({
      staleVersion: 2,
      syncedVersion: 2,
      record: { email: 'fresh@example.test' },
    });
    expect(await store.refresh(record(), 0)).toBe(false);
  });

  it('bumps the user generation and marks every session of the user', async () => {
    const store = makeStore();
    const userId = randomUUID();
    const sessions = [record({ userId }), record({ userId }), record()];
    for (const session of sessions) await store.create(session, Date.now());
    expect(await store.userGeneration(userId)).toBe(0);
    expect(await store.markUserSessionsStale(userId)).toBe(2);
    expect(await store.userGeneration(userId)).toBe(1);
    const versions = await Promise.all(sessions.map((s) => store.read(s.id, Date.now(), null)));
    expect(versions.map((v) => v?.entry.staleVersion)).toEqual([1, 1, 0]);
  });

  it('sets the active organisation of a live session only', async () => {
    const store = makeStore();
    const session = record();
    await store.create(session, Date.now());
    const organisationId = randomUUID();
    expect(await store.setActiveOrganisation(session.id, organisationId)).toBe(true);
    expect((await store.read(session.id, Date.now(), null))?.entry.activeOrganisationId).toBe(organisationId);
    expect(await store.setActiveOrganisation(session.id, null)).toBe(true);
    expect((await store.read(session.id, Date.now(), null))?.entry.activeOrganisationId).toBeNull();
    expect(await store.setActiveOrganisation(randomUUID(), organisationId)).toBe(false);
  });

  it('deletes a session, which invalidation then no longer counts', async () => {
    const store = makeStore();
    const session = record();
    await store.create(session, Date.now());
    await store.delete(session.id, session.userId);
    expect(await store.read(session.id, Date.now(), null)).toBeNull();
    expect(await store.markUserSessionsStale(session.userId)).toBe(0);
    expect(await store.markStale(session.id)).toBe(false);
  });

  it('expires a session at its absolute end and a deny-list entry at its TTL', async () => {
    const store = makeStore();
    const session = record({ expiresAt: Date.now() + 150 });
    await store.create(session, Date.now());
    await store.revoke(session.id, 150);
    expect(await store.isRevoked(session.id)).toBe(true);
    expect(await store.isRevoked(randomUUID())).toBe(false);
    await sleep(250);
    expect(await store.read(session.id, Date.now(), null)).toBeNull();
    expect(await store.isRevoked(session.id)).toBe(false);
  });

  it('looks a session up with the deny-list: read like read(), or refused untouched once revoked', async () => {
    const store = makeStore();
    const session = record();
    const now = Date.now();
    expect(await store.lookup(session.id, now, 1000)).toEqual({ revoked: false, session: null });
    await store.create(session, now);
    const found = await store.lookup(session.id, now + 900, 1000);
    expect(found.revoked).toBe(false);
    expect(found.revoked === false && found.session?.entry.record.email).toBe(session.email);
    await store.revoke(session.id, 60_000);
    expect(await store.lookup(session.id, now + 1800, 1000)).toEqual({ revoked: true });
    // The refused lookup did not slide the idle deadline: the session went idle at now + 900 + 1000.
    expect((await store.read(session.id, now + 2000, 1000))?.idle).toBe(true);
  });

  it('answers the readiness probe', async () => {
    await expect(makeStore().ping()).resolves.toBeUndefined();
  });
});

describe('Redis session store', () => {
  it('refuses a client that would queue commands while Redis is down', () => {
    const queuing = new Redis(harnessEnv().redisUrl, { lazyConnect: true });
    expect(() => createRedisSessionStore({ client: queuing, keyPrefix: prefix })).toThrow(
      AuthConfigurationError,
    );
    queuing.disconnect();
  });

  it('drops an unreadable session so that it is built again', async () => {
    const keyPrefix = `${prefix}${randomUUID()}:`;
    const store = createRedisSessionStore({ client: redis, keyPrefix });
    await redis.hset(`${keyPrefix}session:broken`, 'data', '{not json', 'seen', '0');
    expect(await store.read('broken', Date.now(), null)).toBeNull();
    expect(await redis.exists(`${keyPrefix}session:broken`)).toBe(0);
  });
});
