import type { Sql } from '../../platform/db/index.js';
import {
  keysetClauses,
  keysetPage,
  keysetSortKey,
  keysetValues,
  type KeysetOrder,
  type KeysetPage,
  type KeysetPosition,
} from '../../platform/db/keyset.js';

/** SQL of crm.imports, its mappings, errors and the record of what a commit changed. */

export type ImportStatus =
  | 'uploading'
  | 'uploaded'
  | 'mapped'
  | 'validating'
  | 'validated'
  | 'committing'
  | 'committed'
  | 'reverting'
  | 'reverted'
  | 'failed'
  | 'cancelled';
export type JobKind = 'validate' | 'commit' | 'revert';

export interface ImportRow {
  id: string;
  file_name: string;
  file_size_bytes: string | null;
  content_type: string | null;
  status: ImportStatus;
  format: 'csv' | 'xlsx' | null;
  encoding: string | null;
  delimiter: string | null;
  sheet: string | null;
  headers: string[] | null;
  header_signature: string | null;
  preview: string[][] | null;
  suggested_mapping: unknown;
  mapping: Record<string, string | null> | null;
  options: { campaignId?: string | null; commit?: boolean };
  campaign_id: string | null;
  rows_total: number;
  rows_processed: number;
  rows_valid: number;
  rows_invalid: number;
  rows_duplicate: number;
  rows_existing: number;
  rows_warning: number;
  created_count: number;
  updated_count: number;
  unchanged_count: number;
  rejected_count: number;
  enrolled_count: number;
  job: JobKind | null;
  job_state: 'queued' | 'running' | 'done' | 'failed' | null;
  job_error: string | null;
  job_started_at: Date | null;
  failure_reason: string | null;
  created_by: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  committed_at: Date | null;
  reverted_at: Date | null;
  revert_report: unknown;
  cancel_requested: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, file_name, file_size_bytes, content_type, status, format, encoding, delimiter, sheet, headers,
  header_signature, preview, suggested_mapping, mapping, options, campaign_id, rows_total, rows_processed,
  rows_valid, rows_invalid, rows_duplicate, rows_existing, rows_warning, created_count, updated_count,
  unchanged_count, rejected_count, enrolled_count, job, job_state, job_error, job_started_at, failure_reason,
  created_by, started_at, finished_at, committed_at, reverted_at, revert_report, cancel_requested, created_at,
  updated_at`;

export async function insertImport(
  sql: Sql,
  input: { organisationId: string; fileName: string; contentType: string; createdBy: string | null },
): Promise<ImportRow> {
  return sql.one<ImportRow>(
    `INSERT INTO crm.imports (organisation_id, file_name, content_type, created_by, status, started_at)
     VALUES ($1, $2, $3, $4, 'uploading', now()) RETURNING ${COLUMNS}`,
    [input.organisationId, input.fileName, input.contentType, input.createdBy],
  );
}

export async function findImport(sql: Sql, id: string, forUpdate = false): Promise<ImportRow | null> {
  return sql.maybeOne<ImportRow>(
    `SELECT ${COLUMNS} FROM crm.imports WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
}

/** Sets columns of an import (names are this module's constants) and returns it. */
export async function updateImport(
  sql: Sql,
  id: string,
  changes: Readonly<Record<string, unknown>>,
): Promise<ImportRow> {
  const columns = Object.keys(changes);
  const json = new Set(['headers', 'preview', 'suggested_mapping', 'mapping', 'options', 'revert_report']);
  const assignments = columns
    .map((column, i) => `${column} = $${i + 2}${json.has(column) ? '::jsonb' : ''}`)
    .join(', ');
  return sql.one<ImportRow>(`UPDATE crm.imports SET ${assignments} WHERE id = $1 RETURNING ${COLUMNS}`, [
    id,
    ...columns.map((column) => (json.has(column) ? JSON.stringify(changes[column]) : changes[column])),
  ]);
}

const ORDER: KeysetOrder = { sortColumn: 'created_at', idColumn: 'id', direction: 'desc' };
const PAGE = keysetClauses(ORDER, 1);

export async function listImports(
  sql: Sql,
  input: { after: KeysetPosition | null; limit: number; status: ImportStatus | null },
): Promise<KeysetPage<ImportRow>> {
  const rows = await sql.any<ImportRow & { keyset_sort_key: string }>(
    `SELECT ${COLUMNS}, ${keysetSortKey(ORDER)} FROM crm.imports
      WHERE ${PAGE.predicate} AND ($3::text IS NULL OR status = $3)
      ORDER BY ${PAGE.orderBy} LIMIT $4`,
    [...keysetValues(input.after), input.status, input.limit + 1],
  );
  return keysetPage(rows, input.limit, (row) => row as ImportRow);
}

export async function deleteImport(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM crm.imports WHERE id = $1', [id]);
}

/**
 * Removes what an import staged (raw rows, clean records), keeping the import, its problems and its changes.
 * After a commit, the raw rows that have problems stay until the retention sweep: the error CSV shows them.
 */
export async function purgeStaged(
  sql: Sql,
  id: string,
  options: { keepProblemRows?: boolean } = {},
): Promise<void> {
  await sql.query('DELETE FROM crm.import_records WHERE import_id = $1', [id]);
  if (options.keepProblemRows) {
    // OFFSET 0 keeps the NOT EXISTS a probe of the (import, row) index per staged row. As an anti join, with
    // an import too new for the statistics (one row guessed), it was a nested loop reading every problem of
    // the import for every row: 42 s for 50,000 rows with 5,000 problems.
    await sql.query(
      `DELETE FROM crm.import_rows r WHERE r.import_id = $1
          AND NOT EXISTS (SELECT 1 FROM crm.import_errors e
                           WHERE e.import_id = r.import_id AND e.row_number = r.row_number OFFSET 0)`,
      [id],
    );
  } else {
    await sql.query('DELETE FROM crm.import_rows WHERE import_id = $1', [id]);
    await sql.query('UPDATE crm.imports SET staged_purged_at = now() WHERE id = $1', [id]);
  }
}

/** Queues a job on an import (the worker claims it); the import is locked by the caller. */
export async function queueJob(sql: Sql, id: string, job: JobKind, status: ImportStatus): Promise<ImportRow> {
  return sql.one<ImportRow>(
    `UPDATE crm.imports
        SET job = $2, job_state = 'queued', job_error = NULL, job_attempts = 0, job_started_at = NULL,
            lease_owner = NULL, lease_expires_at = NULL, status = $3, rows_processed = 0
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, job, status],
  );
}

// -- the job queue, across organisations through the definer function, then per organisation --------------

export async function claimJob(
  sql: Sql,
  worker: string,
  leaseSeconds: number,
  maxAttempts: number,
): Promise<{ organisation_id: string; import_id: string; job: JobKind; attempt: number } | null> {
  return sql.maybeOne('SELECT * FROM crm.claim_import_job($1, $2, $3)', [worker, leaseSeconds, maxAttempts]);
}

export async function renewLease(
  sql: Sql,
  id: string,
  worker: string,
  leaseSeconds: number,
): Promise<boolean> {
  // Never waits for the row: a commit holds its lock from its first progress update to its end, and renewals
  // queued behind it would each hold a pooled connection for the whole commit. While another transaction
  // holds the row, no other worker can claim it either (the claim skips locked rows), so the lease holds if
  // the last committed state says it is this worker's; the job's own transaction checks again before it ends.
  const row = await sql.one<{ ours: boolean; free: boolean; renewed: boolean }>(
    `WITH cur AS (SELECT lease_owner = $2 AND job_state = 'running' AS ours FROM crm.imports WHERE id = $1),
          free AS (SELECT id FROM crm.imports WHERE id = $1 FOR UPDATE SKIP LOCKED),
          renewed AS (UPDATE crm.imports i SET lease_expires_at = now() + make_interval(secs => $3)
                        FROM free WHERE i.id = free.id AND i.lease_owner = $2 AND i.job_state = 'running'
                      RETURNING i.id)
     SELECT coalesce((SELECT ours FROM cur), false) AS ours, EXISTS (SELECT 1 FROM free) AS free,
            EXISTS (SELECT 1 FROM renewed) AS renewed`,
    [id, worker, leaseSeconds],
  );
  return row.free ? row.renewed : row.ours;
}

export async function releaseJob(sql: Sql, id: string, worker: string): Promise<void> {
  await sql.query(
    `UPDATE crm.imports SET job_state = 'queued', lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND lease_owner = $2 AND job_state = 'running'`,
    [id, worker],
  );
}

/**
 * Ends a job if this worker still holds it; false when it does not (the lease ran out and another worker
 * took the job), in which case the caller's transaction must roll back.
 */
export async function finishJob(
  sql: Sql,
  id: string,
  worker: string,
  changes: Readonly<Record<string, unknown>>,
): Promise<boolean> {
  const held = await sql.maybeOne<{ id: string }>(
    `SELECT id FROM crm.imports WHERE id = $1 AND lease_owner = $2 AND job_state = 'running' FOR UPDATE`,
    [id, worker],
  );
  if (!held) return false;
  await updateImport(sql, id, { ...changes, job_state: 'done', lease_owner: null, lease_expires_at: null });
  return true;
}

export async function importsToPurge(
  sql: Sql,
  retentionSeconds: number,
  limit: number,
): Promise<{ organisation_id: string; import_id: string }[]> {
  return sql.any('SELECT * FROM crm.imports_to_purge($1, $2)', [retentionSeconds, limit]);
}

// -- mappings -------------------------------------------------------------------------------------------

export async function rememberedMapping(
  sql: Sql,
  signature: string,
): Promise<Record<string, string | null> | null> {
  const row = await sql.maybeOne<{ mapping: Record<string, string | null> }>(
    'SELECT mapping FROM crm.import_mappings WHERE header_signature = $1',
    [signature],
  );
  return row?.mapping ?? null;
}

export async function rememberMapping(
  sql: Sql,
  input: {
    organisationId: string;
    signature: string;
    headers: readonly string[];
    mapping: Readonly<Record<string, string | null>>;
    userId: string | null;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO crm.import_mappings (organisation_id, header_signature, headers, mapping, confirmed_by)
     VALUES ($1, $2, $3::jsonb, $4::jsonb, $5)
     ON CONFLICT (organisation_id, header_signature)
     DO UPDATE SET mapping = excluded.mapping, headers = excluded.headers, confirmed_by = excluded.confirmed_by`,
    [
      input.organisationId,
      input.signature,
      JSON.stringify(input.headers),
      JSON.stringify(input.mapping),
      input.userId,
    ],
  );
}
