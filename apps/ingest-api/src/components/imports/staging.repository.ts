import { createHash } from 'node:crypto';
import type { Sql } from '../../platform/db/index.js';
import { arrayLiteral, copyLine, copySource } from '../../platform/db/copy.js';
import type { CleanRecord } from '../crm/crm-record.js';

/**
 * Staged rows, clean records and row problems of an import, written with COPY. PostgreSQL refuses COPY into
 * a table with row-level security, so each write copies into a temporary table (stagingTable) and inserts
 * from it: the tenant policy's WITH CHECK applies to that INSERT (ADR 0061).
 */

/**
 * COPY lines joined into blocks of about 64 KiB: pg-copy-streams sends each chunk it is given as a message of
 * its own, one socket write each, which cost more than building the lines when they went one by one.
 */
function* blocks(lines: Iterable<string>): Generator<string> {
  let block: string[] = [];
  let length = 0;
  for (const line of lines) {
    block.push(line);
    length += line.length;
    if (length >= 65_536) {
      yield block.join('');
      block = [];
      length = 0;
    }
  }
  if (block.length > 0) yield block.join('');
}

/**
 * The staging table of one row shape: a temporary table of the session, created once per server connection
 * and kept (`ON COMMIT DELETE ROWS`), rather than created and dropped by every batch: creating one costs
 * catalog writes for the table, its row type and its TOAST table, tens of milliseconds per batch on these cores.
 * Under transaction pooling the table outlives the transaction on the server connection, empty: each use moves
 * its rows out in the same statement that inserts them, and a commit or rollback empties it anyway. Its name
 * carries a hash of its definition, so a changed shape gets a table of its own.
 */
function stagingTable(definition: string): string {
  return `pf_stage_${createHash('sha1').update(definition).digest('hex').slice(0, 16)}`;
}

async function viaTemporaryTable(
  sql: Sql,
  definition: string,
  columns: string,
  lines: Iterable<string>,
  insert: (rows: string) => string,
  values: readonly unknown[],
): Promise<number> {
  const table = stagingTable(definition);
  await sql.query(`CREATE TEMPORARY TABLE IF NOT EXISTS ${table} (${definition}) ON COMMIT DELETE ROWS`);
  await sql.copyFrom(`COPY ${table} (${columns}) FROM STDIN`, copySource(blocks(lines)));
  const { rowCount } = await sql.query(
    `WITH moved AS (DELETE FROM ${table} RETURNING ${columns}) ${insert('moved')}`,
    values,
  );
  return rowCount;
}

export interface StagedRow {
  rowNumber: number;
  cells: readonly string[];
  /** How many cells the file's row had, when it was not the header's count (a ragged row). */
  cellCount?: number | null;
}

/** Stages parsed rows; a row already staged (a retried batch) is left as it is. */
export async function stageRows(
  sql: Sql,
  organisationId: string,
  importId: string,
  rows: readonly StagedRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  return viaTemporaryTable(
    sql,
    'row_number integer NOT NULL, raw text[] NOT NULL, data jsonb',
    'row_number, raw, data',
    rows.map((row) =>
      copyLine([
        row.rowNumber,
        arrayLiteral(row.cells),
        row.cellCount === undefined || row.cellCount === null
          ? null
          : JSON.stringify({ cellCount: row.cellCount }),
      ]),
    ),
    (rows) => `INSERT INTO crm.import_rows (organisation_id, import_id, row_number, raw, data)
                SELECT $1::uuid, $2::uuid, row_number, raw, data FROM ${rows}
                ON CONFLICT (organisation_id, import_id, row_number) DO NOTHING`,
    [organisationId, importId],
  );
}

/** Staged rows after a row number, in order. */
export async function readStaged(
  sql: Sql,
  importId: string,
  afterRow: number,
  limit: number,
): Promise<StagedRow[]> {
  // The cells as JSON (JSON.parse is native) rather than a text[] literal parsed in JavaScript.
  const rows = await sql.any<{ row_number: number; raw: string[]; cell_count: number | null }>(
    `SELECT row_number, to_json(raw) AS raw, (data ->> 'cellCount')::int AS cell_count FROM crm.import_rows
      WHERE import_id = $1 AND row_number > $2 ORDER BY row_number LIMIT $3`,
    [importId, afterRow, limit],
  );
  return rows.map((row) => ({ rowNumber: row.row_number, cells: row.raw, cellCount: row.cell_count }));
}

export async function firstStaged(sql: Sql, importId: string, limit: number): Promise<StagedRow[]> {
  return readStaged(sql, importId, 0, limit);
}

export interface ValidRecord {
  rowNumber: number;
  record: CleanRecord;
  companyKey: string | null;
  personKey: string | null;
}

export async function writeRecords(
  sql: Sql,
  organisationId: string,
  importId: string,
  records: readonly ValidRecord[],
): Promise<number> {
  if (records.length === 0) return 0;
  return viaTemporaryTable(
    sql,
    'row_number integer NOT NULL, record jsonb NOT NULL, company_key text, person_key text',
    'row_number, record, company_key, person_key',
    records.map((r) => copyLine([r.rowNumber, JSON.stringify(r.record), r.companyKey, r.personKey])),
    (
      rows,
    ) => `INSERT INTO crm.import_records (organisation_id, import_id, row_number, record, company_key, person_key)
                SELECT $1::uuid, $2::uuid, row_number, record, company_key, person_key
                  FROM ${rows}
                ON CONFLICT (organisation_id, import_id, row_number) DO NOTHING`,
    [organisationId, importId],
  );
}

export async function readRecords(
  sql: Sql,
  importId: string,
  afterRow: number,
  limit: number,
): Promise<{ rowNumber: number; record: CleanRecord }[]> {
  const rows = await sql.any<{ row_number: number; record: CleanRecord }>(
    `SELECT row_number, record FROM crm.import_records WHERE import_id = $1 AND row_number > $2
      ORDER BY row_number LIMIT $3`,
    [importId, afterRow, limit],
  );
  return rows.map((row) => ({ rowNumber: row.row_number, record: row.record }));
}

export interface RowProblem {
  rowNumber: number;
  column: string | null;
  code: string;
  severity: 'error' | 'warning';
  message: string;
  rawValue: string | null;
}

export async function writeProblems(
  sql: Sql,
  organisationId: string,
  importId: string,
  problems: readonly RowProblem[],
): Promise<number> {
  if (problems.length === 0) return 0;
  return viaTemporaryTable(
    sql,
    'row_number integer NOT NULL, column_name text, code text NOT NULL, severity text NOT NULL, message text NOT NULL, raw_value text',
    'row_number, column_name, code, severity, message, raw_value',
    problems.map((p) => copyLine([p.rowNumber, p.column, p.code, p.severity, p.message, p.rawValue])),
    (
      rows,
    ) => `INSERT INTO crm.import_errors (organisation_id, import_id, row_number, column_name, code, severity,
                                               message, raw_value)
                SELECT $1::uuid, $2::uuid, row_number, column_name, code, severity,
                       message, raw_value FROM ${rows}`,
    [organisationId, importId],
  );
}

export async function clearProblems(sql: Sql, importId: string): Promise<void> {
  await sql.query('DELETE FROM crm.import_errors WHERE import_id = $1', [importId]);
  await sql.query('DELETE FROM crm.import_records WHERE import_id = $1', [importId]);
}

/** Problems in row order, each with its row's original cells (when still staged), for the error CSV. */
export async function readProblems(
  sql: Sql,
  importId: string,
  after: { rowNumber: number; id: string } | null,
  limit: number,
): Promise<(RowProblem & { id: string; raw: string[] | null })[]> {
  const rows = await sql.any<{
    id: string;
    row_number: number;
    column_name: string | null;
    code: string;
    severity: 'error' | 'warning';
    message: string;
    raw_value: string | null;
    raw: string[] | null;
  }>(
    `SELECT e.id, e.row_number, e.column_name, e.code, e.severity, e.message, e.raw_value, r.raw
       FROM crm.import_errors e
       LEFT JOIN crm.import_rows r ON r.import_id = e.import_id AND r.row_number = e.row_number
      WHERE e.import_id = $1 AND ($2::int IS NULL OR (e.row_number, e.id) > ($2::int, $3::uuid))
      ORDER BY e.row_number, e.id LIMIT $4`,
    [importId, after?.rowNumber ?? null, after?.id ?? null, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    rowNumber: row.row_number,
    column: row.column_name,
    code: row.code,
    severity: row.severity,
    message: row.message,
    rawValue: row.raw_value,
    raw: row.raw,
  }));
}
