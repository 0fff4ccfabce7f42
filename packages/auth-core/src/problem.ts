import type { ErrorRequestHandler, Request, Response } from 'express';
import {
  AuthConfigurationError,
  AuthError,
  DependencyUnavailableError,
  DuplicateAuthorizationError,
  ForbiddenError,
  InsufficientRoleError,
  MissingTokenError,
  OrganisationRequestError,
  TokenError,
  UnsupportedAuthSchemeError,
  UserSyncConflictError,
} from './error.js';
import type { AuthProblem, AuthProblemCode } from './types.js';

/** Default prefix of the problem `type` URI; the code is appended. */
export const DEFAULT_PROBLEM_TYPE_BASE = 'https://prospectflow.dev/problems/';

const TITLES: Record<AuthProblemCode, string> = {
  missing_token: 'Authentication required',
  duplicate_authorization: 'Several Authorization headers',
  unsupported_scheme: 'Unsupported authorization scheme',
  malformed_token: 'Malformed token',
  token_too_large: 'Token too large',
  token_expired: 'Token expired',
  token_not_yet_valid: 'Token not yet valid',
  invalid_signature: 'Invalid token signature',
  unsupported_algorithm: 'Unsupported token algorithm',
  unknown_key: 'Unknown signing key',
  invalid_issuer: 'Invalid token issuer',
  invalid_client: 'Invalid token client',
  invalid_token_use: 'Wrong kind of token',
  invalid_claims: 'Invalid token claims',
  token_revoked: 'Token revoked',
  session_expired: 'Session expired',
  session_mismatch: 'Session mismatch',
  id_token_required: 'ID token required',
  missing_group: 'Group required',
  email_not_verified: 'E-mail not verified',
  invalid_organisation_id: 'Invalid organisation id',
  organisation_required: 'Organisation required',
  no_organisation: 'No organisation',
  not_a_member: 'Not a member of this organisation',
  insufficient_role: 'Insufficient role',
  user_sync_conflict: 'Account conflict',
  session_store_unavailable: 'Session store unavailable',
  user_directory_unavailable: 'User directory unavailable',
  profile_unavailable: 'User profile unavailable',
  jwks_unavailable: 'Signing keys unavailable',
};

/** Seconds a client should wait before retrying after a 503. */
const RETRY_AFTER_SECONDS = '5';

export interface AuthProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: AuthProblem;
}

export interface ProblemOptions {
  /** Prefix of `type`; default `https://prospectflow.dev/problems/` (the API's). */
  typeBase?: string;
  /** The request path (no query string). */
  instance?: string;
  requestId?: string;
}

/**
 * The HTTP answer for an auth error: status, headers (`WWW-Authenticate` per RFC 6750 for 401, `Retry-After`
 * for 503) and an RFC 9457 body whose `code` names the reason. The one mapping of this package, exported so an
 * API's central error handler answers exactly like `authErrorHandler()`.
 *
 * | errors | status |
 * |---|---|
 * | `TokenError` subclasses (missing, malformed, expired, revoked, session expired...) | 401 |
 * | `ForbiddenError` subclasses (not a member, insufficient role, missing group, unverified e-mail) | 403 |
 * | `DuplicateAuthorizationError` (more than one `Authorization` header) | 400 |
 * | `OrganisationRequestError` subclasses (malformed organisation id, organisation required) | 400 |
 * | `UserSyncConflictError` | 409 |
 * | `DependencyUnavailableError` subclasses (session store, user directory, JWKS, profile) | 503 |
 *
 * Returns null for an `AuthConfigurationError`, which is a start-up failure, not a request's.
 */
export function toAuthProblem(error: AuthError, options: ProblemOptions = {}): AuthProblemResponse | null {
  if (error instanceof AuthConfigurationError) return null;
  const code = error.code as AuthProblemCode;
  const headers: Record<string, string> = {};
  let status: number;
  if (error instanceof TokenError) {
    status = 401;
    // RFC 6750 §3.1: no error code when the request carried no (Bearer) credentials at all.
    headers['WWW-Authenticate'] =
      error instanceof MissingTokenError || error instanceof UnsupportedAuthSchemeError
        ? 'Bearer'
        : `Bearer error="invalid_token", error_description="${error.message.replace(/["\\]/g, '')}"`;
  } else if (error instanceof DuplicateAuthorizationError) {
    status = 400;
    headers['WWW-Authenticate'] = `Bearer error="invalid_request", error_description="${error.message}"`;
  } else if (error instanceof ForbiddenError) {
    status = 403;
  } else if (error instanceof OrganisationRequestError) {
    status = 400;
  } else if (error instanceof UserSyncConflictError) {
    status = 409;
  } else if (error instanceof DependencyUnavailableError) {
    status = 503;
    headers['Retry-After'] = RETRY_AFTER_SECONDS;
  } else {
    return null;
  }
  const body: AuthProblem = {
    type: `${options.typeBase ?? DEFAULT_PROBLEM_TYPE_BASE}${code}`,
    title: TITLES[code],
    status,
    detail: error.message,
    ...(options.instance === undefined ? {} : { instance: options.instance }),
    ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
    code,
    ...(error instanceof InsufficientRoleError ? { requiredRole: error.requiredRole } : {}),
  };
  return { status, headers, body };
}

/**
 * The request id of a request: `req.id` (set by pino-http) or the `X-Request-Id` response header an earlier
 * middleware set. The incoming header is never trusted directly.
 */
export function defaultRequestId(req: Request, res: Response): string | undefined {
  const id = (req as { id?: unknown }).id;
  if (typeof id === 'string' || typeof id === 'number') return String(id);
  const header = res.getHeader('x-request-id');
  return typeof header === 'string' ? header : undefined;
}

/** The path of a request without its query string (which could carry secrets). */
export function requestPath(req: Request): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
}

export interface AuthErrorHandlerOptions {
  typeBase?: string;
  requestId?: (req: Request, res: Response) => string | undefined;
}

/**
 * An Express error middleware that answers auth errors as problem+json (see `toAuthProblem`) and passes
 * every other error on with `next(error)`. Mount it after the routes, before the application's own handler.
 */
export function authErrorHandler(options: AuthErrorHandlerOptions = {}): ErrorRequestHandler {
  const requestIdOf = options.requestId ?? defaultRequestId;
  return (error: unknown, req, res, next) => {
    if (!(error instanceof AuthError) || res.headersSent) {
      next(error);
      return;
    }
    const requestId = requestIdOf(req, res);
    const problem = toAuthProblem(error, {
      ...(options.typeBase === undefined ? {} : { typeBase: options.typeBase }),
      instance: requestPath(req),
      ...(requestId === undefined ? {} : { requestId }),
    });
    if (problem === null) {
      next(error);
      return;
    }
    res.statusCode = problem.status;
    for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
    res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(JSON.stringify(problem.body));
  };
}
