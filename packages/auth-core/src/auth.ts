import type { Request, RequestHandler, Response } from 'express';
import type { AuthContext } from './auth-context.js';
import { getAuth } from './auth-context.js';
import { DEFAULT_MAX_TOKEN_LENGTH, extractBearerToken } from './bearer.js';
import { type AuthEnvironment, isAuthEnvironment, userPoolRegion } from './environment.js';
import {
  AuthConfigurationError,
  AuthError,
  DependencyUnavailableError,
  EmailNotVerifiedError,
  IdTokenRequiredError,
  InsufficientRoleError,
  NotOrganisationMemberError,
  SessionExpiredError,
  SessionMismatchError,
  TokenRevokedError,
  TokenTooLargeError,
} from './error.js';
import { defaultOrganisation, parseOrganisationId, resolveOrganisation } from './organisation-scope.js';
import { authErrorHandler, defaultRequestId, requestPath } from './problem.js';
import type { ProfileResolver } from './profile-resolver.js';
import type { SessionEntry, SessionRecord, SessionStore } from './session-store.js';
import { createTokenVerifier, type UserPoolConfig, type VerifiedToken } from './token-verifier.js';
import { hasRole, isRole, type Role, type SessionView } from './types.js';
import { cleanProfile, loadMemberships, type SqlExecutor, syncUser, type UserProfile } from './user-sync.js';

/** A pino logger fits. Fields never include a token, a claim set or an e-mail address. */
export interface AuthLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * Options of `createAuth()`. Security options are mandatory: give a value, or `null` on purpose. They are
 * checked once, here; a bad configuration lists every problem in one `AuthConfigurationError`.
 */
export interface AuthOptions {
  /** `production` refuses the in-process session store and JWKS files. */
  environment: AuthEnvironment;
  /** At least one. Tokens of any listed pool are accepted, each pool with its own client/token use/groups. */
  userPools: readonly UserPoolConfig[];
  /** Clock-skew tolerance for `exp`, `nbf` and `iat`, 0 to 300 seconds. Default 0. */
  graceSeconds?: number;
  /** Longest token accepted (characters), 512 to 65536. Default 8192. */
  maxTokenLength?: number;
  sessionStore: SessionStore;
  /** Inactivity after which a session ends and the user must sign in again; `null` for none. */
  idleTimeoutSeconds: number | null;
  /** Session lifetime from the Cognito sign-in (`auth_time`), whatever the activity or token refreshes. */
  absoluteLifetimeSeconds: number;
  /** Where user sync runs: a pg Pool (through pgBouncer) as the application role. */
  database: SqlExecutor;
  /** How to get the e-mail of a sign-in that starts with an access token; `null` to require an ID token. */
  profileResolver: ProfileResolver | null;
  /** Security events (`cross_tenant_attempt`) and refusals; `null` for none. */
  logger: AuthLogger | null;
  /** Called with the code of every refused request (for a metric of auth failures by reason). */
  onAuthFailure?: (code: string) => void;
  /** Request id for logs and problem bodies. Default: `req.id` (pino-http), else the X-Request-Id response header. */
  requestId?: (req: Request, res: Response) => string | undefined;
  /** Prefix of problem `type` URIs. Default `https://prospectflow.dev/problems/`. */
  problemTypeBase?: string;
  /** Milliseconds since the epoch, for tests that move time. Default `Date.now`. */
  clock?: () => number;
  /**
   * Verified tokens remembered (by hash) until they expire, so a client's next request with the same token
   * skips the RS256 and claim checks; cleared whenever signing keys are loaded; the deny-list is read on every
   * request all the same. 0 turns it off. Default 10,000.
   */
  verifiedTokenCacheSize?: number;
}

export interface Auth {
  /**
   * Middleware: reads `Authorization: Bearer <jwt>`, verifies it (signature, issuer, client, token use,
   * groups, time, deny-list), loads or creates the session (user sync on the first request of a sign-in) and
   * sets `req.auth` (organisation and role still null). Errors go to `next(error)`: `TokenError` (401),
   * `ForbiddenError` (403), `UserSyncConflictError` (409), `DependencyUnavailableError` (503).
   */
  authenticate: RequestHandler;
  /**
   * Middleware, after `authenticate`: picks the organisation of the request (`X-Organisation-Id`, else the
   * session's active organisation, else the only active membership), checks the membership from the session
   * (database-backed, never token claims) and sets `req.auth.organisation` and `req.auth.role`. Errors:
   * `InvalidOrganisationIdError`/`OrganisationRequiredError` (400), `NotOrganisationMemberError` (403, logged
   * as `cross_tenant_attempt`), `NoOrganisationError` (403).
   */
  scopeOrganisation: RequestHandler;
  /** Middleware after `scopeOrganisation`: `InsufficientRoleError` (403) below `role` (viewer < member < admin < owner). */
  requireRole(role: Role): RequestHandler;
  /** Error middleware answering auth errors as problem+json (401/403/400/409/503); passes other errors on. */
  errorHandler: ReturnType<typeof authErrorHandler>;
  /**
   * Loads the JWKS (files, or each pool's JWKS URL). Call at start and retry until it resolves; readiness
   * stays red (`jwksReady()` false) meanwhile.
   *
   * @throws {JwksUnavailableError} a pool's keys could not be fetched
   * @throws {AuthConfigurationError} a `jwksFile` is missing or is not a JWKS
   */
  hydrate(): Promise<void>;
  /** True once every pool's keys are cached. */
  jwksReady(): boolean;
  /**
   * Readiness probe of the session store.
   *
   * @throws {SessionStoreUnavailableError}
   */
  ping(): Promise<void>;
  /**
   * Verifies a bare JWT (for non-HTTP entry points); same checks as `authenticate` without the session.
   *
   * @throws {TokenError} a subclass naming why the token is refused (401)
   * @throws {MissingGroupError} the token lacks every group its user pool requires
   * @throws {JwksUnavailableError} the keys are not loaded (`hydrate()`) or Cognito cannot be reached
   * @throws {SessionStoreUnavailableError} the deny-list cannot be read
   */
  verifyToken(token: string): Promise<VerifiedToken>;
  /**
   * Logs the request's session out: its `origin_jti` is denied until its tokens and the session would have
   * expired, so neither the same token nor a refreshed one can open it again, and the session is deleted.
   *
   * @throws {Error} when `authenticate` did not run for this request
   * @throws {SessionStoreUnavailableError}
   */
  logout(req: Request): Promise<void>;
  /**
   * Call after changing a user's memberships or roles: every session of that user reloads its memberships
   * from the database on its next request. Resolves to the number of sessions marked.
   *
   * @throws {SessionStoreUnavailableError}
   */
  invalidateUserSessions(userId: string): Promise<number>;
  /**
   * `PUT /me/active-organisation`: stores the user's choice (or clears it with null) in the session.
   *
   * @throws {InvalidOrganisationIdError} not a UUID
   * @throws {NotOrganisationMemberError} not an active membership (logged as `cross_tenant_attempt`)
   * @throws {SessionExpiredError} the session ended meanwhile
   * @throws {SessionStoreUnavailableError}
   */
  setActiveOrganisation(req: Request, organisationId: string | null): Promise<SessionView>;
  /**
   * What `GET /me` returns, for a request that went through `authenticate`.
   *
   * @throws {Error} when `authenticate` did not run for this request
   */
  sessionView(req: Request): SessionView;
  readonly sessionStore: SessionStore;
}

const ORGANISATION_HEADER = 'x-organisation-id';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.trim() !== '';

function checkStringOption(problems: string[], where: string, name: string, value: unknown): void {
  if (value === undefined) {
    problems.push(`${where}.${name} must be given, or null on purpose`);
  } else if (value !== null && !isNonEmptyString(value)) {
    if (!Array.isArray(value) || value.length === 0 || !value.every(isNonEmptyString)) {
      problems.push(`${where}.${name} must be a non-empty string, a non-empty array of them, or null`);
    }
  }
}

function checkOptions(options: AuthOptions): string[] {
  const problems: string[] = [];
  if (!isObject(options)) return ['options are required'];
  if (!isAuthEnvironment(options.environment))
    problems.push('environment must be production, development or test');
  const production = options.environment === 'production';
  if (!Array.isArray(options.userPools) || options.userPools.length === 0) {
    problems.push('userPools must list at least one user pool');
  } else {
    const seen = new Set<string>();
    options.userPools.forEach((pool: UserPoolConfig, index) => {
      const where = `userPools[${index}]`;
      if (!isObject(pool)) {
        problems.push(`${where} must be an object`);
        return;
      }
      if (typeof pool.userPoolId !== 'string' || userPoolRegion(pool.userPoolId) === null) {
        problems.push(`${where}.userPoolId must be a Cognito user pool id such as eu-west-3_AbC123`);
      } else if (seen.has(pool.userPoolId)) {
        problems.push(`${where}.userPoolId is listed twice`);
      } else {
        seen.add(pool.userPoolId);
      }
      checkStringOption(problems, where, 'clientId', pool.clientId);
      checkStringOption(problems, where, 'groups', pool.groups);
      if (pool.tokenUse !== null && pool.tokenUse !== 'id' && pool.tokenUse !== 'access') {
        problems.push(`${where}.tokenUse must be "id", "access", or null for both`);
      }
      if (pool.jwksFile !== undefined) {
        if (production) problems.push(`${where}.jwksFile is refused in production: keys come from Cognito`);
        else if (!isNonEmptyString(pool.jwksFile)) problems.push(`${where}.jwksFile must be a path`);
      }
    });
  }
  const grace = options.graceSeconds ?? 0;
  if (!Number.isInteger(grace) || grace < 0 || grace > 300)
    problems.push('graceSeconds must be an integer from 0 to 300');
  const maxLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (!Number.isInteger(maxLength) || maxLength < 512 || maxLength > 65536) {
    problems.push('maxTokenLength must be an integer from 512 to 65536');
  }
  const cacheSize = options.verifiedTokenCacheSize ?? 0;
  if (!Number.isInteger(cacheSize) || cacheSize < 0 || cacheSize > 1_000_000) {
    problems.push('verifiedTokenCacheSize must be an integer from 0 to 1000000');
  }
  const store = options.sessionStore as unknown;
  if (
    !isObject(store) ||
    typeof store['read'] !== 'function' ||
    typeof store['lookup'] !== 'function' ||
    typeof store['isRevoked'] !== 'function'
  ) {
    problems.push(
      'sessionStore must be a SessionStore (createRedisSessionStore or createMemorySessionStore)',
    );
  } else if (production && store['shared'] !== true) {
    problems.push(
      'sessionStore: the in-process store is refused in production; use createRedisSessionStore()',
    );
  }
  const idle = options.idleTimeoutSeconds;
  if (idle === undefined) problems.push('idleTimeoutSeconds must be given, or null on purpose');
  else if (idle !== null && (!Number.isInteger(idle) || idle < 1)) {
    problems.push('idleTimeoutSeconds must be a positive integer or null');
  }
  const absolute = options.absoluteLifetimeSeconds;
  if (!Number.isInteger(absolute) || absolute < 60)
    problems.push('absoluteLifetimeSeconds must be an integer of at least 60');
  else if (Number.isInteger(idle) && idle !== null && idle > absolute) {
    problems.push('idleTimeoutSeconds cannot exceed absoluteLifetimeSeconds');
  }
  if (!isObject(options.database) || typeof options.database.query !== 'function') {
    problems.push('database must have a query(text, values) method, e.g. a pg Pool');
  }
  if (options.profileResolver === undefined)
    problems.push('profileResolver must be given, or null on purpose');
  else if (options.profileResolver !== null && typeof options.profileResolver.resolve !== 'function') {
    problems.push('profileResolver must have a resolve() method');
  }
  if (options.logger === undefined) problems.push('logger must be given, or null on purpose');
  else if (
    options.logger !== null &&
    ['info', 'warn', 'error'].some(
      (level) => typeof (options.logger as unknown as Record<string, unknown>)[level] !== 'function',
    )
  ) {
    problems.push('logger must have info, warn and error methods (a pino logger fits)');
  }
  return problems;
}

/** Runs one promise per key at a time: concurrent first requests of one sign-in share a single user sync. */
function singleFlight<T>() {
  const running = new Map<string, Promise<T>>();
  return (key: string, task: () => Promise<T>): Promise<T> => {
    const existing = running.get(key);
    if (existing !== undefined) return existing;
    const promise = task().finally(() => running.delete(key));
    running.set(key, promise);
    return promise;
  };
}

function describeCause(cause: unknown): Record<string, unknown> | undefined {
  if (!(cause instanceof Error)) return undefined;
  // Name, code and message only: a driver error's other fields (pg's `detail`) can quote row values.
  return { name: cause.name, code: (cause as { code?: unknown }).code, message: cause.message };
}

/**
 * Builds the authentication of one process: one verifier, one session store, the middlewares.
 *
 * @throws {AuthConfigurationError} listing every invalid option
 */
export function createAuth(options: AuthOptions): Auth {
  const problems = checkOptions(options);
  if (problems.length > 0) throw new AuthConfigurationError(problems);

  const store = options.sessionStore;
  const db = options.database;
  const logger = options.logger;
  const clock = options.clock ?? Date.now;
  const graceSeconds = options.graceSeconds ?? 0;
  const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  const idleMs = options.idleTimeoutSeconds === null ? null : options.idleTimeoutSeconds * 1000;
  const absoluteMs = options.absoluteLifetimeSeconds * 1000;
  const requestIdOf = options.requestId ?? defaultRequestId;
  const verifier = createTokenVerifier({
    userPools: options.userPools.map((pool) => ({ ...pool })),
    graceSeconds,
    isRevoked: (sessionId) => store.isRevoked(sessionId),
    ...(options.verifiedTokenCacheSize === undefined ? {} : { cacheSize: options.verifiedTokenCacheSize }),
  });
  const creating = singleFlight<SessionEntry>();
  const refreshing = singleFlight<SessionEntry>();

  const requestIdFor = (req: Request, res: Response | undefined) =>
    res === undefined ? undefined : requestIdOf(req, res);
  const requestFields = (req: Request, res: Response | undefined) => ({
    requestId: requestIdFor(req, res),
    ip: req.ip,
    method: req.method,
    path: requestPath(req),
  });

  async function profileOf(token: VerifiedToken, jwt: string): Promise<UserProfile> {
    let email = token.email;
    let emailVerified = token.emailVerified;
    let firstName = token.givenName;
    let lastName = token.familyName;
    let issuedAt = token.issuedAt;
    if (token.tokenUse === 'access') {
      if (options.profileResolver === null) throw new IdTokenRequiredError();
      const profile = await options.profileResolver.resolve({
        sub: token.sub,
        userPoolId: token.userPoolId,
        username: token.username,
        accessToken: jwt,
      });
      ({ email, emailVerified, firstName, lastName } = profile);
      // userInfo answers with the profile as it is now, newer than any token.
      issuedAt = clock() / 1000;
    }
    // Invitations are matched by e-mail: an unverified address could claim someone else's.
    if (email === null || !emailVerified) throw new EmailNotVerifiedError();
    // Cleaned here too (syncUser does it again) so that the session holds the names as stored.
    return cleanProfile({ cognitoSub: token.sub, email, firstName, lastName, issuedAt });
  }

  async function createSession(token: VerifiedToken, jwt: string, now: number): Promise<SessionEntry> {
    const profile = await profileOf(token, jwt);
    const user = await syncUser(db, profile);
    if (user.created || user.invitationsAccepted > 0) {
      logger?.info(
        {
          event: 'user_synced',
          userId: user.userId,
          created: user.created,
          invitationsAccepted: user.invitationsAccepted,
        },
        'user synchronised from Cognito',
      );
    }
    // Read before the memberships: if an invalidation lands between the two reads below, the generation moves
    // and the new session is marked stale, so it cannot keep memberships read before the change.
    const generation = await store.userGeneration(user.userId);
    const memberships = await loadMemberships(db, user.userId);
    const record: SessionRecord = {
      id: token.sessionId,
      userPoolId: token.userPoolId,
      cognitoSub: token.sub,
      userId: user.userId,
      email: profile.email,
      firstName: profile.firstName,
      lastName: profile.lastName,
      memberships,
      createdAt: now,
      authenticatedAt: token.authTime * 1000,
      expiresAt: token.authTime * 1000 + absoluteMs,
      refreshedAt: now,
    };
    if (await store.create(record, now)) {
      let staleVersion = 0;
      if ((await store.userGeneration(user.userId)) !== generation) {
        await store.markStale(record.id);
        staleVersion = 1;
      }
      return { record, activeOrganisationId: null, lastSeenAt: now, staleVersion, syncedVersion: 0 };
    }
    // Another instance created it first: use the stored one (it may carry an active organisation already).
    const stored = await store.read(record.id, now, idleMs);
    return (
      stored?.entry ?? {
        record,
        activeOrganisationId: null,
        lastSeenAt: now,
        staleVersion: 0,
        syncedVersion: 0,
      }
    );
  }

  async function refreshSession(entry: SessionEntry, now: number): Promise<SessionEntry> {
    const memberships = await loadMemberships(db, entry.record.userId);
    const record: SessionRecord = { ...entry.record, memberships, refreshedAt: now };
    // If another invalidation arrived meanwhile the write is refused and the next request reloads again.
    await store.refresh(record, entry.staleVersion);
    return { ...entry, record, syncedVersion: entry.staleVersion };
  }

  async function establish(req: Request): Promise<AuthContext> {
    // Every Authorization header, so that a second (forged) one is refused rather than ignored.
    const headers = req.headersDistinct?.['authorization'] ?? req.headers.authorization;
    const jwt = extractBearerToken(headers, maxTokenLength);
    const token = await verifier.verifyClaims(jwt);
    const now = clock();
    // The deny-list and the session in one round trip; a revoked session is refused before anything else.
    const lookup = await store.lookup(token.sessionId, now, idleMs);
    if (lookup.revoked) throw new TokenRevokedError();
    if (now >= token.authTime * 1000 + absoluteMs) throw new SessionExpiredError('absolute');
    const found = lookup.session;
    if (found?.idle === true) throw new SessionExpiredError('idle');
    // Keyed by token use too: an access token that cannot open the session (no profile resolver) must not
    // make a concurrent ID token of the same sign-in fail with it.
    let entry =
      found?.entry ??
      (await creating(`${token.sessionId}:${token.tokenUse}`, () => createSession(token, jwt, now)));
    if (entry.record.cognitoSub !== token.sub || entry.record.userPoolId !== token.userPoolId) {
      throw new SessionMismatchError();
    }
    if (entry.staleVersion !== entry.syncedVersion) {
      const stale = entry;
      entry = await refreshing(`${stale.record.id}:${stale.staleVersion}`, () => refreshSession(stale, now));
    }
    const { record } = entry;
    return {
      user: {
        id: record.userId,
        cognitoSub: record.cognitoSub,
        email: record.email,
        firstName: record.firstName,
        lastName: record.lastName,
      },
      session: {
        id: record.id,
        memberships: record.memberships,
        activeOrganisationId: entry.activeOrganisationId,
        createdAt: record.createdAt,
        authenticatedAt: record.authenticatedAt,
        expiresAt: record.expiresAt,
      },
      token: {
        tokenUse: token.tokenUse,
        sub: token.sub,
        userPoolId: token.userPoolId,
        clientId: token.clientId,
        username: token.username,
        groups: token.groups,
        scopes: token.scopes,
        expiresAt: token.expiresAt,
      },
      organisation: null,
      role: null,
    };
  }

  function refused(req: Request, res: Response | undefined, error: unknown): void {
    if (!(error instanceof AuthError)) return;
    options.onAuthFailure?.(error.code);
    const fields = { event: 'auth_refused', code: error.code, ...requestFields(req, res) };
    if (error instanceof DependencyUnavailableError) {
      logger?.warn({ ...fields, cause: describeCause(error.cause) }, `request refused: ${error.code}`);
    } else if (error instanceof NotOrganisationMemberError) {
      logger?.warn(
        {
          ...fields,
          event: 'cross_tenant_attempt',
          userId: req.auth?.user.id,
          organisationId: error.organisationId,
        },
        'cross-tenant attempt: organisation outside the user memberships',
      );
    } else {
      logger?.info(fields, `request refused: ${error.code}`);
    }
  }

  const authenticate: RequestHandler = (req, res, next) => {
    establish(req).then(
      (auth) => {
        req.auth = auth;
        next();
      },
      (error: unknown) => {
        refused(req, res, error);
        next(error);
      },
    );
  };

  const scopeOrganisation: RequestHandler = (req, res, next) => {
    try {
      const auth = getAuth(req);
      const header = req.headers[ORGANISATION_HEADER];
      const requested = header === undefined ? null : parseOrganisationId(String(header));
      const membership = resolveOrganisation(
        auth.session.memberships,
        requested,
        auth.session.activeOrganisationId,
      );
      auth.organisation = membership;
      auth.role = membership.role;
      next();
    } catch (error) {
      refused(req, res, error);
      next(error);
    }
  };

  const auth: Auth = {
    authenticate,
    scopeOrganisation,
    requireRole(role) {
      const guard = requireRole(role);
      return (req, res, next) =>
        guard(req, res, (error?: unknown) => {
          if (error !== undefined) refused(req, res, error);
          next(error);
        });
    },
    errorHandler: authErrorHandler({
      requestId: requestIdOf,
      ...(options.problemTypeBase === undefined ? {} : { typeBase: options.problemTypeBase }),
    }),
    hydrate: () => verifier.hydrate(),
    jwksReady: () => verifier.jwksReady(),
    ping: () => store.ping(),
    verifyToken(token) {
      if (token.length > maxTokenLength) return Promise.reject(new TokenTooLargeError(maxTokenLength));
      return verifier.verify(token);
    },

    async logout(req) {
      const context = getAuth(req);
      const now = clock();
      // Until the later of the token's expiry and the session's absolute end (refreshed tokens keep the same
      // origin_jti but get later expiries; the absolute end refuses them anyway), plus the clock-skew grace.
      const until = Math.max(context.token.expiresAt * 1000, context.session.expiresAt) + graceSeconds * 1000;
      await store.revoke(context.session.id, Math.max(1000, until - now));
      await store.delete(context.session.id, context.user.id);
      logger?.info(
        { event: 'logout', userId: context.user.id, requestId: requestIdFor(req, req.res) },
        'session logged out',
      );
    },

    invalidateUserSessions: (userId) => store.markUserSessionsStale(userId),

    async setActiveOrganisation(req, organisationId) {
      const context = getAuth(req);
      let chosen: string | null = null;
      if (organisationId !== null) {
        chosen = parseOrganisationId(organisationId);
        try {
          resolveOrganisation(context.session.memberships, chosen, null);
        } catch (error) {
          refused(req, req.res, error);
          throw error;
        }
      }
      if (!(await store.setActiveOrganisation(context.session.id, chosen)))
        throw new SessionExpiredError('ended');
      context.session.activeOrganisationId = chosen;
      return auth.sessionView(req);
    },

    sessionView(req) {
      const context = getAuth(req);
      const organisation =
        context.organisation ??
        defaultOrganisation(context.session.memberships, context.session.activeOrganisationId);
      return {
        user: {
          id: context.user.id,
          email: context.user.email,
          firstName: context.user.firstName,
          lastName: context.user.lastName,
        },
        memberships: context.session.memberships.map((membership) => ({ ...membership })),
        activeOrganisationId: context.session.activeOrganisationId,
        organisation: organisation === null ? null : { ...organisation },
        role: organisation?.role ?? null,
        session: {
          authenticatedAt: new Date(context.session.authenticatedAt).toISOString(),
          expiresAt: new Date(context.session.expiresAt).toISOString(),
          idleTimeoutSeconds: options.idleTimeoutSeconds,
        },
      };
    },

    sessionStore: store,
  };
  return auth;
}

/**
 * Middleware guard, after `scopeOrganisation`: lets the request through when its role is at least `role`
 * (viewer < member < admin < owner).
 *
 * @throws {AuthConfigurationError} at creation, for an unknown role
 */
export function requireRole(role: Role): RequestHandler {
  if (!isRole(role)) throw new AuthConfigurationError([`requireRole: unknown role ${String(role)}`]);
  return (req, _res, next) => {
    const actual = req.auth?.role ?? null;
    if (actual === null) {
      next(new Error('requireRole needs auth.authenticate and auth.scopeOrganisation before it'));
      return;
    }
    next(hasRole(actual, role) ? undefined : new InsufficientRoleError(role, actual));
  };
}
