import type { OrganisationMembership, Role } from './types.js';

export interface AuthUser {
  /** Internal user id (`iam.users.id`): what `app.user_id` and foreign keys use. */
  id: string;
  cognitoSub: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
}

export interface AuthSession {
  /** `origin_jti` of the sign-in (else `jti`). */
  id: string;
  /** From the database at sign-in, refreshed after `invalidateUserSessions()`. Never from token claims. */
  memberships: readonly OrganisationMembership[];
  activeOrganisationId: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  authenticatedAt: number;
  /** Absolute end of the session. */
  expiresAt: number;
}

/** The verified token, without the token itself (never kept, never logged). */
export interface AuthToken {
  tokenUse: 'id' | 'access';
  sub: string;
  userPoolId: string;
  clientId: string;
  username: string | null;
  groups: readonly string[];
  scopes: readonly string[];
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** Set on `req.auth` by `authenticate`; `organisation` and `role` are filled by `scopeOrganisation`. */
export interface AuthContext {
  user: AuthUser;
  session: AuthSession;
  token: AuthToken;
  organisation: OrganisationMembership | null;
  role: Role | null;
}

/** `req.auth` after `scopeOrganisation`: the organisation and role are known. */
export interface ScopedAuthContext extends AuthContext {
  organisation: OrganisationMembership;
  role: Role;
}

declare global {
  // Express's Request extends Express.Request (with @types/express 4 and 5), so this types `req.auth` everywhere.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `auth.authenticate`; completed by `auth.scopeOrganisation`. */
      auth?: AuthContext;
    }
  }
}

/**
 * `req.auth`, for handlers mounted after `authenticate`.
 *
 * @throws {Error} when `authenticate` did not run for this request (a wiring mistake, so a 500)
 */
export function getAuth(req: { auth?: AuthContext }): AuthContext {
  if (req.auth === undefined)
    throw new Error('req.auth is not set: mount auth.authenticate before this handler');
  return req.auth;
}

/**
 * `req.auth` with its organisation and role, for handlers mounted after `scopeOrganisation`.
 *
 * @throws {Error} when `scopeOrganisation` did not run for this request (a wiring mistake, so a 500)
 */
export function getScopedAuth(req: { auth?: AuthContext }): ScopedAuthContext {
  const auth = getAuth(req);
  if (auth.organisation === null || auth.role === null) {
    throw new Error('req.auth has no organisation: mount auth.scopeOrganisation before this handler');
  }
  return auth as ScopedAuthContext;
}
