import { InvalidClaimsError, UserDirectoryUnavailableError, UserSyncConflictError } from './error.js';
import { MEMBERSHIP_STATUSES, type MembershipStatus, type OrganisationMembership, isRole } from './types.js';

/**
 * The database handle user sync needs: a pg `Pool` or `PoolClient` fits. Both functions it calls are
 * `SECURITY DEFINER` and need no tenant setting, so a plain pooled connection (through pgBouncer) is right.
 * Queries are parameterised and unnamed (pgBouncer in transaction mode keeps no prepared statements).
 */
export interface SqlExecutor {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

export interface UserProfile {
  cognitoSub: string;
  /** A verified e-mail: invitations addressed to it are accepted. */
  email: string;
  firstName: string | null;
  lastName: string | null;
  /**
   * When these claims were issued, in seconds since the epoch (the ID token's `iat`). A sync never replaces
   * e-mail and names applied from more recent claims. Default: now.
   */
  issuedAt?: number;
}

export interface SyncedUser {
  userId: string;
  /** True when this call created the `iam.users` row. */
  created: boolean;
  /** Pending invitations to this e-mail that became active memberships. */
  invitationsAccepted: number;
}

// Server-side failures (connection lost, pgBouncer or PostgreSQL shutting down, too many connections) that
// mean "try again later" rather than "bug".
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53400']);
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection error|Client was closed/i;

/** SQLSTATE and socket errors → typed errors; anything else (a bug) is returned as it is. */
export function translateDatabaseError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '23505') return new UserSyncConflictError({ cause: error });
  if (
    typeof code === 'string' &&
    (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))
  ) {
    return new UserDirectoryUnavailableError({ cause: error });
  }
  if (error instanceof Error && UNAVAILABLE_MESSAGES.test(error.message)) {
    return new UserDirectoryUnavailableError({ cause: error });
  }
  return error;
}

/** Longest first or last name kept, in code points; a longer one is cut there (ADR 0031). */
export const MAX_NAME_LENGTH = 200;
/** `iam.users.email` holds at most 320 characters (the RFC 5321 path limit); a longer e-mail is refused. */
export const MAX_EMAIL_LENGTH = 320;

// With the u flag a lone surrogate is a code point of its own (category Cs); JSON in a token can carry one.
const LONE_SURROGATE = /\p{Surrogate}/u;
const CONTROL_CHARACTERS = /\p{Cc}/gu;
const HAS_CONTROL_CHARACTER = /\p{Cc}/u;
// The shape iam.users_email_check enforces.
const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/u;

function cleanName(value: string | null, claim: string): string | null {
  if (value === null) return null;
  if (LONE_SURROGATE.test(value)) {
    throw new InvalidClaimsError({ claim, reason: 'not well-formed Unicode (a lone surrogate)' });
  }
  const cleaned = [...value.replace(CONTROL_CHARACTERS, '').trim()].slice(0, MAX_NAME_LENGTH).join('').trim();
  return cleaned === '' ? null : cleaned;
}

/**
 * The profile as it may be stored, by the rules of ADR 0031: a subject or e-mail the directory cannot hold
 * exactly is refused; names are cleaned (control characters, NUL included, removed; cut to
 * `MAX_NAME_LENGTH` code points; blank becomes null) but refused when they hold a lone surrogate, which no
 * cleaning could turn back into the intended text. Idempotent.
 *
 * @throws {InvalidClaimsError} naming the claim (`sub`, `email`, `given_name`, `family_name`) and the reason
 */
export function cleanProfile(profile: UserProfile): UserProfile {
  const { cognitoSub, email } = profile;
  if (LONE_SURROGATE.test(cognitoSub) || HAS_CONTROL_CHARACTER.test(cognitoSub)) {
    throw new InvalidClaimsError({ claim: 'sub', reason: 'not printable text' });
  }
  if (LONE_SURROGATE.test(email) || HAS_CONTROL_CHARACTER.test(email)) {
    throw new InvalidClaimsError({ claim: 'email', reason: 'not printable text' });
  }
  if ([...email].length > MAX_EMAIL_LENGTH) {
    throw new InvalidClaimsError({ claim: 'email', reason: `longer than ${MAX_EMAIL_LENGTH} characters` });
  }
  if (!EMAIL_SHAPE.test(email)) {
    throw new InvalidClaimsError({ claim: 'email', reason: 'not an e-mail address' });
  }
  return {
    ...profile,
    firstName: cleanName(profile.firstName, 'given_name'),
    lastName: cleanName(profile.lastName, 'family_name'),
  };
}

/**
 * Creates or updates the `iam.users` row of a Cognito identity through `iam.sync_user()`: race-safe (advisory
 * locks on the subject and the e-mail serialise concurrent first requests), claims the placeholder row of an
 * invitation to the same e-mail, keeps e-mail and names in step with the most recent claims (by `issuedAt`,
 * so of two overlapping syncs with different e-mails the later token's wins), and activates pending
 * invitations. The profile goes through
 * `cleanProfile()` first.
 *
 * @throws {InvalidClaimsError} a claim the directory cannot store (see `cleanProfile()`)
 * @throws {UserSyncConflictError} the e-mail already belongs to another identity
 * @throws {UserDirectoryUnavailableError} the database cannot be reached
 */
export async function syncUser(db: SqlExecutor, input: UserProfile): Promise<SyncedUser> {
  const profile = cleanProfile(input);
  let rows: { user_id: string; created: boolean; invitations_accepted: number }[];
  try {
    ({ rows } = await db.query<{ user_id: string; created: boolean; invitations_accepted: number }>(
      'SELECT user_id, created, invitations_accepted FROM iam.sync_user($1, $2, $3, $4, to_timestamp($5))',
      [profile.cognitoSub, profile.email, profile.firstName, profile.lastName, profile.issuedAt ?? null],
    ));
  } catch (error) {
    // Everything sync_user writes comes from the token: a data exception (class 22) or a CHECK violation the
    // rules above did not foresee is still the token's claim, not a server fault.
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && (code.startsWith('22') || code === '23514')) {
      throw new InvalidClaimsError({
        claim: 'profile',
        reason: 'a value the user directory cannot store',
        cause: error,
      });
    }
    throw translateDatabaseError(error);
  }
  const [row] = rows;
  if (rows.length !== 1 || row === undefined)
    throw new Error(`iam.sync_user returned ${rows.length} rows, expected 1`);
  return { userId: row.user_id, created: row.created, invitationsAccepted: Number(row.invitations_accepted) };
}

const isMembershipStatus = (value: unknown): value is MembershipStatus =>
  typeof value === 'string' && (MEMBERSHIP_STATUSES as readonly string[]).includes(value);

/**
 * Every membership of a user, whatever its status, through `iam.user_memberships()` (the one read that
 * legitimately crosses organisations).
 *
 * @throws {UserDirectoryUnavailableError} the database cannot be reached
 */
export async function loadMemberships(db: SqlExecutor, userId: string): Promise<OrganisationMembership[]> {
  let rows: {
    organisation_id: string;
    organisation_name: string;
    organisation_slug: string;
    role: unknown;
    status: unknown;
  }[];
  try {
    ({ rows } = await db.query<{
      organisation_id: string;
      organisation_name: string;
      organisation_slug: string;
      role: unknown;
      status: unknown;
    }>(
      'SELECT organisation_id, organisation_name, organisation_slug, role, status FROM iam.user_memberships($1)',
      [userId],
    ));
  } catch (error) {
    throw translateDatabaseError(error);
  }
  const memberships: OrganisationMembership[] = [];
  for (const row of rows) {
    // The table's CHECK constraints guarantee both; a value this version does not know grants nothing.
    if (!isRole(row.role) || !isMembershipStatus(row.status)) continue;
    memberships.push({
      organisationId: row.organisation_id,
      organisationName: row.organisation_name,
      organisationSlug: row.organisation_slug,
      role: row.role,
      status: row.status,
    });
  }
  return memberships;
}
