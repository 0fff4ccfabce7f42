import pg, { type Connection, type Pool, type PoolClient, type QueryResult, type Submittable } from 'pg';
import { isConnectionError, isDriverError, translateDatabaseError } from './errors.js';
import type { TenantScope } from '../tenant.js';
import { TransactionSql, type Sql } from './sql.js';

export interface TransactionSettings {
  /** The tenant; every tenant table is invisible (and raises) without it. */
  organisationId?: string | null;
  /** The acting user, recorded by the audit trail. */
  userId?: string | null;
  /** The request id, recorded by the audit trail. */
  correlationId?: string | null;
  /** Per-transaction statement timeout; pgBouncer rejects it as a startup parameter, so it is set here. */
  statementTimeoutMs?: number | null;
  /** The import whose merge this transaction runs; audit entries written meanwhile carry it (`import_id`). */
  importId?: string | null;
  /**
   * `summary`: audit entries of crm.companies, crm.people and crm.positions carry no values (the import's
   * crm.import_changes has them); only for an import commit, so it needs `importId` (ADR 0062). Default: full.
   */
  auditMode?: AuditMode | null;
}

/** The audit trigger's modes (app.audit_mode); anything else is refused before it reaches the database. */
export const AUDIT_MODES = ['full', 'summary'] as const;
export type AuditMode = (typeof AUDIT_MODES)[number];

export interface TenantContext extends TransactionSettings {
  organisationId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_CORRELATION_ID = 200;

function uuidOrEmpty(value: string | null | undefined, name: string): string {
  if (value === null || value === undefined || value === '') return '';
  if (!UUID.test(value)) throw new TypeError(`${name} must be a uuid`);
  return value.toLowerCase();
}

/**
 * The transaction-local settings as one SELECT of set_config(..., true) calls. Values are validated (uuids,
 * the timeout) or escaped as literals (the correlation id); nothing else enters the text. set_config(..., true)
 * ends with the transaction: under pgBouncer's transaction pooling a session-level SET would outlive the
 * request and leak into another tenant's.
 */
export function settingsStatement(settings: TransactionSettings): string {
  const organisationId = uuidOrEmpty(settings.organisationId, 'organisationId');
  const userId = uuidOrEmpty(settings.userId, 'userId');
  const correlationId = (settings.correlationId ?? '').slice(0, MAX_CORRELATION_ID);
  const lit = (value: string) => pg.escapeLiteral(value);
  const assignments = [
    `set_config('app.organisation_id', ${lit(organisationId)}, true)`,
    `set_config('app.user_id', ${lit(userId)}, true)`,
    `set_config('app.correlation_id', ${lit(correlationId)}, true)`,
  ];
  // Only when given, so that every other transaction keeps its BEGIN text (and round trip) unchanged.
  if (settings.importId !== null && settings.importId !== undefined) {
    assignments.push(`set_config('app.import_id', ${lit(uuidOrEmpty(settings.importId, 'importId'))}, true)`);
  }
  const auditMode = settings.auditMode ?? 'full';
  if (!(AUDIT_MODES as readonly string[]).includes(auditMode))
    throw new TypeError(`auditMode must be one of ${AUDIT_MODES.join(', ')}`);
  if (auditMode === 'summary') {
    if (settings.importId === null || settings.importId === undefined)
      throw new TypeError('auditMode summary is for an import commit: give its importId');
    assignments.push(`set_config('app.audit_mode', 'summary', true)`);
  }
  const timeout = settings.statementTimeoutMs;
  if (timeout !== null && timeout !== undefined) {
    if (!Number.isInteger(timeout) || timeout < 0)
      throw new TypeError('statementTimeoutMs must be a non-negative integer');
    assignments.push(`set_config('statement_timeout', '${timeout}', true)`);
  }
  return `SELECT ${assignments.join(', ')}`;
}

/**
 * BEGIN and the settings as one simple query (one round trip), for a first statement that cannot carry them
 * (see FirstStatement).
 */
export function beginStatement(settings: TransactionSettings): string {
  return `BEGIN; ${settingsStatement(settings)}`;
}

/** What pg's Client calls on the query it is running, as messages of its answer arrive. */
interface QueryEvents {
  handleRowDescription(message: unknown): void;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: Connection): void;
  handleEmptyQuery(connection: Connection): void;
  handlePortalSuspended(connection: Connection): void;
  handleError(error: Error, connection: Connection): void;
  handleReadyForQuery(connection: Connection): void;
  handleCopyInResponse(connection: Connection): void;
  handleCopyData(message: unknown, connection: Connection): void;
}

/**
 * The first statement of a transaction with BEGIN and the settings ahead of it, written at once and closed by
 * one Sync: the server runs BEGIN, the set_config SELECT and the statement in order, and answers with one
 * ReadyForQuery (in transaction), so the settings and the statement cost one round trip instead of two.
 * Everything uses the extended protocol with unnamed statements (none survives the next Parse, which is what
 * pgBouncer's transaction pooling needs). Had BEGIN or the settings failed, the server skips the statement up
 * to the Sync: it never runs without the tenant. The answers to BEGIN and to the settings are not the
 * caller's and are dropped; everything else goes to the statement's own pg Query.
 */
class FirstStatement implements Submittable {
  readonly #settings: string;
  readonly #statement: pg.Query & QueryEvents;
  /** Command completions still to drop: BEGIN's and the settings'. */
  #leading = 2;

  constructor(settings: string, statement: pg.Query) {
    this.#settings = settings;
    this.#statement = statement as pg.Query & QueryEvents;
  }

  submit(connection: Connection): void {
    connection.stream.cork();
    try {
      for (const text of ['BEGIN', this.#settings]) {
        connection.parse({ text, name: '', types: [] }, false);
        connection.bind({ portal: '', statement: '', values: [] }, false);
        connection.execute({ portal: '' }, false);
      }
      // Parse, Bind, Describe, Execute and the Sync that ends all three.
      this.#statement.submit(connection);
    } finally {
      connection.stream.uncork();
    }
  }

  handleRowDescription(message: unknown): void {
    this.#statement.handleRowDescription(message);
  }
  handleDataRow(message: unknown): void {
    // The settings' SELECT returns a row (no Describe was asked for it, so no description came first).
    if (this.#leading === 0) this.#statement.handleDataRow(message);
  }
  handleCommandComplete(message: unknown, connection: Connection): void {
    if (this.#leading > 0) this.#leading -= 1;
    else this.#statement.handleCommandComplete(message, connection);
  }
  handleEmptyQuery(connection: Connection): void {
    this.#statement.handleEmptyQuery(connection);
  }
  handlePortalSuspended(connection: Connection): void {
    this.#statement.handlePortalSuspended(connection);
  }
  handleError(error: Error, connection: Connection): void {
    this.#statement.handleError(error, connection);
  }
  handleReadyForQuery(connection: Connection): void {
    this.#statement.handleReadyForQuery(connection);
  }
  handleCopyInResponse(connection: Connection): void {
    this.#statement.handleCopyInResponse(connection);
  }
  handleCopyData(message: unknown, connection: Connection): void {
    this.#statement.handleCopyData(message, connection);
  }
}

/** Whether and how a transaction was begun on its client. */
interface Opening {
  begun: boolean;
  /** The error of a BEGIN sent on its own, ahead of a statement that could not carry it. */
  failure: unknown;
}

/**
 * The client as the transaction's Sql sees it: its first statement begins the transaction. A parameterised
 * statement (a repository's query) carries BEGIN and the settings (FirstStatement); anything else (a text
 * without parameters, which may hold several statements; a COPY stream) is queued behind BEGIN and the
 * settings sent as their own simple query, as before. A transaction that runs no statement sends nothing.
 */
function openingOnFirstStatement(client: PoolClient, settings: string, opening: Opening): PoolClient {
  const query = (config: unknown, values?: unknown): unknown => {
    if (opening.begun) return (client.query as (...args: unknown[]) => unknown)(config, values);
    opening.begun = true;
    const plain = config as { text?: unknown; values?: unknown; submit?: unknown };
    if (typeof plain.submit !== 'function' && typeof plain.text === 'string' && Array.isArray(plain.values)) {
      if (plain.values.length > 0) {
        return new Promise<QueryResult>((resolve, reject) => {
          const statement = new pg.Query(
            // Extended protocol even for what pg would send as a simple query: one Sync for the three.
            { text: plain.text as string, values: plain.values as unknown[], queryMode: 'extended' } as never,
            (error: Error | undefined, result: unknown) =>
              error ? reject(error) : resolve(result as QueryResult),
          );
          client.query(new FirstStatement(settings, statement));
        });
      }
    }
    // pg runs a client's queries in order: the statement waits for BEGIN and the settings.
    client.query(`BEGIN; ${settings}`).catch((error: unknown) => {
      opening.failure = error;
    });
    return (client.query as (...args: unknown[]) => unknown)(config, values);
  };
  return new Proxy(client, {
    get: (target, property, receiver) =>
      property === 'query' ? query : (Reflect.get(target, property, receiver) as unknown),
  });
}

async function checkout(pool: Pool): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

/**
 * Runs `fn` in one transaction on one checked-out client with the given settings, commits or rolls back, and
 * always hands back a clean client: after a successful ROLLBACK the client is reused; a client whose connection
 * failed, or whose rollback failed, is destroyed rather than returned to the pool.
 *
 * @throws {DatabaseError} (a typed subclass) for any database failure, including at COMMIT (deferred
 *   constraints) and when the pool cannot hand out a connection (DatabaseUnavailableError); whatever `fn`
 *   itself throws is rethrown as is.
 */
export async function withTransaction<T>(
  pool: Pool,
  settings: TransactionSettings,
  fn: (sql: Sql) => Promise<T>,
): Promise<T> {
  const settingsText = settingsStatement(settings);
  const client = await checkout(pool);
  let connectionLost: unknown = null;
  const onClientError = (error: unknown) => {
    connectionLost = error;
  };
  client.on('error', onClientError);
  const opening: Opening = { begun: false, failure: null };
  const sql = new TransactionSql(openingOnFirstStatement(client, settingsText, opening));
  try {
    const result = await fn(sql);
    sql.close();
    if (opening.failure !== null) throw opening.failure;
    if (opening.begun) await client.query('COMMIT');
    client.off('error', onClientError);
    client.release();
    return result;
  } catch (thrown) {
    sql.close();
    // A BEGIN that failed on its own explains the errors of the statements queued behind it.
    const error = opening.failure ?? thrown;
    let destroy = connectionLost !== null || isConnectionError(error);
    if (!destroy && opening.begun) {
      try {
        await client.query('ROLLBACK');
      } catch {
        destroy = true;
      }
    }
    client.off('error', onClientError);
    client.release(
      destroy ? new Error('discarding a client whose connection or transaction failed') : undefined,
    );
    // Application errors thrown by fn (a 404, a rule) pass through untouched; only driver errors are translated.
    throw isDriverError(error) ? translateDatabaseError(error) : error;
  }
}

/**
 * withTransaction for a tenant: the organisation is mandatory, so every statement inside sees only its rows.
 *
 * @throws {TypeError} when organisationId is not a uuid.
 * @throws {DatabaseError} as withTransaction.
 */
export function withTenantTransaction<T>(
  pool: Pool,
  context: TenantContext,
  fn: (sql: Sql) => Promise<T>,
): Promise<T> {
  if (!context.organisationId) throw new TypeError('withTenantTransaction needs an organisationId');
  return withTransaction(pool, context, fn);
}

/**
 * A tenant transaction for a scope (a request's or a job's): its organisation, user and correlation id,
 * with the given statement timeout.
 *
 * @throws {DatabaseError} as withTransaction.
 */
export function withScope<T>(
  pool: Pool,
  scope: TenantScope,
  statementTimeoutMs: number | null,
  fn: (sql: Sql) => Promise<T>,
): Promise<T> {
  return withTenantTransaction(
    pool,
    {
      organisationId: scope.organisationId,
      userId: scope.userId,
      correlationId: scope.correlationId,
      statementTimeoutMs,
    },
    fn,
  );
}
