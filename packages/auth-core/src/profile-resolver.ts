import { ProfileUnavailableError } from './error.js';

/** The identity fields user sync needs. */
export interface ResolvedProfile {
  email: string | null;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
}

/**
 * Finds the e-mail and names of an identity that signed in with an access token (Cognito access tokens carry
 * no e-mail). Called once per sign-in, when the session is created; never for ID tokens.
 */
export interface ProfileResolver {
  /**
   * @throws {ProfileUnavailableError} the profile source cannot be reached
   */
  resolve(identity: {
    sub: string;
    userPoolId: string;
    username: string | null;
    accessToken: string;
  }): Promise<ResolvedProfile>;
}

export interface UserInfoProfileResolverOptions {
  /** The user pool domain's userInfo endpoint, e.g. `https://auth.example.com/oauth2/userInfo`. */
  userInfoUrl: string;
  /** Default 3000. */
  timeoutMs?: number;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * A resolver that asks Cognito's `/oauth2/userInfo` endpoint with the access token. The token needs the
 * `openid` scope (and `email`, `profile` for those fields). The answer's `sub` must match the token's.
 */
export function createUserInfoProfileResolver(options: UserInfoProfileResolverOptions): ProfileResolver {
  const url = new URL(options.userInfoUrl);
  const timeoutMs = options.timeoutMs ?? 3000;
  return {
    async resolve(identity) {
      let body: Record<string, unknown>;
      try {
        const response = await fetch(url, {
          headers: { Authorization: `Bearer ${identity.accessToken}`, Accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) throw new Error(`userInfo answered ${response.status}`);
        body = (await response.json()) as Record<string, unknown>;
      } catch (error) {
        throw new ProfileUnavailableError({ cause: error });
      }
      if (body['sub'] !== identity.sub) {
        throw new ProfileUnavailableError({ cause: new Error('userInfo answered for another subject') });
      }
      const verified = body['email_verified'];
      return {
        email: text(body['email']),
        emailVerified: verified === true || verified === 'true',
        firstName: text(body['given_name']),
        lastName: text(body['family_name']),
      };
    },
  };
}
