import {
  DuplicateAuthorizationError,
  MalformedTokenError,
  MissingTokenError,
  TokenTooLargeError,
  UnsupportedAuthSchemeError,
} from './error.js';

/** Default cap on the token length. Cognito tokens are 1-2 KB; many groups make them grow, not 8 KB. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

const SCHEME = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?: +(.*))?$/s;
// RFC 6750 b64token; a JWT only ever uses the base64url subset and dots.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Extracts the token of an `Authorization: Bearer <token>` header. Other schemes, a token in the query string
 * or in a cookie are not accepted. Give every `Authorization` header the request carried (Node's
 * `req.headersDistinct.authorization`), not `req.headers.authorization`, which silently keeps the first.
 *
 * @throws {DuplicateAuthorizationError} more than one header
 * @throws {MissingTokenError} no header at all
 * @throws {TokenTooLargeError} the header is longer than `maxLength` plus the scheme
 * @throws {UnsupportedAuthSchemeError} another scheme than Bearer
 * @throws {MalformedTokenError} a Bearer header without a single well-formed token
 */
export function extractBearerToken(
  headers: string | readonly string[] | undefined,
  maxLength: number,
): string {
  if (Array.isArray(headers) && headers.length > 1) throw new DuplicateAuthorizationError();
  const header: string | undefined = typeof headers === 'string' ? headers : headers?.[0];
  if (header === undefined || header === '') throw new MissingTokenError();
  // Checked before any parsing so an oversized header costs nothing more than its length.
  if (header.length > maxLength + 'Bearer '.length) throw new TokenTooLargeError(maxLength);
  const match = SCHEME.exec(header.trim());
  if (!match) throw new MalformedTokenError();
  if (match[1]?.toLowerCase() !== 'bearer') throw new UnsupportedAuthSchemeError();
  const token = match[2]?.trim() ?? '';
  if (token === '' || !B64TOKEN.test(token)) throw new MalformedTokenError();
  if (token.length > maxLength) throw new TokenTooLargeError(maxLength);
  return token;
}
