import type { OrganisationMembership } from './types.js';

/**
 * The part of a session that is written as a whole: who the user is and what they may access, as read from the
 * database. The active organisation, the last activity and the staleness counters are kept beside it so
 * they can change without rewriting (and racing on) the record.
 */
export interface SessionRecord {
  /** `origin_jti` of the sign-in (else `jti`). */
  id: string;
  /** The user pool and subject the session belongs to. */
  userPoolId: string;
  cognitoSub: string;
  userId: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  memberships: OrganisationMembership[];
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Sign-in time (`auth_time`), in milliseconds. */
  authenticatedAt: number;
  /** Absolute end of the session, in milliseconds: `authenticatedAt` + the absolute lifetime. */
  expiresAt: number;
  /** When the memberships were last read from the database. */
  refreshedAt: number;
}

export interface SessionEntry {
  record: SessionRecord;
  activeOrganisationId: string | null;
  /** Last request before this one, in milliseconds. */
  lastSeenAt: number;
  /** Bumped by every invalidation of the user's sessions. */
  staleVersion: number;
  /** The `staleVersion` the record's memberships were read at. The record is stale while they differ. */
  syncedVersion: number;
}

export interface SessionReadResult {
  entry: SessionEntry;
  /** True when the session had been idle longer than the idle timeout (its last-seen time is then left as is). */
  idle: boolean;
}

/** What a request needs from the store once its token is verified: the deny-list, then the session. */
export type SessionLookup = { revoked: true } | { revoked: false; session: SessionReadResult | null };

/**
 * Storage of sessions, user indexes and the logout deny-list. Implementations: `createRedisSessionStore()`
 * (production, shared by every instance) and `createMemorySessionStore()` (one process: embedded default and
 * unit tests). Every method rejects with `SessionStoreUnavailableError` when the backend cannot answer.
 * Each operation touches a single key (on a Redis Cluster, `lookup` too), so the Redis implementation also
 * works on a Redis Cluster.
 */
export interface SessionStore {
  /** False for a store that lives in one process; `createAuth()` refuses those in production. */
  readonly shared: boolean;
  /**
   * Reads a session and, unless it has been idle for longer than `idleTimeoutMs`, records `now` as its last
   * activity (the sliding idle deadline). Resolves to null when there is no such session.
   */
  read(sessionId: string, now: number, idleTimeoutMs: number | null): Promise<SessionReadResult | null>;
  /**
   * `isRevoked` and, when the session is not revoked, `read`, in one round trip where the backend allows it:
   * a revoked session is neither read nor touched.
   */
  lookup(sessionId: string, now: number, idleTimeoutMs: number | null): Promise<SessionLookup>;
  /**
   * Creates the session unless one exists (first writer wins), kept until `record.expiresAt`, and adds it to
   * the user's index. Resolves to false when it already existed.
   */
  create(record: SessionRecord, now: number): Promise<boolean>;
  /**
   * Replaces the record if nobody invalidated the session since `expectedStaleVersion` was read; the record is
   * then current. Resolves to false otherwise (or when the session is gone).
   */
  refresh(record: SessionRecord, expectedStaleVersion: number): Promise<boolean>;
  /** Sets the active organisation. Resolves to false when the session is gone. */
  setActiveOrganisation(sessionId: string, organisationId: string | null): Promise<boolean>;
  /** Marks one session stale so its memberships are read again on its next request. */
  markStale(sessionId: string): Promise<boolean>;
  /** Marks every session of a user stale and bumps the user's generation. Resolves to the count marked. */
  markUserSessionsStale(userId: string): Promise<number>;
  /** A counter bumped by `markUserSessionsStale`; lets a session being created detect a concurrent change. */
  userGeneration(userId: string): Promise<number>;
  /** Deletes a session and removes it from its user's index. */
  delete(sessionId: string, userId: string): Promise<void>;
  /** Puts a session id on the deny-list for `ttlMs`. */
  revoke(sessionId: string, ttlMs: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
  /** Readiness probe: resolves when the store answers. */
  ping(): Promise<void>;
}
