import {
  createAuth,
  createMemorySessionStore,
  createRedisClient,
  createRedisSessionStore,
  type Auth,
  type RedisClient,
} from '@prospectflow/auth-core';
import type { RequestListener } from 'node:http';
import type { Express } from 'express';
import type { Pool } from 'pg';
import { createApp } from './app.js';
import { buildWorker, type Worker } from './worker.js';
import { createPixelHandler, withPixelFrontDoor } from './components/tracking/pixel.js';
import { PixelRecorder } from './components/tracking/recorder.js';
import type { AppConfig } from './platform/config/config.js';
import { createAppPool } from './platform/db/index.js';
import type { Logger } from './platform/logger/logger.js';
import { Metrics } from './platform/metrics/metrics.js';
import { redisTarget } from './platform/redis-target.js';

export interface Runtime {
  app: Express;
  /** What the HTTP server listens with: the tracking pixel answered before Express, then the app. */
  handler: RequestListener;
  auth: Auth;
  pool: Pool;
  redis: RedisClient | null;
  /** The in-process import worker (WORKER_IN_PROCESS, `npm start`), or null. */
  worker: Worker | null;
  /** Buffers pixel opens and writes them in batches; close() flushes it before the pool ends. */
  pixelRecorder: PixelRecorder;
  /** Resolves once the signing keys are cached (retried in the background until then) and Redis is connected. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * The composition root: pools, Redis, auth, metrics, the pixel recorder, the app and (WORKER_IN_PROCESS) a
 * worker, built from the parsed configuration, and one close() for all of it. `server.ts`, the embedded
 * runner, the benchmarks and the tests all go through it, so they run the same wiring; `worker.ts` is the other
 * entry point.
 */
export function buildRuntime(config: AppConfig, logger: Logger): Runtime {
  const pool = createAppPool({
    connectionString: config.database.url,
    max: config.database.poolMax,
    connectionTimeoutMillis: config.database.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    applicationName: 'ingest-api',
    // Only message and code: the error object carries the pg client, connection parameters included.
    onIdleClientError: (error) =>
      logger.warn(
        { err: { message: error.message, code: (error as { code?: unknown }).code } },
        'idle database client lost its connection',
      ),
  });
  const target = redisTarget(config);
  let lastRedisError = '';
  const redis =
    target === null
      ? null
      : createRedisClient(target.target, {
          ...(target.cluster ? { cluster: target.cluster } : {}),
          onError: (error) => {
            // One line per distinct failure, not one per reconnection attempt.
            if (error.message !== lastRedisError)
              logger.warn({ err: { message: error.message } }, 'redis connection error');
            lastRedisError = error.message;
          },
        });
  redis?.on('ready', () => {
    if (lastRedisError !== '') logger.info('redis connection restored');
    lastRedisError = '';
  });
  const sessionStore = redis
    ? createRedisSessionStore({ client: redis, keyPrefix: `${config.redis.keyPrefix}auth:` })
    : createMemorySessionStore();
  const metrics = new Metrics({ pool });
  const auth = createAuth({
    environment: config.env,
    userPools: config.cognito.userPoolIds.map((userPoolId) => ({
      userPoolId,
      clientId: config.cognito.clientIds,
      tokenUse: config.cognito.tokenUse,
      groups: config.cognito.requiredGroups,
      ...(config.cognito.jwksFile ? { jwksFile: config.cognito.jwksFile } : {}),
    })),
    graceSeconds: config.cognito.graceSeconds,
    sessionStore,
    idleTimeoutSeconds: config.session.idleTtlSeconds,
    absoluteLifetimeSeconds: config.session.absoluteTtlSeconds,
    database: pool,
    profileResolver: null,
    logger,
    requestId: (req) => req.requestId,
  });
  const pixelRecorder = new PixelRecorder({
    pool,
    metrics,
    logger,
    visitorSecret: config.tracking.visitorSecret,
    bufferMax: config.tracking.bufferMax,
    batchMax: config.tracking.flushBatchMax,
    flushIntervalMs: config.tracking.flushIntervalMs,
    scannerWindowSeconds: config.tracking.scannerWindowSeconds,
    statementTimeoutMs: config.database.statementTimeoutMs,
  });
  const app = createApp({ config, logger, pool, redis, auth, metrics, pixelRecorder });

  let stopped = false;
  const keysReady = (async () => {
    for (let attempt = 1; !stopped; attempt += 1) {
      try {
        await auth.hydrate();
        return;
      } catch (error) {
        logger.warn({ err: error, attempt }, 'signing keys not loaded yet; readiness stays red');
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * attempt, 10_000)));
      }
    }
  })();

  // Commands fail fast while Redis is disconnected (no offline queue), so callers that must not see a 503 at
  // start (tests, the embedded runner) wait for the first connection.
  const redisReady =
    redis === null || redis.status === 'ready'
      ? Promise.resolve()
      : new Promise<void>((resolve) => redis.once('ready', () => resolve()));

  const worker = config.worker.inProcess ? buildWorker(config, logger) : null;
  worker?.runner.start();

  return {
    app,
    worker,
    auth,
    pool,
    redis,
    pixelRecorder,
    handler: withPixelFrontDoor(app, createPixelHandler(pixelRecorder, app.get('trust proxy fn'))),
    ready: Promise.all([keysReady, redisReady]).then(() => undefined),
    close: async () => {
      stopped = true;
      // In-flight requests have drained (server.ts); the opens they left are written before the pool ends.
      await worker?.close();
      await pixelRecorder.close();
      await Promise.allSettled([pool.end(), redis?.quit()]);
    },
  };
}
