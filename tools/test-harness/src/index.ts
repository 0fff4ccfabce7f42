export {
  buildTemplate,
  createTestDatabase,
  dropRunDatabases,
  dropStaleDatabases,
  withAdmin,
} from './databases.js';
export type { TestDatabase } from './databases.js';
export { HARNESS_ENV, harnessEnv, withCredentials } from './env.js';
export type { HarnessEnv } from './env.js';
export { ensurePgBouncer, startPgBouncer, startTestPgBouncer } from './pgbouncer.js';
export type { PgBouncerInstance, PgBouncerOptions } from './pgbouncer.js';
export { DEFAULT_ADMIN_URL, DEFAULT_REDIS_URL, findPostgres, findRedis, freePort } from './services.js';
export { startRedis, type RedisInstance } from './redis.js';
export { ensureDebianTool, which } from './system-tools.js';
