import { toAuthProblem, AuthError, type Auth } from '@prospectflow/auth-core';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Cluster, Redis } from 'ioredis';
import type { Pool } from 'pg';
import { registerAuditRoutes } from './components/audit/audit.js';
import { registerCampaignRoutes } from './components/campaigns/campaigns.routes.js';
import { registerHealthRoutes } from './components/health/health.routes.js';
import { dependencyChecks } from './components/health/health.service.js';
import { registerCrmRoutes } from './components/crm/crm.routes.js';
import { registerImportRoutes } from './components/imports/imports.routes.js';
import { registerIngestRoutes } from './components/ingest/ingest.routes.js';
import { registerMeRoutes } from './components/me/me.routes.js';
import { registerOrganisationRoutes } from './components/organisations/organisations.routes.js';
import { docsRouter } from './components/ops/docs.js';
import { registerOpsRoutes } from './components/ops/ops.routes.js';
import { createPixelHandler, pixelRoute } from './components/tracking/pixel.js';
import { type PixelRecorder } from './components/tracking/recorder.js';
import { registerTrackingRoutes } from './components/tracking/stats.js';
import type { AppConfig } from './platform/config/config.js';
import { ApiRoutes, buildOpenApiDocument } from './platform/http/api-routes.js';
import { errorHandler, notFound, type ErrorMapper } from './platform/http/error-handler.js';
import { clientIp, RateLimits } from './platform/http/rate-limit.js';
import { scopeFromPath } from './platform/http/organisation-scope.js';
import { requestId } from './platform/http/request-id.js';
import type { Logger } from './platform/logger/logger.js';
import { requestLogger } from './platform/logger/request-logger.js';
import { Metrics } from './platform/metrics/metrics.js';

export const API_BASE_PATH = '/api/v1';

export interface AppDeps {
  config: AppConfig;
  logger: Logger;
  /** prospectflow_app, through pgBouncer. */
  pool: Pool;
  /** Shared store for rate limits; null in the embedded default (in-memory limits). */
  redis: Redis | Cluster | null;
  auth: Auth;
  metrics?: Metrics;
  /** The pixel's open recorder; the composition root owns it so that shutdown flushes it. */
  pixelRecorder: PixelRecorder;
}

const authErrorMapper: ErrorMapper = (error) => {
  if (!(error instanceof AuthError)) return null;
  const problem = toAuthProblem(error);
  if (problem === null) return null;
  return {
    status: problem.status,
    title: problem.body.title,
    detail: problem.body.detail,
    code: problem.body.code,
    headers: problem.headers,
  };
};

/**
 * Builds the API without listening. Middleware order (SPEC §5.2): request id → logger → helmet → CORS → body
 * parsers → metrics → rate limit (per IP) → public routes → /api/v1 (auth → session → organisation scope →
 * role → per-user rate limit → validation → controller) → 404/405 → one error handler.
 */
export function createApp(deps: AppDeps): Express {
  const { config, logger, pool, auth } = deps;
  const metrics = deps.metrics ?? new Metrics({ pool });
  const app = express();
  app.disable('x-powered-by');
  // The client IP comes from X-Forwarded-For only through this many trusted proxies, never from the raw header.
  app.set('trust proxy', config.http.trustProxyHops);
  app.set('query parser', 'simple');

  app.use(requestId());
  // The public pixel answers before logging, helmet, CORS and the per-IP limiter (DESIGN.md, doc/tracking.md).
  const pixelRecorder = deps.pixelRecorder;
  app.use(pixelRoute(createPixelHandler(pixelRecorder, app.get('trust proxy fn'))));
  app.use(
    requestLogger({
      logger,
      fields: (req) => ({
        requestId: req.requestId,
        ...(req.auth
          ? { userId: req.auth.user.id, organisationId: req.auth.organisation?.organisationId ?? null }
          : {}),
      }),
    }),
  );
  app.use(helmet());
  app.use(
    cors({
      origin: config.http.corsOrigins.includes('*') ? true : [...config.http.corsOrigins],
      allowedHeaders: [
        'Authorization',
        'Content-Type',
        'X-Organisation-Id',
        'X-Request-Id',
        'Idempotency-Key',
      ],
      exposedHeaders: [
        'X-Request-Id',
        'Retry-After',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
      ],
      maxAge: 600,
    }),
  );
  app.use(metrics.middleware());

  const rateLimits = new RateLimits({
    windowSeconds: config.rateLimits.windowSeconds,
    perWindow: config.rateLimits.perWindow,
    redis: deps.redis,
    keyPrefix: config.redis.keyPrefix,
    metrics,
  });
  app.use(rateLimits.middleware('public', clientIp));

  const publicRoutes = new ApiRoutes('');
  const v1 = new ApiRoutes(API_BASE_PATH);
  registerHealthRoutes(publicRoutes, {
    checks: dependencyChecks({ pool, auth, redis: deps.redis }),
    ...config.health,
  });
  let openApi: object | null = null;
  const openApiDocument = () =>
    (openApi ??= buildOpenApiDocument(
      {
        title: 'ProspectFlow ingest API',
        version: '1.0.0',
        description:
          'Tenant-isolated CRM ingestion, organisations and members. Every error is application/problem+json (RFC 9457).',
      },
      [publicRoutes, v1],
      (registry) =>
        registry.registerPath({
          method: 'get',
          path: '/docs',
          operationId: 'getDocs',
          summary: 'This reference, rendered',
          tags: ['ops'],
          responses: { 200: { description: 'HTML page' } },
        }),
    ));
  registerOpsRoutes(publicRoutes, { metrics, metricsToken: config.metricsToken, openApiDocument });

  registerMeRoutes(v1, { auth });
  registerOrganisationRoutes(v1, { auth, pool, statementTimeoutMs: config.database.statementTimeoutMs });
  registerCampaignRoutes(v1, {
    pool,
    statementTimeoutMs: config.database.statementTimeoutMs,
    enrolMaxPerCall: config.outreach.enrolMaxPerCall,
  });
  registerTrackingRoutes(v1, { pool, statementTimeoutMs: config.database.statementTimeoutMs });
  registerAuditRoutes(v1, { pool, statementTimeoutMs: config.database.statementTimeoutMs });
  registerIngestRoutes(v1, {
    pool,
    statementTimeoutMs: config.database.statementTimeoutMs,
    maxRecords: config.ingest.maxRecords,
    bodyLimitBytes: config.ingest.bodyLimitBytes,
  });
  registerCrmRoutes(v1, { pool, statementTimeoutMs: config.database.statementTimeoutMs });
  registerImportRoutes(v1, {
    pool,
    statementTimeoutMs: config.database.statementTimeoutMs,
    maxBytes: config.imports.maxBytes,
    limits: {
      maxCells: config.imports.maxCells,
      maxUncompressedBytes: config.imports.maxUncompressedBytes,
      maxColumns: config.imports.maxColumns,
      maxCellChars: 100_000,
    },
    revertWindowDays: config.imports.revertWindowDays,
  });

  const access = {
    user: [auth.authenticate],
    organisation: [auth.authenticate, scopeFromPath, auth.scopeOrganisation],
    requireRole: (role: Parameters<Auth['requireRole']>[0]) => auth.requireRole(role),
    rateLimit: (group: Parameters<RateLimits['middleware']>[0]) =>
      rateLimits.middleware(group, (req) => (req.auth ? `user:${req.auth.user.id}` : clientIp(req))),
  };
  const publicRouter = express.Router();
  publicRoutes.mount(publicRouter, access, { jsonLimitBytes: config.http.bodyLimitBytes });
  app.use(publicRouter);
  app.use(docsRouter());
  const v1Router = express.Router();
  v1.mount(v1Router, access, { jsonLimitBytes: config.http.bodyLimitBytes });
  app.use(API_BASE_PATH, v1Router);

  app.use(
    notFound((path) =>
      path.startsWith(`${API_BASE_PATH}/`)
        ? v1.allowedMethods(path.slice(API_BASE_PATH.length))
        : publicRoutes.allowedMethods(path),
    ),
  );
  app.use(
    errorHandler({
      logger,
      mappers: [
        (error) => {
          const mapped = authErrorMapper(error);
          if (mapped && mapped.status === 401) metrics.authFailures.inc({ reason: mapped.code });
          return mapped;
        },
      ],
    }),
  );
  return app;
}
