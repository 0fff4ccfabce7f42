import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';

export type AppliedMigration = Awaited<ReturnType<typeof runner>>[number];

export const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));
export const MIGRATIONS_TABLE = 'pgmigrations';

/** Raised when the migration URL reaches PostgreSQL through a pooler instead of directly. */
export class PoolerConnectionError extends Error {
  override readonly name = 'PoolerConnectionError';
  constructor(
    readonly clientPort: number,
    readonly serverPort: number | null,
  ) {
    super(
      `DATABASE_MIGRATION_URL must be a direct connection to PostgreSQL, not pgBouncer: it uses port ${clientPort} ` +
        `but the server listens on ${serverPort ?? 'a socket'}. Migrations take a session-level advisory lock and ` +
        'run DDL, which transaction pooling breaks. Point it at the server itself (behind a container port ' +
        'mapping, set DATABASE_MIGRATION_ALLOW_PORT_MAPPING=true).',
    );
  }
}

export interface MigrateOptions {
  /** Owner-role connection string, direct to PostgreSQL. */
  databaseUrl: string;
  direction: 'up' | 'down';
  /** Number of migrations to apply or revert; Infinity for all. Defaults to all up, one down. */
  count?: number;
  /** Accept a client port that differs from the server port (a container port mapping, not a pooler). */
  allowPortMapping?: boolean;
  log?: (line: string) => void;
}

const PGBOUNCER_DEFAULT_PORT = 6432;

/**
 * Refuses a connection that goes through pgBouncer. Through a pooler, `inet_server_port()` reports the
 * PostgreSQL server's port, which differs from the port the client dialled.
 *
 * @throws {PoolerConnectionError} when the URL reaches PostgreSQL through a pooler.
 */
export async function assertDirectConnection(databaseUrl: string, allowPortMapping = false): Promise<void> {
  const url = new URL(databaseUrl);
  const clientPort = url.port === '' ? 5432 : Number(url.port);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ port: number | null }>('SELECT inet_server_port() AS port');
    const serverPort = rows[0]?.port ?? null;
    const viaSocket = serverPort === null;
    if (viaSocket) return;
    if (clientPort === PGBOUNCER_DEFAULT_PORT && serverPort !== PGBOUNCER_DEFAULT_PORT) {
      throw new PoolerConnectionError(clientPort, serverPort);
    }
    if (serverPort !== clientPort && !allowPortMapping) {
      throw new PoolerConnectionError(clientPort, serverPort);
    }
  } finally {
    await client.end();
  }
}

/**
 * Applies or reverts migrations over a direct owner connection: node-pg-migrate's advisory lock, one
 * transaction per migration, order checked.
 *
 * @throws {PoolerConnectionError} when the URL goes through a pooler.
 */
export async function migrate(options: MigrateOptions): Promise<AppliedMigration[]> {
  await assertDirectConnection(options.databaseUrl, options.allowPortMapping ?? false);
  const log = options.log ?? (() => undefined);
  return runner({
    databaseUrl: options.databaseUrl,
    dir: migrationsDir,
    migrationsTable: MIGRATIONS_TABLE,
    direction: options.direction,
    count: options.count ?? (options.direction === 'up' ? Infinity : 1),
    checkOrder: true,
    singleTransaction: false,
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
    verbose: false,
  });
}
