import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Pool } from 'pg';

/**
 * The API's Prometheus metrics, in a registry of its own (two apps in one process, as in tests, do not collide).
 * Route labels are templates (`/api/v1/organisations/:organisationId`), never raw paths, so cardinality stays
 * bounded whatever clients send.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'rate_limit_rejections_total',
    help: 'Requests refused with 429, by route group',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'auth_failures_total',
    help: 'Authentication failures by reason code',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly importRows = new Counter({
    name: 'import_rows_total',
    help: 'Import rows processed, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly pixelOpensRecorded = new Counter({
    name: 'tracking_pixel_opens_recorded_total',
    help: 'Pixel opens written to the database (known tokens)',
    registers: [this.registry],
  });
  readonly pixelOpensIgnored = new Counter({
    name: 'tracking_pixel_opens_ignored_total',
    help: 'Pixel hits not recorded because the token is malformed or unknown',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly pixelOpensDropped = new Counter({
    name: 'tracking_pixel_opens_dropped_total',
    help: 'Pixel opens lost: recorder buffer full, or the database failed the batch',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly pixelFlushDuration = new Histogram({
    name: 'tracking_pixel_flush_duration_seconds',
    help: 'Duration of one batch write of pixel opens, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor(options: { pool?: Pool; defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const pool = options.pool;
    if (pool) {
      new Gauge({
        name: 'db_pool_clients',
        help: 'Application pool clients by state',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          this.set({ state: 'total' }, pool.totalCount);
          this.set({ state: 'idle' }, pool.idleCount);
          this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
          this.set({ state: 'waiting' }, pool.waitingCount);
        },
      });
    }
  }

  /** Times every request; labels it with the matched route template or `unmatched`. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const end = this.httpDuration.startTimer();
      res.on('finish', () => {
        const template = req.route?.path;
        const route = typeof template === 'string' ? `${req.baseUrl}${template}` : 'unmatched';
        end({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }
}
