export { createTestDatabase, withAdmin } from './databases.js';
export type { TestDatabase } from './databases.js';
export { harnessEnv, withCredentials } from './env.js';
export type { HarnessEnv } from './env.js';
export { ensurePgBouncer, startPgBouncer, startTestPgBouncer } from './pgbouncer.js';
export type { PgBouncerInstance, PgBouncerOptions } from './pgbouncer.js';
export { freePort } from './services.js';
export { startRedis, type RedisInstance } from './redis.js';
export { ensureDebianTool, which } from './system-tools.js';
