import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { pgbouncerDir } from '@prospectflow/infra-postgres';
import { harnessEnv } from './env.js';
import { freePort, waitForPort } from './services.js';
import { ensureDebianTool } from './system-tools.js';

const run = promisify(execFile);
/**
 * Finds pgBouncer, installing it from Debian's packages when it is missing and we may (root with apt-get).
 */
export function ensurePgBouncer(log: (line: string) => void): Promise<string> {
  return ensureDebianTool({
    binary: 'pgbouncer',
    debianPackage: 'pgbouncer',
    candidates: ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'],
    log,
  });
}

export interface PgBouncerOptions {
  binary: string;
  runtimeDir: string;
  /** The `[databases]` section body, e.g. `* = host=127.0.0.1 port=5432`. */
  databases: string;
  appPassword: string;
  readonlyPassword?: string;
  adminPassword: string;
  poolSize?: number;
  maxClientConn?: number;
  port?: number;
  queryWaitTimeoutSeconds?: number;
}

export interface PgBouncerInstance {
  readonly port: number;
  readonly dir: string;
  stop(): Promise<void>;
  /** Stops and starts again on the same port (fault tests). */
  restart(): Promise<void>;
}

/**
 * Starts a private pgBouncer in transaction mode from the committed template and userlist script. Runs as the
 * `postgres` OS user when started by root, because pgBouncer refuses to run as root.
 */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncerInstance> {
  const port = options.port ?? (await freePort());
  const dir = path.join(options.runtimeDir, `pgbouncer-${port}`);
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  const authFile = path.join(dir, 'userlist.txt');
  await run(path.join(pgbouncerDir, 'write-userlist.sh'), [authFile], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      PROSPECTFLOW_APP_PASSWORD: options.appPassword,
      PROSPECTFLOW_READONLY_PASSWORD: options.readonlyPassword ?? '',
      PGBOUNCER_ADMIN_PASSWORD: options.adminPassword,
    },
  });
  const template = await readFile(path.join(pgbouncerDir, 'pgbouncer.ini.template'), 'utf8');
  const values: Record<string, string> = {
    DATABASES: options.databases,
    LISTEN_ADDR: '127.0.0.1',
    LISTEN_PORT: String(port),
    DEFAULT_POOL_SIZE: String(options.poolSize ?? 25),
    MAX_CLIENT_CONN: String(options.maxClientConn ?? 100),
    AUTH_FILE: authFile,
    QUERY_WAIT_TIMEOUT: String(options.queryWaitTimeoutSeconds ?? 30),
  };
  let config = template.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`pgbouncer.ini.template uses an unknown placeholder ${name}`);
    return value;
  });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    config += '\nuser = postgres\n';
    // After dropping privileges pgBouncer re-reads the auth file on reload.
    await chmod(authFile, 0o644);
  }
  const configFile = path.join(dir, 'pgbouncer.ini');
  await writeFile(configFile, config, { mode: 0o644 });
  const logFile = path.join(dir, 'pgbouncer.log');

  let child: ChildProcess;
  const start = async () => {
    const log = await open(logFile, 'a');
    child = spawn(options.binary, [configFile], { stdio: ['ignore', log.fd, log.fd] });
    await log.close();
    child.on('error', () => undefined);
    await waitForPort(port, { name: 'pgBouncer', child, output: () => readFile(logFile, 'utf8') });
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    port,
    dir,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

/** A private pgBouncer for one test file (a tight pool, or one to stop and restart), using the run's secrets. */
export async function startTestPgBouncer(
  options: { poolSize?: number; queryWaitTimeoutSeconds?: number } = {},
): Promise<PgBouncerInstance> {
  const env = harnessEnv();
  const server = new URL(env.adminUrl);
  return startPgBouncer({
    binary: await ensurePgBouncer(() => undefined),
    runtimeDir: env.runtimeDir,
    databases: `* = host=${server.hostname} port=${server.port || '5432'}`,
    appPassword: env.appPassword,
    readonlyPassword: env.readonlyPassword,
    adminPassword: env.pgbouncerAdminPassword,
    ...options,
  });
}
