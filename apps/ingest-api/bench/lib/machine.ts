import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import type { BenchServices } from './services.js';

const run = promisify(execFile);

async function output(command: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args);
    return (stdout || stderr).trim();
  } catch {
    return 'unknown';
  }
}

/** The lines a result needs to be read later: machine, versions, commit, date and the load when it started. */
export async function describeMachine(services: BenchServices): Promise<string> {
  const [commit, dirty, bouncer] = await Promise.all([
    output('git', ['rev-parse', '--short', 'HEAD']),
    output('git', ['status', '--porcelain', '--untracked-files=no']),
    output('pgbouncer', ['--version']),
  ]);
  const cpus = os.cpus();
  return [
    `date: ${new Date().toISOString()}`,
    `commit: ${commit}${dirty === '' ? '' : ' (with uncommitted changes in the work tree)'}`,
    `machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `${os.type()} ${os.release()}`,
    `versions: Node ${process.versions.node}, PostgreSQL ${services.pgVersion}, Redis ${services.redisVersion}, ` +
      `${bouncer.split('\n')[0] ?? 'pgBouncer'}`,
    `load average at start: ${os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} (other processes share these cores)`,
  ].join('\n');
}
