// The server entry point (`@prospectflow/auth-core`). Frontends import `@prospectflow/auth-core/types`;
// development and tests sign tokens with `@prospectflow/auth-core/local-issuer`.

export { createAuth, requireRole } from './auth.js';
export type { Auth, AuthLogger, AuthOptions } from './auth.js';
export { getAuth, getScopedAuth } from './auth-context.js';
export type { AuthContext, AuthSession, AuthToken, AuthUser, ScopedAuthContext } from './auth-context.js';
export type { AuthEnvironment } from './environment.js';
export * from './error.js';
export { createMemorySessionStore } from './memory-session-store.js';
export type { MemorySessionStoreOptions } from './memory-session-store.js';
export { parseOrganisationId, resolveOrganisation } from './organisation-scope.js';
export { authErrorHandler, DEFAULT_PROBLEM_TYPE_BASE, toAuthProblem } from './problem.js';
export type { AuthErrorHandlerOptions, AuthProblemResponse, ProblemOptions } from './problem.js';
export { createUserInfoProfileResolver } from './profile-resolver.js';
export type { ProfileResolver, ResolvedProfile, UserInfoProfileResolverOptions } from './profile-resolver.js';
export { createRedisClient, createRedisSessionStore } from './redis-session-store.js';
export type { RedisClient, RedisClientOptions, RedisSessionStoreOptions } from './redis-session-store.js';
export type { SessionEntry, SessionReadResult, SessionRecord, SessionStore } from './session-store.js';
export type { UserPoolConfig, VerifiedToken } from './token-verifier.js';
export * from './types.js';
export { cleanProfile, loadMemberships, MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, syncUser } from './user-sync.js';
export type { SqlExecutor, SyncedUser, UserProfile } from './user-sync.js';
