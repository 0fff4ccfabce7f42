import pg, { type Pool, type PoolClient } from 'pg';
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
}

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
 * BEGIN and the three transaction-local settings in a single round trip. The simple-query protocol does not
 * take parameters, so values are validated (uuids) or escaped as literals (the correlation id); nothing else
 * enters the text. set_config(..., true) ends with the transaction: under pgBouncer's transaction pooling a
 * session-level SET would outlive the request and leak into another tenant's.
 */
export function beginStatement(settings: TransactionSettings): string {
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
  const timeout = settings.statementTimeoutMs;
  if (timeout !== null && timeout !== undefined) {
    if (!Number.isInteger(timeout) || timeout < 0)
      throw new TypeError('statementTimeoutMs must be a non-negative integer');
    assignments.push(`set_config('statement_timeout', '${timeout}', true)`);
  }
  return `BEGIN; SELECT ${assignments.join(', ')}`;
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
  const begin = beginStatement(settings);
  const client = await checkout(pool);
  let connectionLost: unknown = null;
  const onClientError = (error: unknown) => {
    connectionLost = error;
  };
  client.on('error', onClientError);
  const sql = new TransactionSql(client);
  let started = false;
  try {
    await client.query(begin);
    started = true;
    const result = await fn(sql);
    sql.close();
    await client.query('COMMIT');
    client.off('error', onClientError);
    client.release();
    return result;
  } catch (error) {
    sql.close();
    let destroy = connectionLost !== null || isConnectionError(error);
    if (!destroy && started) {
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
