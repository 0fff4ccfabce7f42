import { execFileSync } from 'node:child_process';

/**
 * Every Dockerfile of the repository, tracked or new (git's view, so node_modules and ignored files stay out):
 * a Dockerfile added later is linted without anyone remembering to list it.
 */
export function findDockerfiles(repoRoot: string): string[] {
  const output = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*Dockerfile', '*Dockerfile.*'],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  return [...new Set(output.split('\n').filter((line) => line.length > 0))].sort();
}
