// `npm test`: installs what is missing, then runs every test against real PostgreSQL, Redis and a private
// pgBouncer (tools/test-harness). With --check it first runs what CI checks besides tests.
import { ensureInstalled, log, pnpm } from './bootstrap.mjs';

const args = process.argv.slice(2);
const check = args.includes('--check');
const vitestArgs = args.filter((arg) => arg !== '--check');

ensureInstalled();

if (check) {
  for (const step of [['lint'], ['format:check'], ['typecheck']]) {
    log(`pnpm ${step.join(' ')}`);
    const status = pnpm(['run', ...step]);
    if (status !== 0) process.exit(status);
  }
}

log('running tests on real PostgreSQL, Redis and pgBouncer');
process.exit(pnpm(['exec', 'tsx', 'tools/test-harness/src/cli.ts', '--', ...vitestArgs]));
