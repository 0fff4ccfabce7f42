import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ServerSpec =
  | {
      kind: 'api';
      /** The environment the API's configuration is parsed from, as a process manager would give it. */
      environment: Record<string, string>;
    }
  | { kind: 'bare'; databaseUrl: string; poolMax: number; organisationId: string }
  | { kind: 'bare-tenant'; databaseUrl: string; poolMax: number; organisationId: string; userId: string };

export interface ServerProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));

/**
 * Starts a server in a child process and resolves once it listens. `cpuProfileDir` makes Node write a
 * `.cpuprofile` there when the child stops.
 */
export async function startServerProcess(
  spec: ServerSpec,
  options: { cpuProfileDir?: string } = {},
): Promise<ServerProcess> {
  const execArgv = ['--import', 'tsx'];
  if (options.cpuProfileDir !== undefined)
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  const child: ChildProcess = fork(CHILD, [], {
    execArgv,
    // Express reads NODE_ENV from the process; the API's own configuration comes from spec.environment.
    env: { ...process.env, NODE_ENV: 'production', PF_BENCH_SERVER: JSON.stringify(spec) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) =>
      reject(new Error(`${spec.kind} server exited with code ${code} before listening`)),
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
