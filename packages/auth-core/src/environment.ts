/**
 * Where the process runs. `production` refuses everything that only makes sense on a developer's machine or
 * in tests: the in-process session store, JWKS files and the local token issuer.
 */
export type AuthEnvironment = 'production' | 'development' | 'test';

export const AUTH_ENVIRONMENTS: readonly AuthEnvironment[] = ['production', 'development', 'test'];

export function isAuthEnvironment(value: unknown): value is AuthEnvironment {
  return typeof value === 'string' && (AUTH_ENVIRONMENTS as readonly string[]).includes(value);
}

// Same shape as aws-jwt-verify's check, kept here so the local issuer does not load the verifier.
const USER_POOL_ID = /^(?<region>(?:eusc-[a-z]{2}|[a-z]{2})-(?:gov-)?[a-z]+-\d)_[a-zA-Z0-9]+$/;

/** The region of a Cognito user pool id (`eu-west-3_AbC123` → `eu-west-3`), or null when it is not one. */
export function userPoolRegion(userPoolId: string): string | null {
  return USER_POOL_ID.exec(userPoolId)?.groups?.['region'] ?? null;
}

/** The `iss` claim Cognito puts in the tokens of a user pool. */
export function userPoolIssuer(userPoolId: string): string {
  const region = userPoolRegion(userPoolId);
  if (region === null) throw new Error('not a Cognito user pool id');
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}
