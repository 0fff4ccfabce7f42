// Refreshes the disposable-mail domain list the e-mail rule uses (npm package disposable-email-domains-js,
// a dependency of @prospectflow/ingest-api) and reports what changed. See doc/data-rules.md and ADR 0030.
//
//   node scripts/refresh-disposable-domains.mjs           update to the latest version, report the change
//   node scripts/refresh-disposable-domains.mjs --check   report only; exit 1 when a newer version exists
//
// Exit codes: 0 done (or up to date), 1 a newer version exists (--check), 2 bad usage, 3 a step failed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { log, pnpm, repoRoot } from './bootstrap.mjs';

const PACKAGE = 'disposable-email-domains-js';
const WORKSPACE = '@prospectflow/ingest-api';
const appDir = path.join(repoRoot, 'apps', 'ingest-api');
const allowlistFile = path.join(
  appDir,
  'src',
  'components',
  'crm',
  'rules',
  'data',
  'disposable-allowlist.json',
);

const usage = `usage: node scripts/refresh-disposable-domains.mjs [--check] [--help]

Without options, updates ${PACKAGE} in ${WORKSPACE} to its latest version (package.json and
pnpm-lock.yaml change), then prints the domains added and removed and the allow-listed domains the new list
contains (they stay allowed). With --check, changes nothing and exits 1 when a newer version exists.`;

let options;
try {
  options = parseArgs({ options: { check: { type: 'boolean' }, help: { type: 'boolean' } } }).values;
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

function fail(message) {
  process.stderr.write(`[prospectflow] ${message}\n`);
  process.exit(3);
}

/** The installed version and domain list, read in a fresh process through the package's public API. */
function installed() {
  const program = `const list = require(${JSON.stringify(PACKAGE)});
    const version = require(${JSON.stringify(`${PACKAGE}/package.json`)}).version;
    process.stdout.write(JSON.stringify({ version, domains: list.disposableEmailBlocklist() }));`;
  const result = spawnSync(process.execPath, ['-e', program], { cwd: appDir, encoding: 'utf8' });
  if (result.status !== 0) fail(`cannot load ${PACKAGE} from ${appDir}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout);
}

function latestVersion() {
  const result = spawnSync('npm', ['view', PACKAGE, 'version'], { encoding: 'utf8' });
  if (result.status !== 0) fail(`npm view ${PACKAGE} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

function allowlisted(domains) {
  const allowlist = JSON.parse(readFileSync(allowlistFile, 'utf8')).domains;
  const listed = new Set(domains);
  return allowlist.filter((domain) => listed.has(domain));
}

const before = installed();
const latest = latestVersion();
log(`${PACKAGE}: ${before.version} installed (${before.domains.length} domains), ${latest} on the registry`);

if (options.check) {
  const overlap = allowlisted(before.domains);
  if (overlap.length > 0)
    log(`allow-listed domains on the current list (kept allowed): ${overlap.join(', ')}`);
  if (latest === before.version) {
    log('up to date');
    process.exit(0);
  }
  log('a newer list exists: run this script without --check');
  process.exit(1);
}

if (latest !== before.version) {
  const status = pnpm(['--filter', WORKSPACE, 'update', '--latest', PACKAGE]);
  if (status !== 0) fail(`pnpm update exited with ${status}`);
}
const after = installed();
const previous = new Set(before.domains);
const current = new Set(after.domains);
const added = after.domains.filter((domain) => !previous.has(domain));
const removed = before.domains.filter((domain) => !current.has(domain));

log(`${PACKAGE}: ${before.version} -> ${after.version}, ${after.domains.length} domains`);
log(
  `added ${added.length}${added.length > 0 ? `: ${added.slice(0, 20).join(', ')}${added.length > 20 ? ', …' : ''}` : ''}`,
);
log(
  `removed ${removed.length}${removed.length > 0 ? `: ${removed.slice(0, 20).join(', ')}${removed.length > 20 ? ', …' : ''}` : ''}`,
);
const overlap = allowlisted(after.domains);
if (overlap.length > 0) {
  log(`allow-listed domains the list now contains (they stay allowed): ${overlap.join(', ')}`);
}
if (after.version !== before.version) {
  log('next: cd apps/ingest-api && npx vitest run src/components/crm/rules, then update the count and');
  log('date in doc/data-rules.md and commit apps/ingest-api/package.json and pnpm-lock.yaml');
}
