import type { Pool } from 'pg';
import { ValidationError } from '../../platform/errors.js';
import type { ApiRoutes } from '../../platform/http/api-routes.js';
import { tenantOf } from '../../platform/http/tenant.js';
import {
  errorsQuery,
  importListQuery,
  importListSchema,
  importParams,
  importViewSchema,
  jobBody,
  mappingBody,
  uploadQuery,
} from './imports.schemas.js';
import { ImportsService, type ImportsServiceDeps } from './imports.service.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const MEDIA_TYPES = ['text/csv', 'text/tab-separated-values', 'text/plain', XLSX, 'application/octet-stream'];

const location = (id: string) => `/api/v1/imports/${id}`;

function parseMapping(value: string | undefined): 'auto' | Record<string, string | null> | null {
  if (value === undefined) return null;
  if (value === 'auto') return 'auto';
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const entries = Object.entries(parsed as Record<string, unknown>);
      if (entries.every(([, field]) => field === null || typeof field === 'string')) {
        return Object.fromEntries(entries) as Record<string, string | null>;
      }
    }
  } catch {
    // answered below
  }
  throw new ValidationError(
    [{ path: 'query.mapping', message: 'auto, or a JSON object of header → field (or null)' }],
    'The mapping is not valid.',
  );
}

/** File imports: upload, mapping, validation and commit by the worker, progress, error export, undo. */
export function registerImportRoutes(
  routes: ApiRoutes,
  deps: ImportsServiceDeps & { maxBytes: number; pool: Pool },
): void {
  const service = new ImportsService(deps);
  const tags = ['imports'];
  const accepted = {
    202: {
      description: 'Queued; follow GET Location',
      schema: importViewSchema,
      headers: { Location: 'The import' },
    },
  };

  routes.add({
    method: 'post',
    path: '/imports',
    operationId: 'uploadImport',
    summary: 'Upload a CSV or XLSX file (streamed; any size up to the limit); answers what was found in it',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    rateLimitGroup: 'imports',
    query: uploadQuery,
    request: {
      kind: 'stream',
      mediaTypes: MEDIA_TYPES,
      limitBytes: deps.maxBytes,
      description: 'CSV (UTF-8, UTF-16 with BOM, Windows-1252; , ; tab |) or XLSX',
    },
    errors: [409],
    responses: {
      201: {
        description:
          'Staged: encoding, delimiter, headers, row count, the first 20 rows and a suggested mapping with a ' +
          'confidence per column. With mapping and commit=true, validation and commit are already queued.',
        schema: importViewSchema,
        headers: { Location: 'The import' },
      },
    },
    handler: async ({ req, query, upload }) => {
      if (!upload) throw new Error('stream route without an upload');
      if (query.fileName && !upload.fileName) upload.fileName = query.fileName;
      const view = await service.upload(tenantOf(req), upload, {
        sheet: query.sheet ?? null,
        mapping: parseMapping(query.mapping),
        commit: query.commit,
        campaignId: query.campaignId ?? null,
      });
      return { status: 201, body: view, headers: { Location: location(view.id) } };
    },
  });
  routes.add({
    method: 'get',
    path: '/imports',
    operationId: 'listImports',
    summary: 'List imports, newest first, with cursor pagination',
    tags,
    access: 'organisation',
    query: importListQuery,
    responses: { 200: { description: 'A page of imports', schema: importListSchema } },
    handler: async ({ req, query }) => ({ status: 200, body: await service.list(tenantOf(req), query) }),
  });
  routes.add({
    method: 'get',
    path: '/imports/:id',
    operationId: 'getImport',
    summary: 'An import: status, counts and live progress (rows done, total, rate) while a job runs',
    tags,
    access: 'organisation',
    params: importParams,
    responses: { 200: { description: 'The import', schema: importViewSchema } },
    handler: async ({ req, params }) => ({
      status: 200,
      body: await service.get(tenantOf(req), params.id),
      headers: { 'Cache-Control': 'no-store' },
    }),
  });
  routes.add({
    method: 'put',
    path: '/imports/:id/mapping',
    operationId: 'setImportMapping',
    summary: 'Confirm the mapping of columns to fields (remembered for the same headers next time)',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    rateLimitGroup: 'imports',
    params: importParams,
    body: mappingBody,
    errors: [409],
    responses: { 200: { description: 'Mapped', schema: importViewSchema } },
    handler: async ({ req, params, body }) => ({
      status: 200,
      body: await service.setMapping(tenantOf(req), params.id, body.mapping),
    }),
  });
  for (const [path, operationId, summary, run] of [
    [
      '/imports/:id/validate',
      'validateImport',
      'Validate (a dry run): counts valid, invalid, duplicates, existing and warnings; problems stored per row',
      (scope: ReturnType<typeof tenantOf>, id: string, campaignId: string | null) =>
        service.validate(scope, id, campaignId),
    ],
    [
      '/imports/:id/commit',
      'commitImport',
      'Commit a validated import: one transaction, all or nothing; optionally enrols the people in a campaign',
      (scope: ReturnType<typeof tenantOf>, id: string, campaignId: string | null) =>
        service.commit(scope, id, campaignId),
    ],
  ] as const) {
    routes.add({
      method: 'post',
      path,
      operationId,
      summary,
      tags,
      access: 'organisation',
      minimumRole: 'member',
      rateLimitGroup: 'imports',
      params: importParams,
      body: jobBody,
      errors: [409],
      responses: accepted,
      handler: async ({ req, params, body }) => {
        const view = await run(tenantOf(req), params.id, body.campaignId ?? null);
        return { status: 202, body: view, headers: { Location: location(view.id) } };
      },
    });
  }
  routes.add({
    method: 'post',
    path: '/imports/:id/revert',
    operationId: 'revertImport',
    summary:
      'Undo a committed import (admin, within the window): created records deleted, updated fields restored ' +
      'except those changed since (reported as conflicts); idempotent',
    tags,
    access: 'organisation',
    minimumRole: 'admin',
    rateLimitGroup: 'imports',
    params: importParams,
    errors: [409],
    responses: {
      ...accepted,
      200: { description: 'Already undone (or being undone)', schema: importViewSchema },
    },
    handler: async ({ req, params }) => {
      const { view, queued } = await service.revert(tenantOf(req), params.id);
      return { status: queued ? 202 : 200, body: view, headers: { Location: location(view.id) } };
    },
  });
  routes.add({
    method: 'get',
    path: '/imports/:id/errors',
    operationId: 'getImportErrors',
    summary:
      'The problems of every row as CSV (row, column, code, severity, message, raw value, then the original ' +
      'row), UTF-8 with BOM; cells that Excel would run as formulas are neutralised',
    tags,
    access: 'organisation',
    params: importParams,
    query: errorsQuery,
    responses: { 200: { description: 'text/csv; charset=utf-8, streamed' } },
    handler: async ({ req, params, query }) => {
      const { stream, fileName } = await service.errorsCsv(tenantOf(req), params.id, query.delimiter);
      return {
        status: 200,
        stream,
        contentType: 'text/csv; charset=utf-8',
        headers: {
          'Content-Disposition': `attachment; filename="${fileName.replace(/[^\w.-]+/g, '_')}"`,
          'Cache-Control': 'no-store',
        },
      };
    },
  });
  routes.add({
    method: 'delete',
    path: '/imports/:id',
    operationId: 'cancelImport',
    summary: 'Cancel an import: a running job is stopped and rolled back; staged rows are purged',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: importParams,
    errors: [409],
    responses: {
      204: { description: 'Cancelled and purged' },
      202: { description: 'The running job was asked to stop; it ends cancelled', schema: importViewSchema },
    },
    handler: async ({ req, params }) => {
      const { view, pending } = await service.cancel(tenantOf(req), params.id);
      return pending
        ? { status: 202, body: view, headers: { Location: location(view.id) } }
        : { status: 204 };
    },
  });
}
