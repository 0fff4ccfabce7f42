import type { Pool } from 'pg';
import { ImportJobs, importJobQueue, type ImportJobsDeps } from './components/imports/imports.jobs.js';
import { ConfigError, loadConfig, type AppConfig } from './platform/config/config.js';
import { createAppPool } from './platform/db/index.js';
import { fileHeartbeat } from './platform/jobs/heartbeat.js';
import { JobRunner } from './platform/jobs/runner.js';
import { createLogger, type Logger } from './platform/logger/logger.js';

export interface Worker {
  runner: JobRunner;
  jobs: ImportJobs;
  pool: Pool;
  /** Stops claiming, aborts and releases the running job (it rolls back; another worker finishes it). */
  close(): Promise<void>;
}

/**
 * The import worker: its own pool (long commits never take the API's connections), a job runner that claims
 * jobs with a lease, and the retention sweep between jobs. `npm start` runs one inside the API process; in
 * production `node dist/worker.js` runs beside the API, as many as needed.
 */
export function buildWorker(
  config: AppConfig,
  logger: Logger,
  overrides: Partial<Pick<ImportJobsDeps, 'onProgress' | 'retentionSeconds'>> = {},
): Worker {
  const pool = createAppPool({
    connectionString: config.database.url,
    max: config.worker.poolMax,
    connectionTimeoutMillis: config.database.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    applicationName: 'ingest-worker',
    onIdleClientError: (error) =>
      logger.warn(
        { err: { message: error.message, code: (error as { code?: unknown }).code } },
        'idle worker database client lost its connection',
      ),
  });
  const deps: ImportJobsDeps = {
    pool,
    logger,
    statementTimeoutMs: config.database.statementTimeoutMs,
    commitTimeoutMs: config.imports.commitTimeoutMs,
    leaseSeconds: config.worker.leaseSeconds,
    retentionSeconds: config.imports.retentionSeconds,
    campaignWindowDays: config.imports.campaignWindowDays,
    ...overrides,
  };
  const jobs = new ImportJobs(deps);
  const runner = new JobRunner({
    queue: importJobQueue(deps),
    handlers: jobs.handlers,
    logger,
    leaseSeconds: config.worker.leaseSeconds,
    pollIntervalMs: config.worker.pollIntervalMs,
    maxPollIntervalMs: 5000,
    idle: async () => {
      await jobs.sweep();
    },
    idleEveryMs: 60_000,
    ...(config.worker.heartbeatFile ? { onAlive: fileHeartbeat(config.worker.heartbeatFile, logger) } : {}),
  });
  return {
    runner,
    jobs,
    pool,
    close: async () => {
      await runner.stop();
      await pool.end();
    },
  };
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    // The process boundary: the only place that reads the environment.
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const worker = buildWorker(config, logger);
  worker.runner.start();
  logger.info({ worker: worker.runner.worker }, 'import worker started');
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'worker stopping: the running job is rolled back and released');
      void worker.close().then(() => process.exit(0));
    });
  }
}

const isEntryPoint =
  process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntryPoint) void main();
