// The frontend-safe entry point (`@prospectflow/auth-core/types`): shapes and pure helpers only. It must bundle
// for the browser, so it imports nothing, neither Node built-ins nor packages (test/browser-bundle.test.ts).

/** Organisation roles, weakest first: viewer < member < admin < owner. */
export const ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/** Membership states as stored in `iam.organisation_users.status`. Only `active` grants access. */
export const MEMBERSHIP_STATUSES = ['invited', 'active', 'disabled'] as const;
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number];

/** The request header that selects the organisation (tenant) of a request. */
export const ORGANISATION_HEADER = 'X-Organisation-Id';

/** One organisation a user belongs to, as read from the database at sign-in (never from token claims). */
export interface OrganisationMembership {
  organisationId: string;
  organisationName: string;
  organisationSlug: string;
  role: Role;
  status: MembershipStatus;
}

export interface SessionUser {
  /** Internal user id (`iam.users.id`), not the Cognito subject. */
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
}

/** What `GET /me` returns: the signed-in user, their organisations and the organisation in effect. */
export interface SessionView {
  user: SessionUser;
  memberships: OrganisationMembership[];
  /** The organisation chosen with `PUT /me/active-organisation`, if any. */
  activeOrganisationId: string | null;
  /** The organisation this request acts in, or null when none can be chosen without asking the user. */
  organisation: OrganisationMembership | null;
  role: Role | null;
  session: {
    /** When the user signed in with Cognito (ISO 8601). */
    authenticatedAt: string;
    /** When the session ends whatever the activity (ISO 8601); the user must sign in again after it. */
    expiresAt: string;
    /** Inactivity after which the session ends, or null when there is no idle limit. */
    idleTimeoutSeconds: number | null;
  };
}

/**
 * The `code` member of every problem+json body the auth middlewares produce. A UI can switch on it: for
 * example `token_expired` means refresh the tokens, `session_expired` and `token_revoked` mean sign in again.
 */
export const AUTH_PROBLEM_CODES = [
  'missing_token',
  'duplicate_authorization',
  'unsupported_scheme',
  'malformed_token',
  'token_too_large',
  'token_expired',
  'token_not_yet_valid',
  'invalid_signature',
  'unsupported_algorithm',
  'unknown_key',
  'invalid_issuer',
  'invalid_client',
  'invalid_token_use',
  'invalid_claims',
  'token_revoked',
  'session_expired',
  'session_mismatch',
  'id_token_required',
  'missing_group',
  'email_not_verified',
  'invalid_organisation_id',
  'organisation_required',
  'no_organisation',
  'not_a_member',
  'insufficient_role',
  'user_sync_conflict',
  'session_store_unavailable',
  'user_directory_unavailable',
  'profile_unavailable',
  'jwks_unavailable',
] as const;
export type AuthProblemCode = (typeof AUTH_PROBLEM_CODES)[number];

/** An RFC 9457 problem body produced by the auth middlewares. */
export interface AuthProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  code: AuthProblemCode;
  /** Present with `insufficient_role`: the weakest role that would have been allowed. */
  requiredRole?: Role;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Position of a role in viewer < member < admin < owner (0 for viewer). */
export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/** True when `actual` is at least `required` (an owner can do what an admin can). False for no role. */
export function hasRole(actual: Role | null | undefined, required: Role): boolean {
  return actual !== null && actual !== undefined && roleRank(actual) >= roleRank(required);
}

/** The memberships that grant access (status `active`). */
export function activeMemberships(memberships: readonly OrganisationMembership[]): OrganisationMembership[] {
  return memberships.filter((membership) => membership.status === 'active');
}

export function isAuthProblemCode(value: unknown): value is AuthProblemCode {
  return typeof value === 'string' && (AUTH_PROBLEM_CODES as readonly string[]).includes(value);
}

/** Recognises an auth problem body, e.g. in a fetch wrapper: `if (isAuthProblem(body) && body.code === ...)`. */
export function isAuthProblem(value: unknown): value is AuthProblem {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate['status'] === 'number' && isAuthProblemCode(candidate['code']);
}
