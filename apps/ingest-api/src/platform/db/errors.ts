import type { DatabaseError as PgProtocolError } from 'pg';

/** Base of every error raised at the data boundary. Carries the SQLSTATE and the constraint, never row data. */
export class DatabaseError extends Error {
  override readonly name: string = 'DatabaseError';
  readonly code: string | undefined;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;

  constructor(
    message: string,
    options: { cause?: unknown; code?: string; constraint?: string; table?: string; column?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = options.code;
    this.constraint = options.constraint;
    this.table = options.table;
    this.column = options.column;
  }
}

/** 23505: a unique constraint (a natural key, a slug, a membership) already holds this value. */
export class UniqueViolationError extends DatabaseError {
  override readonly name = 'UniqueViolationError';
}
/** 23503: a referenced row does not exist in this organisation, or a referencing row still exists. */
export class ForeignKeyViolationError extends DatabaseError {
  override readonly name = 'ForeignKeyViolationError';
}
/** 23502 */
export class NotNullViolationError extends DatabaseError {
  override readonly name = 'NotNullViolationError';
}
/** 23514: a CHECK constraint or a rule enforced by a trigger with that SQLSTATE (one owner, status moves). */
export class CheckViolationError extends DatabaseError {
  override readonly name = 'CheckViolationError';
}
/** 22P02, 22023, 22001...: a value PostgreSQL cannot accept for its column type. */
export class InvalidInputError extends DatabaseError {
  override readonly name = 'InvalidInputError';
}
/** 42501 raised by a row-level security policy: a write aimed at another organisation. */
export class RowLevelSecurityError extends DatabaseError {
  override readonly name = 'RowLevelSecurityError';
}
/** 42501 otherwise: the application role lacks a privilege (e.g. updating the audit log). */
export class InsufficientPrivilegeError extends DatabaseError {
  override readonly name = 'InsufficientPrivilegeError';
}
/** PF001: a tenant table was touched without app.organisation_id; the policy helper failed closed. */
export class TenantContextMissingError extends DatabaseError {
  override readonly name = 'TenantContextMissingError';
}
/** 57014: statement_timeout or a cancel. */
export class QueryCanceledError extends DatabaseError {
  override readonly name = 'QueryCanceledError';
}
/** 40001 / 40P01: the transaction may be retried as a whole. */
export class TransactionConflictError extends DatabaseError {
  override readonly name = 'TransactionConflictError';
}
/** The database (or pgBouncer) cannot be reached or dropped the connection: a 503, not a bug. */
export class DatabaseUnavailableError extends DatabaseError {
  override readonly name = 'DatabaseUnavailableError';
}
/** one() found no row. */
export class NoRowError extends DatabaseError {
  override readonly name = 'NoRowError';
}
/** one() or maybeOne() found more than one row. */
export class TooManyRowsError extends DatabaseError {
  override readonly name = 'TooManyRowsError';
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection terminated unexpectedly',
  'server conn crashed',
  'no more connections allowed',
  'query_wait_timeout',
  'server login has been failing',
];

function isPgProtocolError(error: unknown): error is PgProtocolError {
  return (
    error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && 'severity' in error
  );
}

/** True when the error means the connection itself is unusable, so the client must be destroyed. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (CONNECTION_ERROR_CODES.has(code)) return true;
    // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now; 53300: too many.
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true;
  }
  return CONNECTION_MESSAGES.some((fragment) => error.message.includes(fragment));
}

/** True for what the driver or the server raised (as opposed to an application error thrown inside a transaction). */
export function isDriverError(error: unknown): boolean {
  return error instanceof DatabaseError || isPgProtocolError(error) || isConnectionError(error);
}

/**
 * Translates whatever pg threw into the typed family above, once, at the data boundary. Services catch
 * `UniqueViolationError`, never `'23505'`.
 */
export function translateDatabaseError(error: unknown): DatabaseError {
  if (error instanceof DatabaseError) return error;
  if (isConnectionError(error)) {
    return new DatabaseUnavailableError('the database is unavailable', {
      cause: error,
      ...(typeof (error as { code?: unknown }).code === 'string'
        ? { code: (error as { code: string }).code }
        : {}),
    });
  }
  if (!isPgProtocolError(error)) {
    return new DatabaseError(error instanceof Error ? error.message : 'unknown database error', {
      cause: error,
    });
  }
  const fields = {
    cause: error,
    code: error.code,
    ...(error.constraint ? { constraint: error.constraint } : {}),
    ...(error.table ? { table: error.table } : {}),
    ...(error.column ? { column: error.column } : {}),
  };
  const message = error.message;
  switch (error.code) {
    case '23505':
      return new UniqueViolationError(message, fields);
    case '23503':
      return new ForeignKeyViolationError(message, fields);
    case '23502':
      return new NotNullViolationError(message, fields);
    case '23514':
      return new CheckViolationError(message, fields);
    case '42501':
      return /row-level security/i.test(message)
        ? new RowLevelSecurityError(message, fields)
        : new InsufficientPrivilegeError(message, fields);
    case 'PF001':
      return new TenantContextMissingError(message, fields);
    case '57014':
      return new QueryCanceledError(message, fields);
    case '40001':
    case '40P01':
      return new TransactionConflictError(message, fields);
    default:
      if (error.code && /^22/.test(error.code)) return new InvalidInputError(message, fields);
      return new DatabaseError(message, fields);
  }
}
