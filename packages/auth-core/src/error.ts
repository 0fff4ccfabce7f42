import type { AuthProblemCode, Role } from './types.js';

// Messages are fixed text. They never include the token, a claim value or anything else taken from the
// request, so an error can be logged or rendered whole without leaking credentials.

/** Base class of every error this package throws. Tell them apart with `instanceof` or `code`. */
export abstract class AuthError extends Error {
  abstract readonly code: AuthProblemCode | 'configuration_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid options given to a `create*()` function. Thrown at start, never for a request. */
export class AuthConfigurationError extends AuthError {
  readonly code = 'configuration_error';
  /** Every problem found, so one failed start lists them all. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid auth configuration:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}

/** The request carries no usable bearer token or the token is not acceptable: answered with 401. */
export abstract class TokenError extends AuthError {
  abstract override readonly code: AuthProblemCode;
}

/** No `Authorization` header. RFC 6750: the challenge carries no error code. */
export class MissingTokenError extends TokenError {
  readonly code = 'missing_token';
  constructor() {
    super('The request has no Authorization header; send `Authorization: Bearer <token>`');
  }
}

/** An `Authorization` header with another scheme than Bearer (Basic, Digest...). */
export class UnsupportedAuthSchemeError extends TokenError {
  readonly code = 'unsupported_scheme';
  constructor() {
    super('Only the Bearer authorization scheme is accepted');
  }
}

export class MalformedTokenError extends TokenError {
  readonly code = 'malformed_token';
  constructor(options?: { cause?: unknown }) {
    super('The bearer token is not a well-formed JWT', options);
  }
}

export class TokenTooLargeError extends TokenError {
  readonly code = 'token_too_large';
  readonly maxLength: number;
  constructor(maxLength: number) {
    super(`The Authorization header is longer than the ${maxLength} characters accepted`);
    this.maxLength = maxLength;
  }
}

export class TokenExpiredError extends TokenError {
  readonly code = 'token_expired';
  constructor() {
    super('The token has expired');
  }
}

export class TokenNotYetValidError extends TokenError {
  readonly code = 'token_not_yet_valid';
  constructor() {
    super('The token is not valid yet');
  }
}

export class InvalidSignatureError extends TokenError {
  readonly code = 'invalid_signature';
  constructor() {
    super('The token signature does not verify');
  }
}

/** The header names an algorithm other than the signing key's (alg `none`, HS256 with the RSA public key...). */
export class UnsupportedAlgorithmError extends TokenError {
  readonly code = 'unsupported_algorithm';
  constructor() {
    super('The token is not signed with the algorithm of its key');
  }
}

/** No `kid`, or a `kid` that is not in the user pool's JWKS. */
export class UnknownSigningKeyError extends TokenError {
  readonly code = 'unknown_key';
  constructor() {
    super('The token is not signed by a known key of the user pool');
  }
}

export class InvalidIssuerError extends TokenError {
  readonly code = 'invalid_issuer';
  constructor() {
    super('The token was not issued by a configured user pool');
  }
}

/** `aud` (ID token) or `client_id` (access token) is not a configured app client. */
export class InvalidClientError extends TokenError {
  readonly code = 'invalid_client';
  constructor() {
    super('The token was not issued to a configured app client');
  }
}

export class InvalidTokenUseError extends TokenError {
  readonly code = 'invalid_token_use';
  constructor() {
    super('This kind of token (ID or access) is not accepted here');
  }
}

/**
 * A claim Cognito always sets is missing or has the wrong type (sub, exp, iat, jti...), or a profile claim
 * cannot be stored (an e-mail longer than 320 characters, a name with a lone surrogate: ADR 0031).
 */
export class InvalidClaimsError extends TokenError {
  readonly code = 'invalid_claims';
  /** The claim at fault when known (`email`, `given_name`...), else null. */
  readonly claim: string | null;
  /** Why it was refused, as fixed text (never the value). */
  readonly reason: string | null;
  constructor(options: { claim?: string; reason?: string; cause?: unknown } = {}) {
    super(
      options.claim === undefined
        ? 'The token lacks a required claim or has an invalid one'
        : `The token's ${options.claim} claim cannot be used: ${options.reason ?? 'invalid value'}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.claim = options.claim ?? null;
    this.reason = options.reason ?? null;
  }
}

/** The session of this token was logged out: its `origin_jti` is on the deny-list. */
export class TokenRevokedError extends TokenError {
  readonly code = 'token_revoked';
  constructor() {
    super('The session of this token has been logged out; sign in again');
  }
}

export class SessionExpiredError extends TokenError {
  readonly code = 'session_expired';
  /** `idle`: inactive too long; `absolute`: maximum lifetime reached; `ended`: logged out or gone meanwhile. */
  readonly reason: 'idle' | 'absolute' | 'ended';
  constructor(reason: 'idle' | 'absolute' | 'ended') {
    super(
      reason === 'idle'
        ? 'The session ended after a period of inactivity; sign in again'
        : reason === 'absolute'
          ? 'The session reached its maximum lifetime; sign in again'
          : 'The session has ended; sign in again',
    );
    this.reason = reason;
  }
}

/** The stored session belongs to another identity than the token (never expected from Cognito tokens). */
export class SessionMismatchError extends TokenError {
  readonly code = 'session_mismatch';
  constructor() {
    super('The token does not belong to the session it names');
  }
}

/** An access token arrived before any session exists and no profile resolver is configured to get the e-mail. */
export class IdTokenRequiredError extends TokenError {
  readonly code = 'id_token_required';
  constructor() {
    super('Start the session with the ID token: access tokens do not carry the e-mail needed to sign in');
  }
}

/**
 * More than one `Authorization` header: answered with 400 (RFC 6750 §3.1 `invalid_request`, "repeats the same
 * parameter"). Node keeps only the first in `req.headers` while a proxy or another framework may keep the last,
 * so honouring either would let a forged header ride along with a valid one.
 */
export class DuplicateAuthorizationError extends AuthError {
  readonly code = 'duplicate_authorization';
  constructor() {
    super('The request has more than one Authorization header; send exactly one');
  }
}

/** The caller is authenticated but not allowed: answered with 403. */
export abstract class ForbiddenError extends AuthError {
  abstract override readonly code: AuthProblemCode;
}

/** The token lacks every group the user pool configuration requires. */
export class MissingGroupError extends ForbiddenError {
  readonly code = 'missing_group';
  constructor() {
    super('The user is not in a group allowed to use this service');
  }
}

/**
 * The identity has no verified e-mail. Invitations are accepted by e-mail, so an unverified address could
 * claim someone else's invitation.
 */
export class EmailNotVerifiedError extends ForbiddenError {
  readonly code = 'email_not_verified';
  constructor() {
    super('The account has no verified e-mail address');
  }
}

/** The requested organisation is not one the user is an active member of. Logged as `cross_tenant_attempt`. */
export class NotOrganisationMemberError extends ForbiddenError {
  readonly code = 'not_a_member';
  readonly organisationId: string;
  constructor(organisationId: string) {
    super('The user is not an active member of the requested organisation');
    this.organisationId = organisationId;
  }
}

/** The user is not an active member of any organisation. */
export class NoOrganisationError extends ForbiddenError {
  readonly code = 'no_organisation';
  constructor() {
    super('The user is not an active member of any organisation yet');
  }
}

export class InsufficientRoleError extends ForbiddenError {
  readonly code = 'insufficient_role';
  readonly requiredRole: Role;
  readonly actualRole: Role;
  constructor(requiredRole: Role, actualRole: Role) {
    super(`This action needs the ${requiredRole} role or higher`);
    this.requiredRole = requiredRole;
    this.actualRole = actualRole;
  }
}

/** The request itself is wrong about the organisation: answered with 400. */
export abstract class OrganisationRequestError extends AuthError {
  abstract override readonly code: AuthProblemCode;
}

export class InvalidOrganisationIdError extends OrganisationRequestError {
  readonly code = 'invalid_organisation_id';
  constructor() {
    super('The organisation id must be a UUID');
  }
}

/** Several organisations and no way to choose one: the client must say which. */
export class OrganisationRequiredError extends OrganisationRequestError {
  readonly code = 'organisation_required';
  constructor() {
    super(
      'The user belongs to several organisations: send the X-Organisation-Id header or choose an active organisation',
    );
  }
}

/** The token's e-mail already belongs to another user (`iam.users.email` is unique): answered with 409. */
export class UserSyncConflictError extends AuthError {
  readonly code = 'user_sync_conflict';
  constructor(options?: { cause?: unknown }) {
    super('The e-mail address of this account is already used by another user', options);
  }
}

/** A dependency the request needs is down: answered with 503, never 500 and never as unauthenticated. */
export abstract class DependencyUnavailableError extends AuthError {
  abstract override readonly code: AuthProblemCode;
}

/** Redis (or the configured session store) did not answer. */
export class SessionStoreUnavailableError extends DependencyUnavailableError {
  readonly code = 'session_store_unavailable';
  constructor(options?: { cause?: unknown }) {
    super('The session store is unavailable', options);
  }
}

/** PostgreSQL did not answer during user sync or membership loading. */
export class UserDirectoryUnavailableError extends DependencyUnavailableError {
  readonly code = 'user_directory_unavailable';
  constructor(options?: { cause?: unknown }) {
    super('The user directory is unavailable', options);
  }
}

/** The profile resolver (e.g. Cognito's userInfo endpoint) did not answer. */
export class ProfileUnavailableError extends DependencyUnavailableError {
  readonly code = 'profile_unavailable';
  constructor(options?: { cause?: unknown }) {
    super('The user profile could not be fetched', options);
  }
}

/** The user pool's keys could not be loaded (Cognito unreachable, or `hydrate()` not run yet). */
export class JwksUnavailableError extends DependencyUnavailableError {
  readonly code = 'jwks_unavailable';
  constructor(options?: { cause?: unknown }) {
    super("The user pool's signing keys are not available", options);
  }
}
