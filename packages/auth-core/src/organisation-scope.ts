import {
  InvalidOrganisationIdError,
  NoOrganisationError,
  NotOrganisationMemberError,
  OrganisationRequiredError,
} from './error.js';
import { activeMemberships, type OrganisationMembership } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks and normalises (lower case) an organisation id taken from a request.
 *
 * @throws {InvalidOrganisationIdError} not a UUID
 */
export function parseOrganisationId(value: string): string {
  if (!UUID.test(value)) throw new InvalidOrganisationIdError();
  return value.toLowerCase();
}

/**
 * The organisation a request acts in: the requested one if given, else the session's active organisation,
 * else the only active membership. Only `active` memberships count.
 *
 * @param requested the `X-Organisation-Id` header, already parsed, or null
 * @throws {NotOrganisationMemberError} the requested organisation is not an active membership
 * @throws {NoOrganisationError} the user has no active membership at all
 * @throws {OrganisationRequiredError} several active memberships and nothing chooses one
 */
export function resolveOrganisation(
  memberships: readonly OrganisationMembership[],
  requested: string | null,
  preferred: string | null,
): OrganisationMembership {
  const active = activeMemberships(memberships);
  if (requested !== null) {
    const membership = active.find((candidate) => candidate.organisationId === requested);
    if (membership === undefined) throw new NotOrganisationMemberError(requested);
    return membership;
  }
  // A preference the user has since lost (removed, disabled) is ignored rather than refused: they did not
  // ask for it in this request.
  const preferredMembership = active.find((candidate) => candidate.organisationId === preferred);
  if (preferredMembership !== undefined) return preferredMembership;
  const [only] = active;
  if (only === undefined) throw new NoOrganisationError();
  if (active.length > 1) throw new OrganisationRequiredError();
  return only;
}

/** Like `resolveOrganisation` without a requested organisation, but null instead of an error. */
export function defaultOrganisation(
  memberships: readonly OrganisationMembership[],
  preferred: string | null,
): OrganisationMembership | null {
  try {
    return resolveOrganisation(memberships, null, preferred);
  } catch {
    return null;
  }
}
