import path from 'node:path';
import { LocalTokenIssuer } from '@prospectflow/auth-core/local-issuer';

export const LOCAL_USER_POOL_ID = 'eu-west-3_LocalDev1';
export const LOCAL_CLIENT_ID = 'local-dev-client';

/** The development signing key, kept under the git-ignored data folder so tokens survive restarts. */
export async function localIssuer(dataDir: string): Promise<{ issuer: LocalTokenIssuer; jwksFile: string }> {
  const issuer = await LocalTokenIssuer.fromKeyFile(path.join(dataDir, 'dev-keys', 'signing-key.json'), {
    environment: 'development',
    userPoolId: LOCAL_USER_POOL_ID,
    clientId: LOCAL_CLIENT_ID,
  });
  const jwksFile = path.join(dataDir, 'dev-keys', 'jwks.json');
  await issuer.writeJwksFile(jwksFile);
  return { issuer, jwksFile };
}

export function devToken(issuer: LocalTokenIssuer, email: string): string {
  const name = email.split('@')[0] ?? 'dev';
  return issuer.mintIdToken({
    sub: `local-${email.toLowerCase()}`,
    email,
    givenName: name.charAt(0).toUpperCase() + name.slice(1),
    familyName: 'Developer',
    expiresInSeconds: 12 * 3600,
  });
}
