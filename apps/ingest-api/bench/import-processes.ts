import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TestDatabase } from '@prospectflow/test-harness';
import type { BenchServices } from './lib/services.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface WorkerProcess {
  pid: number;
  /** SIGTERM (the worker rolls back and releases its job, then exits; a CPU profile is written then). */
  stop(): Promise<void>;
}

/**
 * `src/worker.ts` as production runs it: a process of its own, with its own pool, connecting as
 * prospectflow_app through pgBouncer. Its configuration is parsed from the environment like the API's.
 */
export function startWorkerProcess(
  services: BenchServices,
  db: TestDatabase,
  options: { cpuProfileDir?: string; environment?: Record<string, string> } = {},
): WorkerProcess {
  const execArgv = ['--import', 'tsx'];
  if (options.cpuProfileDir !== undefined)
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  const child: ChildProcess = spawn(process.execPath, [...execArgv, 'src/worker.ts'], {
    cwd: APP_DIR,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.appUrl,
      REDIS_URL: services.redisUrl,
      COGNITO_USER_POOL_ID: 'eu-west-3_BenchPool1',
      COGNITO_CLIENT_ID: 'bench-client',
      ...options.environment,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface Memory {
  /** Resident set now, MiB. */
  rssMb: number;
  /** The process's peak resident set so far (VmHWM), MiB. */
  peakMb: number;
}

/** VmRSS and VmHWM of a process from /proc (Linux); zeros once it is gone. */
export async function memoryOf(pid: number): Promise<Memory> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: 0, peakMb: 0 };
  }
}
