import { Cluster, Redis, type ClusterNode, type ClusterOptions } from 'ioredis';
import { AuthConfigurationError, SessionStoreUnavailableError } from './error.js';
import type { SessionEntry, SessionReadResult, SessionRecord, SessionStore } from './session-store.js';

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** A command without an answer after this long fails (and the request gets 503). Default 1000. */
  commandTimeoutMs?: number;
  /** Default 2000. */
  connectTimeoutMs?: number;
  /** Upper bound of the delay between reconnection attempts. Default 1000. */
  maxReconnectDelayMs?: number;
  /** Connection errors (they also surface as `SessionStoreUnavailableError` on commands and `ping()`). */
  onError?: (error: Error) => void;
  /** Extra options for `new Cluster()` when `target` is a node list. */
  cluster?: Omit<ClusterOptions, 'enableOfflineQueue'>;
}

/**
 * Creates an ioredis client set up to fail fast: while Redis is unreachable commands are rejected at once
 * (no offline queue, one attempt, a command timeout) so requests get a 503 quickly instead of hanging, and
 * ioredis keeps reconnecting in the background so the service recovers by itself.
 *
 * @param target a `redis://` / `rediss://` URL, or the seed nodes of a Redis Cluster
 */
export function createRedisClient(
  target: string | readonly ClusterNode[],
  options: RedisClientOptions = {},
): RedisClient {
  const commandTimeout = options.commandTimeoutMs ?? 1000;
  const connectTimeout = options.connectTimeoutMs ?? 2000;
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const retryStrategy = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay);
  const client: RedisClient =
    typeof target === 'string'
      ? new Redis(target, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          commandTimeout,
          connectTimeout,
          retryStrategy,
        })
      : new Cluster([...target], {
          ...options.cluster,
          enableOfflineQueue: false,
          clusterRetryStrategy: retryStrategy,
          redisOptions: {
            ...options.cluster?.redisOptions,
            maxRetriesPerRequest: 1,
            commandTimeout,
            connectTimeout,
          },
        });
  // Without a listener ioredis prints every connection error to stderr.
  client.on('error', (error: Error) => options.onError?.(error));
  return client;
}

export interface RedisSessionStoreOptions {
  /** An ioredis client or cluster with `enableOfflineQueue: false` (see `createRedisClient()`). */
  client: RedisClient;
  /** Prefix of every key this store writes, e.g. `prospectflow:auth:`. */
  keyPrefix: string;
}

type Script = (key: string, ...args: (string | number)[]) => Promise<unknown>;

/** Reads a session hash and slides its idle deadline (`seen`) unless it is already idle. */
const readSession = (key: string) => `
    local v = redis.call('HMGET', ${key}, 'data', 'active', 'seen', 'stale', 'synced')
    if not v[1] then return false end
    local now = tonumber(ARGV[1])
    local idle = tonumber(ARGV[2])
    local seen = tonumber(v[3]) or 0
    local isIdle = 0
    if idle >= 0 and now - seen > idle then
      isIdle = 1
    elseif now > seen then
      redis.call('HSET', ${key}, 'seen', ARGV[1])
    end
    return {v[1], v[2] or '', v[3] or '0', v[4] or '0', v[5] or '0', isIdle}`;

/**
 * The deny-list entry (KEYS[1]) and then the session (KEYS[2]) in one round trip; 1 when revoked, and the
 * session is then left untouched. Two keys in different hash slots: used on a single Redis only.
 */
const LOOKUP = `
    if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end${readSession('KEYS[2]')}`;

// Every script touches exactly one key, which keeps them valid on a Redis Cluster without hash tags.
const SCRIPTS = {
  pfAuthRead: readSession('KEYS[1]'),
  pfAuthCreate: `
    if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
    redis.call('HSET', KEYS[1], 'data', ARGV[1], 'active', '', 'seen', ARGV[2], 'stale', '0', 'synced', '0')
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return 1`,
  // The user index is a sorted set scored by each session's absolute end: expired ids are dropped by score,
  // never by probing the session key, which could race with a session being created.
  pfAuthIndexAdd: `
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
    local ttl = tonumber(ARGV[2]) - tonumber(ARGV[3])
    if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
    return 1`,
  pfAuthRefresh: `
    if redis.call('HGET', KEYS[1], 'stale') ~= ARGV[2] then return 0 end
    redis.call('HSET', KEYS[1], 'data', ARGV[1], 'synced', ARGV[2])
    return 1`,
  pfAuthSetActive: `
    if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
    redis.call('HSET', KEYS[1], 'active', ARGV[1])
    return 1`,
  pfAuthMarkStale: `
    if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
    redis.call('HINCRBY', KEYS[1], 'stale', 1)
    return 1`,
} as const;

/** How long a user's generation counter outlives its last bump; it only has to cover a session being built. */
const GENERATION_TTL_MS = 24 * 60 * 60 * 1000;

function parseRecord(data: string): SessionRecord | null {
  try {
    const record = JSON.parse(data) as SessionRecord;
    const valid =
      typeof record === 'object' &&
      record !== null &&
      typeof record.id === 'string' &&
      typeof record.userId === 'string' &&
      typeof record.cognitoSub === 'string' &&
      Array.isArray(record.memberships) &&
      typeof record.expiresAt === 'number';
    return valid ? record : null;
  } catch {
    return null;
  }
}

/**
 * The production session store. Layout under `keyPrefix`:
 * - `session:<id>`: a hash (`data` JSON record, `active`, `seen`, `stale`, `synced`) expiring at the session's
 *   absolute end;
 * - `user-sessions:<userId>`: the user's session ids, scored by their absolute end (for invalidation);
 * - `user-generation:<userId>`: a counter bumped by every invalidation;
 * - `revoked:<id>`: the logout deny-list entry, expiring when the session's tokens would.
 *
 * @throws {AuthConfigurationError} when the client queues commands while disconnected (`enableOfflineQueue`)
 */
export function createRedisSessionStore(options: RedisSessionStoreOptions): SessionStore {
  const { client, keyPrefix } = options;
  const problems: string[] = [];
  // Duck-typed rather than instanceof: the caller's ioredis may be another copy than this package's.
  if (typeof client?.defineCommand !== 'function' || typeof client.options !== 'object') {
    problems.push('client must be an ioredis Redis or Cluster instance');
  } else if (client.options.enableOfflineQueue !== false) {
    problems.push(
      'the Redis client must have enableOfflineQueue: false, or requests hang while Redis is down (use createRedisClient())',
    );
  }
  if (typeof keyPrefix !== 'string' || keyPrefix === '') problems.push('keyPrefix is required');
  if (problems.length > 0) throw new AuthConfigurationError(problems);

  const scripts = {} as Record<keyof typeof SCRIPTS, Script>;
  const commands = client as unknown as Record<string, Script>;
  for (const [name, lua] of Object.entries(SCRIPTS) as [keyof typeof SCRIPTS, string][]) {
    client.defineCommand(name, { numberOfKeys: 1, lua });
    scripts[name] = (key, ...args) => (commands[name] as Script).call(client, key, ...args);
  }
  client.defineCommand('pfAuthLookup', { numberOfKeys: 2, lua: LOOKUP });
  const lookupScript = (commands['pfAuthLookup'] as Script).bind(client);

  const sessionKey = (id: string) => `${keyPrefix}session:${id}`;
  const indexKey = (userId: string) => `${keyPrefix}user-sessions:${userId}`;
  const generationKey = (userId: string) => `${keyPrefix}user-generation:${userId}`;
  const revokedKey = (id: string) => `${keyPrefix}revoked:${id}`;

  const guard = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch (error) {
      throw new SessionStoreUnavailableError({ cause: error });
    }
  };

  type ReadReply = [string, string, string, string, string, number] | null;
  const toReadResult = async (sessionId: string, reply: ReadReply): Promise<SessionReadResult | null> => {
    if (reply === null) return null;
    const [data, active, seen, stale, synced, idle] = reply;
    const record = parseRecord(data);
    if (record === null) {
      // Unreadable (written by an incompatible version): drop it so the session is built again.
      await client.del(sessionKey(sessionId));
      return null;
    }
    const entry: SessionEntry = {
      record,
      activeOrganisationId: active === '' ? null : active,
      lastSeenAt: Number(seen),
      staleVersion: Number(stale),
      syncedVersion: Number(synced),
    };
    return { entry, idle: idle === 1 };
  };
  const read = async (sessionId: string, now: number, idleTimeoutMs: number | null) =>
    toReadResult(
      sessionId,
      (await scripts.pfAuthRead(sessionKey(sessionId), now, idleTimeoutMs ?? -1)) as ReadReply,
    );
  const isRevoked = async (sessionId: string) => (await client.exists(revokedKey(sessionId))) === 1;

  const markStale = (sessionId: string) =>
    guard(async () => (await scripts.pfAuthMarkStale(sessionKey(sessionId))) === 1);

  return {
    shared: true,

    read: (sessionId, now, idleTimeoutMs) => guard(() => read(sessionId, now, idleTimeoutMs)),

    lookup: (sessionId, now, idleTimeoutMs) =>
      guard(async () => {
        // On a Cluster the two keys live in different slots: one command each, the deny-list first.
        if (client.isCluster) {
          if (await isRevoked(sessionId)) return { revoked: true };
          return { revoked: false, session: await read(sessionId, now, idleTimeoutMs) };
        }
        const reply = (await lookupScript(
          revokedKey(sessionId),
          sessionKey(sessionId),
          now,
          idleTimeoutMs ?? -1,
        )) as ReadReply | 1;
        if (reply === 1) return { revoked: true };
        return { revoked: false, session: await toReadResult(sessionId, reply) };
      }),

    create: (record, now) =>
      guard(async () => {
        const ttlMs = Math.max(1, Math.ceil(record.expiresAt - now));
        // Indexed first: an invalidation must never find a session that is not in its user's index.
        await scripts.pfAuthIndexAdd(indexKey(record.userId), record.id, now + ttlMs, now);
        const created = await scripts.pfAuthCreate(sessionKey(record.id), JSON.stringify(record), now, ttlMs);
        return created === 1;
      }),

    refresh: (record, expectedStaleVersion) =>
      guard(
        async () =>
          (await scripts.pfAuthRefresh(
            sessionKey(record.id),
            JSON.stringify(record),
            String(expectedStaleVersion),
          )) === 1,
      ),

    setActiveOrganisation: (sessionId, organisationId) =>
      guard(async () => (await scripts.pfAuthSetActive(sessionKey(sessionId), organisationId ?? '')) === 1),

    markStale,

    markUserSessionsStale: (userId) =>
      guard(async () => {
        await client.incr(generationKey(userId));
        await client.pexpire(generationKey(userId), GENERATION_TTL_MS);
        await client.zremrangebyscore(indexKey(userId), '-inf', Date.now());
        const sessionIds = await client.zrange(indexKey(userId), 0, -1);
        let marked = 0;
        for (const sessionId of sessionIds) {
          if ((await scripts.pfAuthMarkStale(sessionKey(sessionId))) === 1) marked += 1;
        }
        return marked;
      }),

    userGeneration: (userId) => guard(async () => Number((await client.get(generationKey(userId))) ?? 0)),

    delete: (sessionId, userId) =>
      guard(async () => {
        await client.del(sessionKey(sessionId));
        await client.zrem(indexKey(userId), sessionId);
      }),

    revoke: (sessionId, ttlMs) =>
      guard(async () => {
        await client.set(revokedKey(sessionId), '1', 'PX', Math.max(1, Math.ceil(ttlMs)));
      }),

    isRevoked: (sessionId) => guard(() => isRevoked(sessionId)),

    ping: () =>
      guard(async () => {
        await client.ping();
      }),
  };
}
