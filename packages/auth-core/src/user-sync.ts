import { UserDirectoryUnavailableError, UserSyncConflictError } from './error.js';
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

/**
 * Creates or updates the `iam.users` row of a Cognito identity through `iam.sync_user()`: race-safe (an
 * advisory lock serialises concurrent first requests), claims the placeholder row of an invitation to the
 * same e-mail, keeps e-mail and names in step, and activates pending invitations.
 *
 * @throws {UserSyncConflictError} the e-mail already belongs to another identity
 * @throws {UserDirectoryUnavailableError} the database cannot be reached
 */
export async function syncUser(db: SqlExecutor, profile: UserProfile): Promise<SyncedUser> {
  let rows: { user_id: string; created: boolean; invitations_accepted: number }[];
  try {
    ({ rows } = await db.query<{ user_id: string; created: boolean; invitations_accepted: number }>(
      'SELECT user_id, created, invitations_accepted FROM iam.sync_user($1, $2, $3, $4)',
      [profile.cognitoSub, profile.email, profile.firstName, profile.lastName],
    ));
  } catch (error) {
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
