export * from './errors.js';
export { createAppPool } from './pool.js';
export type { AppPoolOptions } from './pool.js';
export type { Sql } from './sql.js';
export { withTransaction, withTenantTransaction, withScope, beginStatement } from './transaction.js';
export type { TenantContext, TransactionSettings } from './transaction.js';
