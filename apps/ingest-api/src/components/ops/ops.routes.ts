import { timingSafeEqual } from 'node:crypto';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { ApiRoutes } from '../../platform/http/api-routes.js';
import { ApiError, BadRequestError } from '../../platform/http/errors.js';
import { z } from '../../platform/http/zod.js';

function tokenMatches(header: string | undefined, token: string): boolean {
  const offered = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return offered.length === expected.length && timingSafeEqual(offered, expected);
}

export function registerOpsRoutes(
  routes: ApiRoutes,
  options: { metrics: Metrics; metricsToken: string | null; openApiDocument: () => object },
): void {
  routes.add({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (bearer METRICS_TOKEN when configured)',
    tags: ['ops'],
    access: 'public',
    responses: { 200: { description: 'Prometheus text exposition format' } },
    handler: async ({ req }) => {
      // Every header, not req.get(), which keeps the first: a second, forged one must not slip past.
      const authorization = req.headersDistinct['authorization'] ?? [];
      if (authorization.length > 1) {
        throw new BadRequestError('Send exactly one Authorization header.', 'duplicate_authorization');
      }
      if (options.metricsToken !== null && !tokenMatches(authorization[0], options.metricsToken)) {
        throw new ApiError(
          401,
          'Unauthorized',
          'Metrics need the configured bearer token.',
          'metrics_token_required',
          {
            'WWW-Authenticate': 'Bearer realm="metrics"',
          },
        );
      }
      return {
        status: 200,
        body: await options.metrics.registry.metrics(),
        contentType: options.metrics.registry.contentType,
      };
    },
  });
  routes.add({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This API as an OpenAPI 3.1 document, generated from the schemas that validate requests',
    tags: ['ops'],
    access: 'public',
    responses: {
      200: { description: 'OpenAPI 3.1 document', schema: z.object({ openapi: z.string() }).passthrough() },
    },
    handler: async () => ({ status: 200, body: options.openApiDocument() }),
  });
}
