// Shared by the README's two commands. Runs on a machine that has only Node and npm: finds pnpm (or runs the
// pinned version through npx) and installs the workspace when node_modules is missing or stale.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const pinned = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).packageManager; // pnpm@x.y.z
const pinnedMajor = pinned.split('@')[1].split('.')[0];

export function log(line) {
  process.stdout.write(`[prospectflow] ${line}\n`);
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' });
  if (probe.status === 0 && probe.stdout.trim().split('.')[0] === pinnedMajor) return ['pnpm'];
  return ['npx', '--yes', pinned];
}

export function pnpm(args, options = {}) {
  const [command, ...prefix] = pnpmCommand();
  const result = spawnSync(command, [...prefix, ...args], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, COREPACK_ENABLE_STRICT: '0' },
    ...options,
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** Installs dependencies unless node_modules is newer than the lockfile and every manifest. */
export function ensureInstalled() {
  const marker = path.join(repoRoot, 'node_modules', '.modules.yaml');
  const inputs = ['pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml'].map((f) => path.join(repoRoot, f));
  const fresh =
    existsSync(marker) &&
    inputs.every((input) => !existsSync(input) || statSync(input).mtimeMs <= statSync(marker).mtimeMs);
  if (fresh) return;
  log('installing dependencies (pnpm install --frozen-lockfile)');
  const status = pnpm(['install', '--frozen-lockfile', '--reporter=append-only']);
  if (status !== 0) {
    log('pnpm install failed');
    process.exit(status);
  }
}
