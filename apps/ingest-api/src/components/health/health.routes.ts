import type { ApiRoutes } from '../../platform/http/api-routes.js';
import { z } from '../../platform/http/zod.js';
import { readiness, type HealthCheck } from './health.service.js';

const checkSchema = z.object({
  status: z.enum(['up', 'down']),
  latencyMs: z.number().int(),
  critical: z.boolean(),
  error: z.string().optional(),
});
const readinessSchema = z
  .object({ status: z.enum(['healthy', 'degraded', 'unhealthy']), checks: z.record(z.string(), checkSchema) })
  .openapi('Readiness');

export function registerHealthRoutes(
  routes: ApiRoutes,
  options: { checks: readonly HealthCheck[]; timeoutMs: number; slowMs: number },
): void {
  routes.add({
    method: 'get',
    path: '/health/live',
    operationId: 'getLiveness',
    summary: 'The process is up',
    tags: ['health'],
    access: 'public',
    responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 200, body: { status: 'ok' }, headers: { 'Cache-Control': 'no-store' } }),
  });
  routes.add({
    method: 'get',
    path: '/health/ready',
    operationId: 'getReadiness',
    summary: 'Dependencies answer: database through the pool, Redis, signing keys',
    tags: ['health'],
    access: 'public',
    responses: {
      200: { description: 'Healthy or degraded', schema: readinessSchema },
      503: { description: 'Unhealthy: a critical dependency is down', schema: readinessSchema },
    },
    handler: async () => {
      const report = await readiness(options.checks, options);
      return {
        status: report.status === 'unhealthy' ? 503 : 200,
        body: report,
        headers: { 'Cache-Control': 'no-store' },
      };
    },
  });
}
