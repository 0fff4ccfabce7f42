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
export { readCatalog } from './catalog.js';
export type { Catalog, CatalogTable, CatalogColumn, Queryable } from './catalog.js';
export {
  checkDistribution,
  checkDistributionKeys,
  formatDistributionReport,
  ACCEPTED_FINDINGS,
  GLOBAL_TABLES,
  TENANT_COLUMN,
} from './distribution-keys.js';
export type { DistributionReport, DistributionFinding } from './distribution-keys.js';
export {
  renderErd,
  generateErd,
  writeErd,
  compareErd,
  spliceErd,
  erdPath,
  ErdMarkersMissingError,
} from './erd.js';
