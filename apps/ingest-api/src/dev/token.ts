import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { devToken, localIssuer } from './local-keys.js';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));

/** `pnpm dev:token [email]`: prints an ID token of the local issuer that `npm start` trusts. */
const email = process.argv[2] ?? 'dev@prospectflow.local';
if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
  process.stderr.write(`not an e-mail address: ${email}\n`);
  process.exit(2);
}
const { issuer } = await localIssuer(path.join(repoRoot, '.data'));
process.stdout.write(`${devToken(issuer, email)}\n`);
