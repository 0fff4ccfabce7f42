export * from './errors.js';
export { createAppPool, poolStats } from './pool.js';
export type { AppPoolOptions, PoolStats } from './pool.js';
export type { Sql } from './sql.js';
export { withTransaction, withTenantTransaction, beginStatement } from './transaction.js';
export type { TenantContext, TransactionSettings } from './transaction.js';
