import pg from 'pg';

export interface AppPoolOptions {
  /** prospectflow_app, normally through pgBouncer. */
  connectionString: string;
  max: number;
  connectionTimeoutMillis: number;
  idleTimeoutMillis: number;
  applicationName: string;
  onIdleClientError: (error: Error) => void;
}

/**
 * The application role's pool. No startup `options` or `statement_timeout` (pgBouncer refuses unknown startup
 * parameters); timeouts are set per transaction. An idle client that loses its connection emits 'error' on the
 * pool, which would crash the process if unhandled.
 */
export function createAppPool(options: AppPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
    idleTimeoutMillis: options.idleTimeoutMillis,
    application_name: options.applicationName,
    allowExitOnIdle: false,
  });
  pool.on('error', options.onIdleClientError);
  return pool;
}
