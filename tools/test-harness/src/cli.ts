import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTemplate, dropRunDatabases, dropStaleDatabases } from './databases.js';
import { HARNESS_ENV } from './env.js';
import { ensurePgBouncer, startPgBouncer } from './pgbouncer.js';
import { DEFAULT_ADMIN_URL, DEFAULT_REDIS_URL, findPostgres, findRedis, redact } from './services.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const log = (line: string) => process.stdout.write(`[harness] ${line}\n`);

/**
 * Provisions real services for the whole test run, then runs vitest with the run's coordinates in its
 * environment: PostgreSQL and Redis are found, pgBouncer is installed if missing and started on a free port,
 * and one migrated template database is built for test files to clone.
 */
async function main(): Promise<number> {
  const vitestArgs = process.argv.slice(2).filter((arg) => arg !== '--');
  // The harness is the process boundary of the test run: it is where the environment is read.
  const adminUrl = process.env['PF_TEST_ADMIN_URL'] ?? DEFAULT_ADMIN_URL;
  const redisUrl = process.env['PF_TEST_REDIS_URL'] ?? DEFAULT_REDIS_URL;
  const runtimeDir = path.join(repoRoot, '.test-runtime');
  await mkdir(runtimeDir, { recursive: true });

  const [pgVersion, redisVersion] = await Promise.all([findPostgres(adminUrl), findRedis(redisUrl)]);
  log(`PostgreSQL ${pgVersion} at ${redact(adminUrl)}; Redis ${redisVersion} at ${redisUrl}`);
  const binary = await ensurePgBouncer(log);

  const runId = String(process.pid);
  const templateDb = `pf_tpl_${runId}_0`;
  const ownerRole = 'prospectflow_owner';
  const appPassword = randomBytes(18).toString('base64url');
  const readonlyPassword = randomBytes(18).toString('base64url');
  const pgbouncerAdminPassword = randomBytes(18).toString('base64url');

  await dropStaleDatabases(adminUrl, log);
  await buildTemplate({ adminUrl, ownerRole, templateDb, appPassword, readonlyPassword, log });

  const server = new URL(adminUrl);
  const bouncer = await startPgBouncer({
    binary,
    runtimeDir,
    databases: `* = host=${server.hostname} port=${server.port || '5432'}`,
    appPassword,
    readonlyPassword,
    adminPassword: pgbouncerAdminPassword,
    poolSize: 10,
    maxClientConn: 400,
  });
  log(`pgBouncer (transaction pooling) on 127.0.0.1:${bouncer.port}`);

  const env = {
    ...process.env,
    [HARNESS_ENV.adminUrl]: adminUrl,
    [HARNESS_ENV.ownerRole]: ownerRole,
    [HARNESS_ENV.templateDb]: templateDb,
    [HARNESS_ENV.runId]: runId,
    [HARNESS_ENV.pgbouncerPort]: String(bouncer.port),
    [HARNESS_ENV.appPassword]: appPassword,
    [HARNESS_ENV.readonlyPassword]: readonlyPassword,
    [HARNESS_ENV.pgbouncerAdminPassword]: pgbouncerAdminPassword,
    [HARNESS_ENV.redisUrl]: redisUrl,
    [HARNESS_ENV.runtimeDir]: runtimeDir,
  };

  const vitest = spawn(
    process.execPath,
    [path.join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', ...vitestArgs],
    {
      cwd: repoRoot,
      env,
      stdio: 'inherit',
    },
  );
  const forward = (signal: NodeJS.Signals) => vitest.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) =>
    vitest.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))),
  );

  await bouncer.stop();
  await dropRunDatabases(adminUrl, runId);
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[harness] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
