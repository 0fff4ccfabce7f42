import type { Pool } from 'pg';
import { ValidationError } from '../../platform/errors.js';
import type { ApiRoutes } from '../../platform/http/api-routes.js';
import { tenantOf } from '../../platform/http/tenant.js';
import { z } from '../../platform/http/zod.js';
import { ingestBody, ingestQuery, ingestResponseSchema } from './ingest.schemas.js';
import { IngestService } from './ingest.service.js';

const ingestHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, '1 to 255 visible ASCII characters')
    .optional()
    .openapi({
      description:
        'Makes a retry safe: the same key from the same user in the same organisation within 24 h returns ' +
        'the first answer and writes nothing (a different body with the same key is a 422, the same key ' +
        'while the first request runs a 409).',
    }),
});

export function registerIngestRoutes(
  routes: ApiRoutes,
  deps: { pool: Pool; statementTimeoutMs: number; maxRecords: number; bodyLimitBytes: number },
): void {
  const service = new IngestService(deps);
  routes.add({
    method: 'post',
    path: '/ingest',
    operationId: 'ingestRecords',
    summary: 'Ingest a batch of prospect records (company, person, position), merged by natural keys',
    tags: ['ingest'],
    access: 'organisation',
    minimumRole: 'member',
    rateLimitGroup: 'ingest',
    query: ingestQuery,
    request: { kind: 'json', limitBytes: deps.bodyLimitBytes },
    body: ingestBody,
    headers: ingestHeaders,
    errors: [409],
    responses: {
      200: {
        description:
          'One result per record, in order, and totals. Invalid records are rejected (with their problems) ' +
          'and the valid ones stored, unless atomic=true.',
        schema: ingestResponseSchema,
        headers: { 'Idempotency-Replayed': 'true when this is the stored answer of an earlier request' },
      },
    },
    handler: async ({ req, query, body, headers }) => {
      const { outcome, replayed } = await service.ingest(tenantOf(req), {
        records: body.records,
        atomic: query.atomic,
        idempotencyKey: headers['idempotency-key'] ?? null,
      });
      if (outcome.kind === 'rejected') {
        throw new ValidationError(
          outcome.errors,
          `${outcome.rejected} record(s) were rejected, so nothing was stored (atomic=true).`,
          'records_rejected',
        );
      }
      const replayHeaders: Record<string, string> = replayed ? { 'Idempotency-Replayed': 'true' } : {};
      return { status: 200, body: outcome.response, headers: replayHeaders };
    },
  });
}
