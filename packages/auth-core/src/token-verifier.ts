import { readFile } from 'node:fs/promises';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidGroupError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwkInvalidKtyError,
  JwkInvalidUseError,
  JwksNotAvailableInCacheError,
  JwksValidationError,
  JwkValidationError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import {
  assertIsJwks,
  SimpleJwksCache,
  type Jwks,
  type JwksCache,
  type JwkWithKid,
} from 'aws-jwt-verify/jwk';
import type { Fetcher } from 'aws-jwt-verify/https';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import type { DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { userPoolRegion } from './environment.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import {
  AuthConfigurationError,
  AuthError,
  InvalidClaimsError,
  InvalidClientError,
  InvalidIssuerError,
  InvalidSignatureError,
  InvalidTokenUseError,
  JwksUnavailableError,
  MalformedTokenError,
  MissingGroupError,
  TokenExpiredError,
  TokenNotYetValidError,
  TokenRevokedError,
  UnknownSigningKeyError,
  UnsupportedAlgorithmError,
} from './error.js';

/** One Cognito user pool whose tokens are accepted. Every security option is given, or `null` on purpose. */
export interface UserPoolConfig {
  /** e.g. `eu-west-3_AbCdEf123`. */
  userPoolId: string;
  /** Accepted app client id(s): `aud` of ID tokens, `client_id` of access tokens. `null` accepts any client. */
  clientId: string | readonly string[] | null;
  /** `id`, `access`, or `null` to accept both. */
  tokenUse: 'id' | 'access' | null;
  /** At least one of these must be in `cognito:groups`; `null` for no group requirement. */
  groups: string | readonly string[] | null;
  /**
   * Outside production only: a JWKS JSON file used instead of the pool's JWKS URL (tokens of the local issuer
   * or of a test harness). Loaded by `hydrate()`; the network is then never used for this pool.
   */
  jwksFile?: string;
}

/** What the rest of the package needs from a verified token. The raw token is not kept. */
export interface VerifiedToken {
  /** `origin_jti` (shared by the ID and access tokens of one sign-in and their refreshes), else `jti`. */
  sessionId: string;
  sub: string;
  tokenUse: 'id' | 'access';
  issuer: string;
  userPoolId: string;
  /** `aud` of an ID token or `client_id` of an access token. */
  clientId: string;
  username: string | null;
  groups: readonly string[];
  /** Access tokens: the OAuth scopes. Empty for ID tokens. */
  scopes: readonly string[];
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  /** When the user signed in (`auth_time`, else `iat`); constant across refreshed tokens. */
  authTime: number;
  /** ID tokens only. */
  email: string | null;
  emailVerified: boolean;
  givenName: string | null;
  familyName: string | null;
}

export interface TokenVerifierOptions {
  userPools: readonly UserPoolConfig[];
  graceSeconds: number;
  /** The deny-list lookup, run once the signature and claims are valid. */
  isRevoked: (sessionId: string) => Promise<boolean>;
  /**
   * How many verified tokens to remember until their expiry, so that the next request with the same token
   * skips the signature and claim checks (never the deny-list). 0 turns it off. Default 10,000.
   */
  cacheSize?: number;
  /** How remote JWKS are fetched; tests give one that answers from memory. Default: HTTPS. */
  jwksFetcher?: Fetcher;
}

export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

export interface TokenVerifier {
  /**
   * Verifies signature, issuer, client, token use, groups, time claims and the deny-list.
   *
   * @throws {TokenError} a subclass naming why the token is refused
   * @throws {MissingGroupError} the token lacks every required group
   * @throws {JwksUnavailableError} the user pool's keys cannot be loaded
   * @throws {SessionStoreUnavailableError} the deny-list cannot be read
   */
  verify(token: string): Promise<VerifiedToken>;
  /**
   * `verify()` without the deny-list, for a caller that reads the deny-list itself together with the session
   * (one Redis round trip): the token it returns may have been revoked.
   *
   * @throws {TokenError} as `verify()`, except TokenRevokedError
   * @throws {MissingGroupError}
   * @throws {JwksUnavailableError}
   */
  verifyClaims(token: string): Promise<VerifiedToken>;
  /**
   * Loads JWKS files and fetches the JWKS of every remote pool. Call at start; retry until it resolves.
   *
   * @throws {JwksUnavailableError} a remote pool's JWKS could not be fetched
   * @throws {AuthConfigurationError} a JWKS file is missing or not a JWKS
   */
  hydrate(): Promise<void>;
  /** True once every pool's keys are in memory. */
  jwksReady(): boolean;
}

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A JWKS cache that serves some URIs from memory only (JWKS files), never fetching them, and says when keys
 * are (re)loaded: a key set that changed may no longer hold the key a remembered token was verified with.
 */
class LocalFirstJwksCache implements JwksCache {
  readonly #remote: SimpleJwksCache;
  readonly #localUris = new Set<string>();
  readonly #onKeysLoaded: () => void;

  constructor(onKeysLoaded: () => void, fetcher: Fetcher | undefined) {
    this.#remote = new SimpleJwksCache(fetcher === undefined ? {} : { fetcher });
    this.#onKeysLoaded = onKeysLoaded;
  }

  addLocal(jwksUri: string): void {
    this.#localUris.add(jwksUri);
  }

  getJwk(jwksUri: string, decomposedJwt: DecomposedJwt): Promise<JwkWithKid> {
    if (this.#localUris.has(jwksUri)) {
      return Promise.resolve().then(() => this.#remote.getCachedJwk(jwksUri, decomposedJwt));
    }
    try {
      return Promise.resolve(this.#remote.getCachedJwk(jwksUri, decomposedJwt));
    } catch {
      // Not in memory: aws-jwt-verify fetches the pool's JWKS again (an unknown kid, a rotation).
      return this.#remote.getJwk(jwksUri, decomposedJwt).finally(this.#onKeysLoaded);
    }
  }

  getCachedJwk(jwksUri: string, decomposedJwt: DecomposedJwt): JwkWithKid {
    return this.#remote.getCachedJwk(jwksUri, decomposedJwt);
  }

  addJwks(jwksUri: string, jwks: Jwks): void {
    this.#remote.addJwks(jwksUri, jwks);
    this.#onKeysLoaded();
  }

  getJwks(jwksUri: string): Promise<Jwks> {
    return this.#remote.getJwks(jwksUri).finally(this.#onKeysLoaded);
  }
}

function issuersOf(userPoolId: string): string[] {
  const region = userPoolRegion(userPoolId) ?? '';
  // aws-jwt-verify 5.2 also accepts Cognito's newer global issuer format.
  return [
    `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`,
    `https://issuer-cognito-idp.${region}.amazonaws.com/${userPoolId}`,
  ];
}

const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const optionalString = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Translates aws-jwt-verify's errors to this package's; their messages (which quote claims) are dropped. */
export function translateVerifierError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof JwtExpiredError) return new TokenExpiredError();
  if (error instanceof JwtNotBeforeError) return new TokenNotYetValidError();
  if (error instanceof JwtInvalidIssuerError) return new InvalidIssuerError();
  if (error instanceof CognitoJwtInvalidClientIdError || error instanceof JwtInvalidAudienceError) {
    return new InvalidClientError();
  }
  if (error instanceof CognitoJwtInvalidTokenUseError) return new InvalidTokenUseError();
  if (error instanceof CognitoJwtInvalidGroupError) return new MissingGroupError();
  if (error instanceof JwtInvalidSignatureAlgorithmError) return new UnsupportedAlgorithmError();
  if (error instanceof JwtInvalidSignatureError) return new InvalidSignatureError();
  if (
    error instanceof KidNotFoundInJwksError ||
    error instanceof JwtWithoutValidKidError ||
    error instanceof WaitPeriodNotYetEndedJwkError ||
    error instanceof JwkValidationError ||
    error instanceof JwkInvalidUseError ||
    error instanceof JwkInvalidKtyError
  ) {
    return new UnknownSigningKeyError();
  }
  if (
    error instanceof FetchError ||
    error instanceof JwksValidationError ||
    error instanceof JwksNotAvailableInCacheError
  ) {
    return new JwksUnavailableError({ cause: error });
  }
  if (error instanceof JwtInvalidClaimError) return new InvalidClaimsError();
  // JwtParseError, and anything crypto throws on a hostile key/token combination: a bad token, not a 500.
  return new MalformedTokenError();
}

function checkRequiredClaims(payload: JwtPayload, graceSeconds: number, nowSeconds: number): void {
  // aws-jwt-verify treats exp as optional; Cognito always sets exp, iat, sub and jti, so their absence means
  // the token was not minted by Cognito.
  if (!isFiniteNumber(payload.exp) || !isFiniteNumber(payload.iat)) throw new InvalidClaimsError();
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 128) {
    throw new InvalidClaimsError();
  }
  const sessionId = payload['origin_jti'] ?? payload.jti;
  if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId)) throw new InvalidClaimsError();
  if (payload['auth_time'] !== undefined && !isFiniteNumber(payload['auth_time'])) {
    throw new InvalidClaimsError();
  }
  // Cognito sets no nbf; a token issued in the future (beyond the clock-skew grace) is not valid yet either.
  if (payload.iat - graceSeconds > nowSeconds) throw new TokenNotYetValidError();
}

function toVerifiedToken(payload: JwtPayload, userPoolId: string): VerifiedToken {
  const tokenUse = payload['token_use'] === 'id' ? 'id' : 'access';
  const audience = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
  const clientId = tokenUse === 'id' ? audience : payload['client_id'];
  const groups = payload['cognito:groups'];
  const emailVerified = payload['email_verified'];
  const iat = payload.iat as number;
  return {
    sessionId: (payload['origin_jti'] ?? payload.jti) as string,
    sub: payload.sub as string,
    tokenUse,
    issuer: payload.iss as string,
    userPoolId,
    clientId: typeof clientId === 'string' ? clientId : '',
    username: optionalString(payload['cognito:username'] ?? payload['username']),
    groups: Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : [],
    scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
    issuedAt: iat,
    expiresAt: payload.exp as number,
    authTime: isFiniteNumber(payload['auth_time']) ? payload['auth_time'] : iat,
    email: optionalString(payload['email']),
    // Federated identities get the string "true" from Cognito.
    emailVerified: emailVerified === true || emailVerified === 'true',
    givenName: optionalString(payload['given_name']),
    familyName: optionalString(payload['family_name']),
  };
}

/**
 * Builds the one verifier of the process on aws-jwt-verify's `CognitoJwtVerifier` (options were checked by
 * `createAuth()`).
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  // aws-jwt-verify checks exp against Date.now, so the cache does too.
  const cache = new VerifiedTokenCache(options.cacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE, Date.now);
  const jwksCache = new LocalFirstJwksCache(() => cache.clear(), options.jwksFetcher);
  const poolByIssuer = new Map<string, string>();
  for (const pool of options.userPools) {
    for (const issuer of issuersOf(pool.userPoolId)) {
      poolByIssuer.set(issuer, pool.userPoolId);
      if (pool.jwksFile !== undefined) jwksCache.addLocal(`${issuer}/.well-known/jwks.json`);
    }
  }
  const { graceSeconds } = options;
  const verifier = CognitoJwtVerifier.create(
    options.userPools.map((pool) => ({
      userPoolId: pool.userPoolId,
      clientId:
        pool.clientId === null || typeof pool.clientId === 'string' ? pool.clientId : [...pool.clientId],
      tokenUse: pool.tokenUse,
      groups: pool.groups === null || typeof pool.groups === 'string' ? pool.groups : [...pool.groups],
      graceSeconds,
      includeRawJwtInErrors: false,
      customJwtCheck: ({ payload }: { payload: JwtPayload }) =>
        checkRequiredClaims(payload, graceSeconds, Date.now() / 1000),
    })),
    { jwksCache },
  );
  const hydrated = new Set<string>();

  async function verifyClaims(token: string): Promise<VerifiedToken> {
    const remembered = cache.get(token);
    if (remembered !== undefined) return remembered;
    let payload: JwtPayload;
    try {
      // aws-jwt-verify reports an unknown issuer as a parameter error (and quotes it); decide it here first.
      const { payload: unverified } = decomposeUnverifiedJwt(token);
      if (typeof unverified.iss !== 'string' || !poolByIssuer.has(unverified.iss)) {
        throw new InvalidIssuerError();
      }
      payload = await verifier.verify(token);
    } catch (error) {
      if (error instanceof JwtParseError) throw new MalformedTokenError();
      throw translateVerifierError(error);
    }
    const userPoolId = poolByIssuer.get(payload.iss as string) as string;
    const verified = toVerifiedToken(payload, userPoolId);
    cache.set(token, verified);
    return verified;
  }

  return {
    async verify(token) {
      const accepted = await verifyClaims(token);
      // The deny-list is part of verification (aws-jwt-verify knows nothing of logouts), checked on every
      // call, cached token or not. It runs last so a token that is invalid anyway is refused without touching
      // the session store.
      if (await options.isRevoked(accepted.sessionId)) throw new TokenRevokedError();
      return accepted;
    },

    verifyClaims,

    async hydrate() {
      await Promise.all(
        options.userPools.map(async (pool) => {
          if (hydrated.has(pool.userPoolId)) return;
          if (pool.jwksFile !== undefined) {
            let jwks: unknown;
            try {
              jwks = JSON.parse(await readFile(pool.jwksFile, 'utf8'));
              assertIsJwks(jwks as Parameters<typeof assertIsJwks>[0]);
            } catch (error) {
              const reason = error instanceof Error ? error.message : String(error);
              throw new AuthConfigurationError([
                `jwksFile of ${pool.userPoolId} is not a readable JWKS: ${reason}`,
              ]);
            }
            verifier.cacheJwks(jwks as Jwks, pool.userPoolId);
          } else {
            const [regional] = issuersOf(pool.userPoolId);
            try {
              await jwksCache.getJwks(`${regional}/.well-known/jwks.json`);
            } catch (error) {
              throw new JwksUnavailableError({ cause: error });
            }
          }
          hydrated.add(pool.userPoolId);
        }),
      );
    },

    jwksReady() {
      return hydrated.size === options.userPools.length;
    },
  };
}
