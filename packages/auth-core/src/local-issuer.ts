import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AuthEnvironment, isAuthEnvironment, userPoolIssuer, userPoolRegion } from './environment.js';
import { AuthConfigurationError } from './error.js';

// Development and test only (SPEC §4.6): signs Cognito-shaped tokens with a local RSA key so that the embedded
// default and the tests authenticate without AWS. The verifier loads the matching JWKS through its `jwksFile`
// option. Production refuses both ends.

export interface LocalIssuerOptions {
  /** Must not be `production`: the issuer refuses to exist there. */
  environment: AuthEnvironment;
  /** A Cognito-shaped user pool id; it decides `iss` (`https://cognito-idp.<region>.amazonaws.com/<id>`). */
  userPoolId: string;
  /** The app client id: `aud` of ID tokens, `client_id` of access tokens. */
  clientId: string;
  /** An RSA private key to sign with; a fresh 2048-bit key is generated when absent. */
  privateKey?: KeyObject;
}

export interface MintOptions {
  sub: string;
  /** Default: the sub. */
  username?: string;
  email?: string;
  /** Default true. */
  emailVerified?: boolean;
  givenName?: string;
  familyName?: string;
  groups?: readonly string[];
  /** Seconds since the epoch. Default: now. */
  issuedAt?: number;
  /** Seconds since the epoch. Default: `issuedAt`. Constant across the tokens of one sign-in. */
  authTime?: number;
  /** Default 3600, like Cognito's default token validity. */
  expiresInSeconds?: number;
  /** Constant across the tokens of one sign-in, as with Cognito. Default: a new UUID. */
  originJti?: string;
  jti?: string;
  /** Not set by Cognito; only for tests of `nbf`. */
  notBefore?: number;
  /** Access tokens only. Default `aws.cognito.signin.user.admin`. */
  scope?: string;
  /** Claims added last, overriding the computed ones (`undefined` removes one). For tests of bad tokens. */
  claims?: Record<string, unknown>;
}

export interface Jwks {
  keys: JsonWebKey[];
}

interface KeyFile {
  kid: string;
  privateKey: JsonWebKey;
}

const base64url = (input: string | Buffer) => Buffer.from(input).toString('base64url');

/** RFC 7638 thumbprint of an RSA public key, used as `kid` so the same key always gets the same id. */
function thumbprint(publicJwk: JsonWebKey): string {
  const canonical = JSON.stringify({ e: publicJwk.e, kty: 'RSA', n: publicJwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

function check(options: LocalIssuerOptions): void {
  const problems: string[] = [];
  if (!isAuthEnvironment(options.environment))
    problems.push('environment must be production, development or test');
  if (options.environment === 'production') {
    problems.push('the local token issuer is for development and tests only; production uses Cognito');
  }
  if (typeof options.userPoolId !== 'string' || userPoolRegion(options.userPoolId) === null) {
    problems.push('userPoolId must look like a Cognito user pool id, e.g. eu-west-3_LocalDev1');
  }
  if (typeof options.clientId !== 'string' || options.clientId === '') problems.push('clientId is required');
  if (problems.length > 0) throw new AuthConfigurationError(problems);
}

/** Mints Cognito-shaped RS256 ID and access tokens from a local key pair (development and tests only). */
export class LocalTokenIssuer {
  readonly userPoolId: string;
  readonly clientId: string;
  readonly issuer: string;
  readonly kid: string;
  readonly #privateKey: KeyObject;
  readonly #publicJwk: JsonWebKey;

  private constructor(options: LocalIssuerOptions & { privateKey: KeyObject }) {
    this.userPoolId = options.userPoolId;
    this.clientId = options.clientId;
    this.issuer = userPoolIssuer(options.userPoolId);
    this.#privateKey = options.privateKey;
    const publicJwk = createPublicKey(options.privateKey).export({ format: 'jwk' });
    this.kid = thumbprint(publicJwk);
    this.#publicJwk = { kty: 'RSA', n: publicJwk.n, e: publicJwk.e, kid: this.kid, alg: 'RS256', use: 'sig' };
  }

  /**
   * @throws {AuthConfigurationError} in production, or with a malformed user pool id or client id
   */
  static create(options: LocalIssuerOptions): LocalTokenIssuer {
    check(options);
    const privateKey = options.privateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    if (privateKey.asymmetricKeyType !== 'rsa') {
      throw new AuthConfigurationError(['privateKey must be an RSA private key']);
    }
    return new LocalTokenIssuer({ ...options, privateKey });
  }

  /**
   * Loads the signing key from `keyFile`, or generates one and writes it there (mode 0600) when the file does
   * not exist, so development tokens survive restarts.
   *
   * @throws {AuthConfigurationError} in production, or when the file exists but holds no RSA private key
   */
  static async fromKeyFile(
    keyFile: string,
    options: Omit<LocalIssuerOptions, 'privateKey'>,
  ): Promise<LocalTokenIssuer> {
    check(options);
    let text: string | null = null;
    try {
      text = await readFile(keyFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === null) {
      const issuer = LocalTokenIssuer.create(options);
      await mkdir(path.dirname(keyFile), { recursive: true });
      const content: KeyFile = { kid: issuer.kid, privateKey: issuer.#privateKey.export({ format: 'jwk' }) };
      await writeFile(keyFile, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
      return issuer;
    }
    let privateKey: KeyObject;
    try {
      const parsed = JSON.parse(text) as Partial<KeyFile>;
      privateKey = createPrivateKey({ key: parsed.privateKey ?? {}, format: 'jwk' });
    } catch {
      throw new AuthConfigurationError([`${keyFile} does not hold a private JWK`]);
    }
    return LocalTokenIssuer.create({ ...options, privateKey });
  }

  /** The public JWKS, as Cognito serves it at `<issuer>/.well-known/jwks.json`. */
  jwks(): Jwks {
    return { keys: [{ ...this.#publicJwk }] };
  }

  /** Writes the public JWKS to a file, for the verifier's `jwksFile` option (or another service's). */
  async writeJwksFile(file: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(this.jwks(), null, 2)}\n`);
  }

  /** An ID token: carries the e-mail and names, `aud` is the client id. */
  mintIdToken(options: MintOptions): string {
    const base = this.#baseClaims(options);
    return this.sign({
      ...base,
      aud: this.clientId,
      token_use: 'id',
      'cognito:username': options.username ?? options.sub,
      email: options.email,
      email_verified: options.email === undefined ? undefined : (options.emailVerified ?? true),
      given_name: options.givenName,
      family_name: options.familyName,
      ...options.claims,
    });
  }

  /** An access token: no e-mail or names (as with Cognito), `client_id` and `scope` instead of `aud`. */
  mintAccessToken(options: MintOptions): string {
    const base = this.#baseClaims(options);
    return this.sign({
      ...base,
      client_id: this.clientId,
      token_use: 'access',
      scope: options.scope ?? 'aws.cognito.signin.user.admin',
      username: options.username ?? options.sub,
      ...options.claims,
    });
  }

  /**
   * Signs any payload with RS256 and this issuer's `kid` (header fields can be overridden). For tests that
   * need tokens Cognito would never issue.
   */
  sign(payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
    const fullHeader = { kid: this.kid, alg: 'RS256', ...header };
    const body = Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined));
    const input = `${base64url(JSON.stringify(fullHeader))}.${base64url(JSON.stringify(body))}`;
    const signature = sign('RSA-SHA256', Buffer.from(input), this.#privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }

  #baseClaims(options: MintOptions): Record<string, unknown> {
    const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
    return {
      sub: options.sub,
      iss: this.issuer,
      'cognito:groups': options.groups && options.groups.length > 0 ? [...options.groups] : undefined,
      origin_jti: options.originJti ?? randomUUID(),
      event_id: randomUUID(),
      auth_time: options.authTime ?? issuedAt,
      iat: issuedAt,
      nbf: options.notBefore,
      exp: issuedAt + (options.expiresInSeconds ?? 3600),
      jti: options.jti ?? randomUUID(),
    };
  }
}
