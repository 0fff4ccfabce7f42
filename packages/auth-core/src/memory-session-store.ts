import type { SessionEntry, SessionRecord, SessionStore } from './session-store.js';

export interface MemorySessionStoreOptions {
  /** Milliseconds since the epoch; for tests that move time. Default `Date.now`. */
  clock?: () => number;
}

interface StoredEntry extends SessionEntry {
  expiresAt: number;
}

/**
 * A session store in this process's memory, for the embedded default and unit tests. Sessions are lost on
 * restart and not shared between instances, so `createAuth()` refuses it in production.
 */
export function createMemorySessionStore(options: MemorySessionStoreOptions = {}): SessionStore {
  const clock = options.clock ?? Date.now;
  const sessions = new Map<string, StoredEntry>();
  const userSessions = new Map<string, Set<string>>();
  const generations = new Map<string, number>();
  const revoked = new Map<string, number>();

  const live = (sessionId: string): StoredEntry | null => {
    const entry = sessions.get(sessionId);
    if (entry === undefined) return null;
    if (entry.expiresAt <= clock()) {
      sessions.delete(sessionId);
      userSessions.get(entry.record.userId)?.delete(sessionId);
      return null;
    }
    return entry;
  };
  // Expired entries are dropped when read; this sweep bounds what is never read again.
  let writes = 0;
  const sweep = () => {
    writes += 1;
    if (writes % 1000 !== 0) return;
    const now = clock();
    for (const [sessionId, until] of revoked) if (until <= now) revoked.delete(sessionId);
    for (const sessionId of sessions.keys()) live(sessionId);
  };
  const isRevoked = (sessionId: string): boolean => {
    const until = revoked.get(sessionId);
    if (until === undefined) return false;
    if (until <= clock()) {
      revoked.delete(sessionId);
      return false;
    }
    return true;
  };
  const read = (sessionId: string, now: number, idleTimeoutMs: number | null) => {
    const entry = live(sessionId);
    if (entry === null) return null;
    const idle = idleTimeoutMs !== null && now - entry.lastSeenAt > idleTimeoutMs;
    const result = { entry: copy(entry), idle };
    if (!idle && now > entry.lastSeenAt) entry.lastSeenAt = now;
    return result;
  };
  const copy = (entry: StoredEntry): SessionEntry => ({
    record: structuredClone(entry.record),
    activeOrganisationId: entry.activeOrganisationId,
    lastSeenAt: entry.lastSeenAt,
    staleVersion: entry.staleVersion,
    syncedVersion: entry.syncedVersion,
  });

  return {
    shared: false,

    async read(sessionId, now, idleTimeoutMs) {
      return read(sessionId, now, idleTimeoutMs);
    },

    async lookup(sessionId, now, idleTimeoutMs) {
      if (isRevoked(sessionId)) return { revoked: true };
      return { revoked: false, session: read(sessionId, now, idleTimeoutMs) };
    },

    async create(record, now) {
      sweep();
      if (live(record.id) !== null) return false;
      sessions.set(record.id, {
        record: structuredClone(record),
        activeOrganisationId: null,
        lastSeenAt: now,
        staleVersion: 0,
        syncedVersion: 0,
        expiresAt: record.expiresAt,
      });
      const index = userSessions.get(record.userId) ?? new Set<string>();
      index.add(record.id);
      userSessions.set(record.userId, index);
      return true;
    },

    async refresh(record: SessionRecord, expectedStaleVersion) {
      const entry = live(record.id);
      if (entry === null || entry.staleVersion !== expectedStaleVersion) return false;
      entry.record = structuredClone(record);
      entry.syncedVersion = expectedStaleVersion;
      return true;
    },

    async setActiveOrganisation(sessionId, organisationId) {
      const entry = live(sessionId);
      if (entry === null) return false;
      entry.activeOrganisationId = organisationId;
      return true;
    },

    async markStale(sessionId) {
      const entry = live(sessionId);
      if (entry === null) return false;
      entry.staleVersion += 1;
      return true;
    },

    async markUserSessionsStale(userId) {
      generations.set(userId, (generations.get(userId) ?? 0) + 1);
      let marked = 0;
      for (const sessionId of [...(userSessions.get(userId) ?? [])]) {
        const entry = sessions.get(sessionId);
        if (entry === undefined || entry.expiresAt <= clock()) continue;
        entry.staleVersion += 1;
        marked += 1;
      }
      return marked;
    },

    async userGeneration(userId) {
      return generations.get(userId) ?? 0;
    },

    async delete(sessionId, userId) {
      sessions.delete(sessionId);
      userSessions.get(userId)?.delete(sessionId);
    },

    async revoke(sessionId, ttlMs) {
      sweep();
      revoked.set(sessionId, clock() + ttlMs);
    },

    async isRevoked(sessionId) {
      return isRevoked(sessionId);
    },

    async ping() {},
  };
}
