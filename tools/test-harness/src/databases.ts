import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '@prospectflow/infra-postgres';
import { harnessEnv, withCredentials } from './env.js';

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the owner role (migrations run as it, never as a superuser) and a freshly migrated template
 * database, then gives the application roles their run-scoped passwords.
 */
export async function buildTemplate(options: {
  adminUrl: string;
  ownerRole: string;
  templateDb: string;
  appPassword: string;
  readonlyPassword: string;
  log: (line: string) => void;
}): Promise<void> {
  const { adminUrl, ownerRole, templateDb } = options;
  await withAdmin(adminUrl, async (admin) => {
    await admin.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${pg.escapeLiteral(ownerRole)}) THEN
          CREATE ROLE ${quoteIdent(ownerRole)} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS;
        END IF;
      END $$`);
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(templateDb)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${quoteIdent(templateDb)} OWNER ${quoteIdent(ownerRole)}`);
  });
  const ownerUrl = withCredentials(adminUrl, { user: ownerRole, password: '', database: templateDb });
  await migrate({ databaseUrl: ownerUrl, direction: 'up', log: () => undefined });
  await withAdmin(adminUrl, async (admin) => {
    await admin.query(`ALTER ROLE prospectflow_app PASSWORD ${pg.escapeLiteral(options.appPassword)}`);
    await admin.query(
      `ALTER ROLE prospectflow_readonly PASSWORD ${pg.escapeLiteral(options.readonlyPassword)}`,
    );
    await admin.query(
      `ALTER DATABASE ${quoteIdent(templateDb)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
    );
  });
  options.log(`template database ${templateDb} migrated`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Drops databases left behind by runs whose process is gone. Names carry the pid of their run. */
export async function dropStaleDatabases(adminUrl: string, log: (line: string) => void): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname ~ '^pf_(tpl|test)_[0-9]+_'",
    );
    for (const { datname } of rows) {
      const pid = Number(/^pf_(?:tpl|test)_(\d+)_/.exec(datname)?.[1]);
      if (pid === process.pid || isAlive(pid)) continue;
      await admin.query(`ALTER DATABASE ${quoteIdent(datname)} WITH IS_TEMPLATE false`);
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
      log(`dropped stale database ${datname}`);
    }
  });
}

/** Drops the template and every database of one run (test files normally drop their own). */
export async function dropRunDatabases(adminUrl: string, runId: string): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname LIKE $2',
      [`pf_tpl_${runId}_%`, `pf_test_${runId}_%`],
    );
    for (const { datname } of rows) {
      await admin.query(`ALTER DATABASE ${quoteIdent(datname)} WITH IS_TEMPLATE false`);
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    }
  });
}

export interface TestDatabase {
  readonly name: string;
  /** Superuser, direct: for fixtures that must bypass everything (use sparingly) and for assertions. */
  readonly adminUrl: string;
  /** Owner role, direct: what migrations and the SQL check scripts use. */
  readonly ownerUrl: string;
  /** prospectflow_app through pgBouncer in transaction mode: what the API uses. */
  readonly appUrl: string;
  /** prospectflow_app straight to PostgreSQL (only for comparisons with the pooled path). */
  readonly appDirectUrl: string;
  /** prospectflow_readonly through pgBouncer. */
  readonly readonlyUrl: string;
  drop(): Promise<void>;
}

/** Clones the migrated template into a database of this test file's own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const env = harnessEnv();
  const name = `pf_test_${env.runId}_${randomBytes(4).toString('hex')}`;
  await withAdmin(env.adminUrl, async (admin) => {
    await admin.query(
      `CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(env.templateDb)} OWNER ${quoteIdent(env.ownerRole)}`,
    );
    // A clone does not inherit the template's database privileges: grant what the first migration grants.
    await admin.query(
      `GRANT CONNECT ON DATABASE ${quoteIdent(name)} TO prospectflow_app, prospectflow_readonly`,
    );
  });
  const pooled = { host: '127.0.0.1', port: env.pgbouncerPort, database: name };
  return {
    name,
    adminUrl: withCredentials(env.adminUrl, { database: name }),
    ownerUrl: withCredentials(env.adminUrl, { user: env.ownerRole, password: '', database: name }),
    appUrl: withCredentials(env.adminUrl, { ...pooled, user: 'prospectflow_app', password: env.appPassword }),
    appDirectUrl: withCredentials(env.adminUrl, {
      user: 'prospectflow_app',
      password: env.appPassword,
      database: name,
    }),
    readonlyUrl: withCredentials(env.adminUrl, {
      ...pooled,
      user: 'prospectflow_readonly',
      password: env.readonlyPassword,
    }),
    drop: () =>
      withAdmin(env.adminUrl, async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      }),
  };
}
