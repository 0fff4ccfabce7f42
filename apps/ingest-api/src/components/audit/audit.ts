import type { Pool } from 'pg';
import { withScope, type Sql } from '../../platform/db/index.js';
import type { ApiRoutes } from '../../platform/http/api-routes.js';
import { CURSOR_IDS, decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { paginationQuery } from '../../platform/http/pagination.js';
import { tenantOf } from '../../platform/http/tenant.js';
import { z } from '../../platform/http/zod.js';
import type { TenantScope } from '../../platform/tenant.js';

const datetime = () => z.string().datetime({ offset: true });

export const auditQuery = z
  .object({
    ...paginationQuery,
    table: z
      .string()
      .regex(
        /^(?:[a-z_]{1,63}\.)?[a-z_]{1,63}$/,
        'a table name, optionally with its schema (outreach.campaigns)',
      )
      .optional()
      .openapi({ description: 'Table name, e.g. `campaigns` or `outreach.campaigns`' }),
    rowId: z.string().uuid().optional(),
    userId: z.string().uuid().optional(),
    importId: z.string().uuid().optional().openapi({ description: 'Entries written by this import' }),
    operation: z.enum(['INSERT', 'UPDATE', 'DELETE']).optional(),
    from: datetime().optional().openapi({ description: 'At or after this instant' }),
    to: datetime().optional().openapi({ description: 'Before this instant' }),
  })
  .strict();
type AuditQuery = z.infer<typeof auditQuery>;

const valueSchema = z.unknown().openapi({ description: 'A JSON value as stored' });
export const auditEntrySchema = z
  .object({
    id: z.string().openapi({ description: 'Entry number (an integer, as text)' }),
    occurredAt: z.string(),
    operation: z.enum(['INSERT', 'UPDATE', 'DELETE']),
    table: z.string(),
    rowId: z.string().nullable(),
    changes: z.array(z.object({ field: z.string(), old: valueSchema, new: valueSchema })),
    user: z.object({ id: z.string().uuid(), email: z.string().nullable() }).nullable(),
    requestId: z.string().nullable(),
    importId: z.string().uuid().nullable(),
  })
  .openapi('AuditEntry');
type AuditEntry = z.infer<typeof auditEntrySchema>;
export const auditPageSchema = z
  .object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() })
  .openapi('AuditPage');

interface AuditRow {
  id: string;
  occurred_at: Date;
  operation: AuditEntry['operation'];
  table_schema: string;
  table_name: string;
  row_id: string | null;
  old_values: Record<string, unknown> | null;
  new_values: Record<string, unknown> | null;
  user_id: string | null;
  email: string | null;
  correlation_id: string | null;
  import_id: string | null;
  sort_key: string;
}

function toEntry(row: AuditRow): AuditEntry {
  const fields = Object.keys(
    row.operation === 'DELETE' ? (row.old_values ?? {}) : (row.new_values ?? {}),
  ).sort();
  return {
    id: row.id,
    occurredAt: row.occurred_at.toISOString(),
    operation: row.operation,
    table: `${row.table_schema}.${row.table_name}`,
    rowId: row.row_id,
    changes: fields.map((field) => ({
      field,
      old: row.operation === 'INSERT' ? null : (row.old_values?.[field] ?? null),
      new: row.operation === 'DELETE' ? null : (row.new_values?.[field] ?? null),
    })),
    user: row.user_id ? { id: row.user_id, email: row.email } : null,
    requestId: row.correlation_id,
    importId: row.import_id,
  };
}

/** Newest first, keyset on (occurred_at, id) descending, with every filter optional. */
async function listEntries(
  sql: Sql,
  organisationId: string,
  query: AuditQuery,
  after: { sortKey: string; id: string } | null,
): Promise<AuditRow[]> {
  const [schema, table] = query.table?.includes('.') ? query.table.split('.') : [null, query.table ?? null];
  return sql.any<AuditRow>(
    `SELECT a.id::text AS id, a.occurred_at, a.operation, a.table_schema, a.table_name, a.row_id, a.old_values,
            a.new_values, a.user_id, u.email::text AS email, a.correlation_id, a.import_id,
            to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_key
       FROM audit.audit_log a
       LEFT JOIN iam.users u ON u.id = a.user_id
      WHERE a.organisation_id = $1
        AND ($2::timestamptz IS NULL OR (a.occurred_at, a.id) < ($2::timestamptz, $3::bigint))
        AND ($4::text IS NULL OR a.table_schema = $4) AND ($5::text IS NULL OR a.table_name = $5)
        AND ($6::uuid IS NULL OR a.row_id = $6) AND ($7::uuid IS NULL OR a.user_id = $7)
        AND ($8::uuid IS NULL OR a.import_id = $8) AND ($9::text IS NULL OR a.operation = $9)
        AND ($10::timestamptz IS NULL OR a.occurred_at >= $10) AND ($11::timestamptz IS NULL OR a.occurred_at < $11)
      ORDER BY a.occurred_at DESC, a.id DESC
      LIMIT $12`,
    [
      organisationId,
      after?.sortKey ?? null,
      after?.id ?? null,
      schema ?? null,
      table ?? null,
      query.rowId ?? null,
      query.userId ?? null,
      query.importId ?? null,
      query.operation ?? null,
      query.from ?? null,
      query.to ?? null,
      query.limit + 1,
    ],
  );
}

/** The audit trail of the organisation: read-only (the log is append-only for every role). */
export class AuditService {
  constructor(private readonly deps: { pool: Pool; statementTimeoutMs: number }) {}

  async list(
    scope: TenantScope,
    query: AuditQuery,
  ): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor, CURSOR_IDS.bigint) : null;
    const rows = await withScope(this.deps.pool, scope, this.deps.statementTimeoutMs, (sql) =>
      listEntries(sql, scope.organisationId, query, after),
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(toEntry),
      nextCursor:
        rows.length > query.limit && last ? encodeCursor({ sortKey: last.sort_key, id: last.id }) : null,
    };
  }
}

export function registerAuditRoutes(
  routes: ApiRoutes,
  deps: { pool: Pool; statementTimeoutMs: number },
): void {
  const service = new AuditService(deps);
  routes.add({
    method: 'get',
    path: '/audit',
    operationId: 'listAuditEntries',
    summary:
      'The audit trail, newest first: who changed which fields of which row, when, in which request (admin)',
    tags: ['audit'],
    access: 'organisation',
    minimumRole: 'admin',
    query: auditQuery,
    responses: { 200: { description: 'A page of audit entries', schema: auditPageSchema } },
    handler: async ({ req, query }) => ({ status: 200, body: await service.list(tenantOf(req), query) }),
  });
}
