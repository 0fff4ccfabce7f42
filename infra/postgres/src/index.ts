export {
  migrate,
  migrationsDir,
  assertDirectConnection,
  PoolerConnectionError,
  MIGRATIONS_TABLE,
} from './migrate.js';
export type { MigrateOptions } from './migrate.js';
export {
  dumpSchema,
  normaliseDump,
  writeSchemaSnapshot,
  compareSchemaSnapshot,
  schemaSnapshotPath,
} from './schema-snapshot.js';
export { sqlDir, pgbouncerDir } from './paths.js';
