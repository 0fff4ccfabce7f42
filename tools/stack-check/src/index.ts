import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export * from './compose.js';
export * from './discover.js';
export * from './dockerfile.js';
export * from './env-file.js';
export * from './interpolation.js';
export * from './workflow.js';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** The files of the stack a user would deploy, relative to the repository root. */
export const STACK_FILES = {
  compose: 'infra/docker-compose.yaml',
  envExample: 'infra/.env.example',
  readme: 'README.md',
  workflow: '.github/workflows/ci.yml',
  ciRun: '.ci/run',
  dockerfiles: [
    'apps/ingest-api/Dockerfile',
    'infra/Dockerfile.migrate',
    'infra/postgres/pgbouncer/Dockerfile',
  ],
} as const;

export const readRepoFile = (relative: string): Promise<string> =>
  readFile(path.join(repoRoot, relative), 'utf8');

/** The exact pnpm version of the root package.json's `packageManager` (`pnpm@x.y.z`). */
export async function pinnedPnpmVersion(): Promise<string> {
  const manifest = JSON.parse(await readRepoFile('package.json')) as { packageManager?: string };
  const version = manifest.packageManager?.split('@')[1];
  if (!version) throw new Error('package.json has no packageManager pnpm@x.y.z');
  return version;
}
