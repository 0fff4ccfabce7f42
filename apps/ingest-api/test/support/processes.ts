import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.js';

const APP_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** A real process of the API or the worker, as a process manager would run it (`node src/server.ts`). */
export interface AppProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) once the process has ended. */
  readonly exited: Promise<number | null>;
  /** The end of what it printed (its JSON log lines), for failure messages. */
  output(): string;
  /** Sends a signal and waits for the exit; SIGKILL after `timeoutMs`. Resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

const running = new Set<AppProcess>();

function start(entry: 'src/server.ts' | 'src/worker.ts', environment: Record<string, string>): AppProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: APP_DIR,
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: AppProcess = {
    child,
    exited,
    output: () => output,
    stop: async (signal = 'SIGTERM', timeoutMs = 15_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** An API server process; resolves once it listens and its readiness is green (signing keys loaded). */
export async function startApiProcess(
  environment: Record<string, string>,
): Promise<AppProcess & { url: string }> {
  const proc = start('src/server.ts', { ...environment, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API did not listen:\n${proc.output()}`)), 60_000);
    const look = () => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(proc.output());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    proc.child.stdout?.on('data', look);
    void proc.exited.then(() => reject(new Error(`the API exited:\n${proc.output()}`)));
  });
  // It listens before the signing keys are loaded; a load balancer waits for readiness, so do we.
  await eventually(
    async () => {
      const res = await fetch(new URL('/health/ready', url));
      if (res.status !== 200) throw new Error(`readiness ${res.status}`);
    },
    60_000,
    100,
  );
  return Object.assign(proc, { url });
}

/** An import worker process (`node src/worker.ts`). */
export function startWorkerProcess(environment: Record<string, string>): AppProcess {
  return start('src/worker.ts', { LOG_LEVEL: 'info', ...environment });
}

/** Kills whatever a test left running (afterAll, also after a failure). */
export async function killAllProcesses(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.stop('SIGKILL', 5000)));
}
