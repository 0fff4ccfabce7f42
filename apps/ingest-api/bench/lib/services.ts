import { randomBytes } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  buildTemplate,
  createTestDatabase,
  DEFAULT_ADMIN_URL,
  DEFAULT_REDIS_URL,
  dropRunDatabases,
  dropStaleDatabases,
  ensurePgBouncer,
  findPostgres,
  findRedis,
  HARNESS_ENV,
  startPgBouncer,
  withAdmin,
  withCredentials,
  type PgBouncerInstance,
  type TestDatabase,
} from '@prospectflow/test-harness';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));

export interface BenchServices {
  adminUrl: string;
  redisUrl: string;
  pgVersion: string;
  redisVersion: string;
  bouncer: PgBouncerInstance;
  /** A fresh database cloned from the run's migrated template, as every test file gets one. */
  createDatabase(): Promise<TestDatabase>;
  /**
   * A login role with BYPASSRLS and the given privileges in `db` (e.g. `SELECT ON crm.companies`), added to
   * the pgBouncer auth file, for the bare baseline: it reads through the same pooler as the API, without
   * row-level security. Dropped by `close()`.
   */
  bypassRlsUrl(db: TestDatabase, privileges: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

export const BYPASS_ROLE = 'pf_bench_bypassrls';
const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);

/**
 * What the test harness provisions for a test run, for a benchmark run: PostgreSQL and Redis found, a migrated
 * template database (the harness's own `buildTemplate`), and a private pgBouncer in transaction pooling mode
 * with the harness's pool size. Databases are cloned with the harness's `createTestDatabase`, which reads the
 * run's coordinates from the same environment variables the harness gives to test files.
 */
export async function startBenchServices(): Promise<BenchServices> {
  const adminUrl = process.env[HARNESS_ENV.adminUrl] ?? DEFAULT_ADMIN_URL;
  const redisUrl = process.env[HARNESS_ENV.redisUrl] ?? DEFAULT_REDIS_URL;
  const runtimeDir = path.join(repoRoot, '.test-runtime');
  await mkdir(runtimeDir, { recursive: true });
  const [pgVersion, redisVersion] = await Promise.all([findPostgres(adminUrl), findRedis(redisUrl)]);
  const binary = await ensurePgBouncer(log);

  const runId = String(process.pid);
  const templateDb = `pf_tpl_${runId}_0`;
  const ownerRole = 'prospectflow_owner';
  const secret = () => randomBytes(18).toString('base64url');
  const appPassword = secret();
  const readonlyPassword = secret();
  const adminPassword = secret();
  await dropStaleDatabases(adminUrl, log);
  await buildTemplate({ adminUrl, ownerRole, templateDb, appPassword, readonlyPassword, log });

  const server = new URL(adminUrl);
  const bouncer = await startPgBouncer({
    binary,
    runtimeDir,
    databases: `* = host=${server.hostname} port=${server.port || '5432'}`,
    appPassword,
    readonlyPassword,
    adminPassword,
    poolSize: 10,
    maxClientConn: 400,
  });
  log(`pgBouncer (transaction pooling) on 127.0.0.1:${bouncer.port}`);
  Object.assign(process.env, {
    [HARNESS_ENV.adminUrl]: adminUrl,
    [HARNESS_ENV.ownerRole]: ownerRole,
    [HARNESS_ENV.templateDb]: templateDb,
    [HARNESS_ENV.runId]: runId,
    [HARNESS_ENV.pgbouncerPort]: String(bouncer.port),
    [HARNESS_ENV.appPassword]: appPassword,
    [HARNESS_ENV.readonlyPassword]: readonlyPassword,
    [HARNESS_ENV.pgbouncerAdminPassword]: adminPassword,
    [HARNESS_ENV.redisUrl]: redisUrl,
    [HARNESS_ENV.runtimeDir]: runtimeDir,
  });

  let bypassPassword: string | null = null;
  return {
    adminUrl,
    redisUrl,
    pgVersion,
    redisVersion,
    bouncer,
    createDatabase: () => createTestDatabase(),
    async bypassRlsUrl(db, privileges) {
      if (bypassPassword === null) {
        const password = secret();
        await withAdmin(adminUrl, async (admin) => {
          await admin.query(`DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${BYPASS_ROLE}') THEN
                CREATE ROLE ${BYPASS_ROLE} LOGIN BYPASSRLS NOSUPERUSER;
              END IF;
            END $$`);
          await admin.query(`ALTER ROLE ${BYPASS_ROLE} PASSWORD ${pg.escapeLiteral(password)}`);
        });
        await appendFile(path.join(bouncer.dir, 'userlist.txt'), `"${BYPASS_ROLE}" "${password}"\n`);
        const console = new pg.Client({
          host: '127.0.0.1',
          port: bouncer.port,
          database: 'pgbouncer',
          user: 'pgbouncer_admin',
          password: adminPassword,
        });
        await console.connect();
        await console.query('RELOAD');
        await console.end();
        bypassPassword = password;
      }
      await withAdmin(db.adminUrl, async (admin) => {
        await admin.query(`GRANT CONNECT ON DATABASE "${db.name}" TO ${BYPASS_ROLE}`);
        for (const privilege of privileges) await admin.query(`GRANT ${privilege} TO ${BYPASS_ROLE}`);
      });
      return withCredentials(adminUrl, {
        host: '127.0.0.1',
        port: bouncer.port,
        database: db.name,
        user: BYPASS_ROLE,
        password: bypassPassword,
      });
    },
    async close() {
      await bouncer.stop();
      await dropRunDatabases(adminUrl, runId);
      if (bypassPassword !== null) {
        await withAdmin(adminUrl, (admin) => admin.query(`DROP ROLE IF EXISTS ${BYPASS_ROLE}`));
      }
    },
  };
}
