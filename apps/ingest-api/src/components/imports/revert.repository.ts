import type { Sql } from '../../platform/db/index.js';
import type { EntityOutcome, MergeResult } from '../crm/crm-merge.repository.js';
import type { Entity } from '../crm/crm.fields.js';
import { fieldName } from '../crm/crm-record.js';

/**
 * What a commit changed and the undo that reads it back. The rows a commit created, and the campaign
 * enrolments it made, are the audit trail's INSERT entries of the import (written by the database's own
 * trigger in the commit's transaction, immutable, indexed by import); the fields it changed, with their old
 * and new values, are in crm.import_changes. A row the commit created is recognised as untouched by its
 * `updated_at`: the commit's transaction wrote it at `crm.imports.committed_at`, so a later value means someone
 * changed it since.
 */

type TableName = 'companies' | 'people' | 'positions';
const TABLE_OF: Record<Entity, TableName> = {
  company: 'companies',
  person: 'people',
  position: 'positions',
};
/** A conflict names a field as the API does (`hqCity`), not by its column. */
const ENTITY_OF = Object.fromEntries(
  Object.entries(TABLE_OF).map(([entity, table]) => [table, entity]),
) as Record<TableName, Entity>;

/** The columns an import can write, per table (the merge's columns): what an undo may restore. */
const COLUMNS: Record<TableName, readonly string[]> = {
  companies: [
    'pharow_company_id',
    'siren',
    'hq_siret',
    'name',
    'brand_name',
    'naf_code',
    'naf_nomenclature',
    'activity',
    'employee_range',
    'annual_revenue_eur',
    'main_phone',
    'generic_email',
    'website_url',
    'domain',
    'linkedin_url',
    'hq_address',
    'hq_postal_code',
    'hq_city',
    'hq_country',
  ],
  people: ['first_name', 'last_name', 'salutation', 'linkedin_url', 'mobile_phone'],
  positions: ['job_title', 'email', 'email_status', 'email_reliability', 'source', 'source_list'],
};

/**
 * Records, set-based, the fields one chunk of a commit changed in rows that existed before (what it created
 * is in the audit trail). A row changed by several chunks keeps its first old values and its last new ones.
 */
export async function recordChanges(
  sql: Sql,
  organisationId: string,
  importId: string,
  results: readonly MergeResult[],
): Promise<void> {
  const changes = new Map<string, { table: TableName; outcome: EntityOutcome }>();
  for (const result of results) {
    for (const part of ['company', 'person', 'position'] as const) {
      const outcome = result[part];
      if (outcome?.outcome !== 'updated') continue;
      changes.set(`${part}/${outcome.id}`, { table: TABLE_OF[part], outcome });
    }
  }
  if (changes.size === 0) return;
  // One JSON document for the chunk (JSON.stringify once, one jsonb parse) rather than a jsonb[] of one text
  // per change: escaping each JSON text into an array literal, then parsing both, cost more than the insert.
  const rows = [...changes.values()].map(({ table, outcome }) => [
    table,
    outcome.id,
    outcome.before,
    outcome.after,
  ]);
  await sql.query(
    `INSERT INTO crm.import_changes (organisation_id, import_id, table_name, row_id, operation, old_values, new_values)
     SELECT $1, $2, c ->> 0, (c ->> 1)::uuid, 'updated', c -> 2, c -> 3
       FROM jsonb_array_elements($3::jsonb) AS c
     ON CONFLICT (organisation_id, import_id, table_name, row_id) DO UPDATE
        SET old_values = excluded.old_values || crm.import_changes.old_values,
            new_values = crm.import_changes.new_values || excluded.new_values`,
    [organisationId, importId, JSON.stringify(rows)],
  );
}

/** The tables an undo deletes from: the CRM records a commit created and the enrolments it made. */
export type RevertTable = TableName | 'campaign_enrollments';

export interface RevertConflict {
  table: RevertTable;
  id: string;
  field: string | null;
  reason: 'changed_since' | 'deleted_since' | 'still_referenced';
}

export interface RevertReport {
  restoredRows: number;
  restoredFields: number;
  deleted: Record<RevertTable, number>;
  conflictCount: number;
  /** The first 1,000 conflicts. */
  conflicts: RevertConflict[];
}

export interface RevertOptions {
  /** Rows read and written per statement. */
  chunkRows: number;
  /** Called after each chunk with the rows gone through and the rows to go through (changed and created). */
  onProgress: (done: number, total: number) => Promise<void>;
}

const MAX_LISTED_CONFLICTS = 1000;

const SCHEMA_OF: Record<RevertTable, 'crm' | 'outreach'> = {
  campaign_enrollments: 'outreach',
  positions: 'crm',
  people: 'crm',
  companies: 'crm',
};

/**
 * What keeps a created row that nobody changed: a row that stays and refers to it. The enrolments the import
 * made are undone first, so an enrolment still there when positions and people are undone is one that stays.
 */
const REFERENCED: Record<RevertTable, string> = {
  campaign_enrollments: 'EXISTS (SELECT 1 FROM outreach.messages m WHERE m.enrollment_id = t.id)',
  positions: 'EXISTS (SELECT 1 FROM outreach.campaign_enrollments e WHERE e.position_id = t.id)',
  people: `(EXISTS (SELECT 1 FROM crm.positions p WHERE p.person_id = t.id)
            OR EXISTS (SELECT 1 FROM outreach.campaign_enrollments e WHERE e.person_id = t.id))`,
  companies: 'EXISTS (SELECT 1 FROM crm.positions p WHERE p.company_id = t.id)',
};

/**
 * Undoes a committed import in the caller's transaction, chunk by chunk: each enrolment it made is removed
 * unless changed since or messages refer to it; each field it updated is set back to its old value when it
 * still holds the value the import wrote; each record it created is deleted when nobody changed it since and
 * nothing that stays refers to it. Every skip is a conflict. Running it twice changes nothing the second time:
 * restored fields no longer hold the imported value, and deleted rows are gone.
 */
export async function revertImport(
  sql: Sql,
  importId: string,
  options: RevertOptions,
): Promise<RevertReport> {
  const report: RevertReport = {
    restoredRows: 0,
    restoredFields: 0,
    deleted: { campaign_enrollments: 0, companies: 0, people: 0, positions: 0 },
    conflictCount: 0,
    conflicts: [],
  };
  const conflict = (entry: RevertConflict) => {
    report.conflictCount += 1;
    if (report.conflicts.length < MAX_LISTED_CONFLICTS) report.conflicts.push(entry);
  };

  // The rows the commit created are the audit trigger's INSERT entries of its transaction (which carried
  // app.import_id): read once into a table of this transaction and paged by id, rather than the import's
  // audit entries scanned again for every chunk.
  await sql.query(
    `CREATE TEMP TABLE revert_created ON COMMIT DROP AS
       SELECT DISTINCT a.table_name, a.row_id FROM audit.audit_log a
        WHERE a.import_id = $1 AND a.operation = 'INSERT'
          AND ((a.table_schema = 'crm' AND a.table_name IN ('companies', 'people', 'positions'))
               OR (a.table_schema = 'outreach' AND a.table_name = 'campaign_enrollments'))`,
    [importId],
  );
  await sql.query('CREATE INDEX ON revert_created (table_name, row_id)');
  await sql.query('ANALYZE revert_created');
  const { total } = await sql.one<{ total: number }>(
    `SELECT (SELECT count(*) FROM revert_created)::int
          + (SELECT count(*) FROM crm.import_changes WHERE import_id = $1 AND operation = 'updated')::int AS total`,
    [importId],
  );
  let done = 0;
  const advance = async (rows: number) => {
    done += rows;
    await options.onProgress(done, total);
  };
  const page = { sql, importId, limit: options.chunkRows, conflict, report, advance };

  await deleteCreated(page, 'campaign_enrollments');
  for (const table of ['positions', 'people', 'companies'] as const) {
    await restoreChanged(page, table);
    await deleteCreated(page, table);
  }
  return report;
}

interface Pages {
  sql: Sql;
  importId: string;
  limit: number;
  conflict: (entry: RevertConflict) => void;
  report: RevertReport;
  advance: (rows: number) => Promise<void>;
}

/**
 * The fields the import updated in a table, page by page: those that still hold its value are restored, the
 * others are conflicts. A row it created (and a later chunk of the same commit changed) is left to the delete.
 */
async function restoreChanged(
  { sql, importId, limit, conflict, report, advance }: Pages,
  table: TableName,
): Promise<void> {
  const columns = COLUMNS[table];
  let after: string | null = null;
  for (;;) {
    const page: { row_id: string }[] = await sql.any<{ row_id: string }>(
      `SELECT row_id FROM crm.import_changes
        WHERE import_id = $1 AND table_name = $2 AND operation = 'updated' AND ($3::uuid IS NULL OR row_id > $3)
        ORDER BY row_id LIMIT $4`,
      [importId, table, after, limit],
    );
    const last: string | undefined = page.at(-1)?.row_id;
    if (last === undefined) return;
    after = last;
    const rows = await sql.any<{
      row_id: string;
      restore: Record<string, unknown> | null;
      changed: string[] | null;
      missing: boolean;
    }>(
      `WITH c AS (SELECT c.row_id, c.old_values, c.new_values FROM crm.import_changes c
                   WHERE c.import_id = $1 AND c.table_name = $2 AND c.operation = 'updated'
                     AND c.row_id = ANY($3::uuid[])
                     AND NOT EXISTS (SELECT 1 FROM revert_created r
                                      WHERE r.table_name = $2 AND r.row_id = c.row_id)),
            f AS (SELECT c.row_id, k.key, k.value AS imported, c.old_values -> k.key AS old_value,
                         to_jsonb(t) -> k.key AS current, t.id IS NULL AS missing
                    FROM c CROSS JOIN LATERAL jsonb_each(c.new_values) k
                    LEFT JOIN crm.${table} t ON t.id = c.row_id)
       SELECT row_id, bool_or(missing) AS missing,
              jsonb_object_agg(key, old_value) FILTER (WHERE NOT missing AND current = imported) AS restore,
              array_agg(key) FILTER (WHERE NOT missing AND current IS DISTINCT FROM imported) AS changed
         FROM f GROUP BY row_id`,
      [importId, table, page.map((row) => row.row_id)],
    );
    for (const row of rows) {
      if (row.missing) conflict({ table, id: row.row_id, field: null, reason: 'deleted_since' });
      for (const column of row.changed ?? [])
        conflict({
          table,
          id: row.row_id,
          field: fieldName(ENTITY_OF[table], column),
          reason: 'changed_since',
        });
    }
    const restorable = rows.filter((row) => row.restore !== null);
    if (restorable.length > 0) {
      await sql.query(
        `UPDATE crm.${table} AS t SET (${columns.join(', ')}) =
                (SELECT ${columns.map((c) => `r.${c}`).join(', ')} FROM jsonb_populate_record(t, d.restore) r)
           FROM unnest($1::uuid[], $2::jsonb[]) AS d(id, restore)
          WHERE t.id = d.id`,
        [restorable.map((row) => row.row_id), restorable.map((row) => JSON.stringify(row.restore))],
      );
      report.restoredRows += restorable.length;
      report.restoredFields += restorable.reduce(
        (sum, row) => sum + Object.keys(row.restore ?? {}).length,
        0,
      );
    }
    await advance(page.length);
  }
}

/** The rows the import created in a table, page by page: deleted when untouched since and not referenced. */
async function deleteCreated(
  { sql, importId, limit, conflict, report, advance }: Pages,
  table: RevertTable,
): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const page: { row_id: string }[] = await sql.any<{ row_id: string }>(
      `SELECT row_id FROM revert_created WHERE table_name = $1 AND ($2::uuid IS NULL OR row_id > $2)
        ORDER BY row_id LIMIT $3`,
      [table, after, limit],
    );
    const last: string | undefined = page.at(-1)?.row_id;
    if (last === undefined) return;
    after = last;
    // A row deleted since is not listed: there is nothing left of it to undo.
    const created = await sql.any<{ id: string; changed: boolean; referenced: boolean }>(
      `SELECT t.id, t.updated_at > i.committed_at AS changed, ${REFERENCED[table]} AS referenced
         FROM ${SCHEMA_OF[table]}.${table} t
         JOIN crm.imports i ON i.id = $1
        WHERE t.id = ANY($2::uuid[])`,
      [importId, page.map((row) => row.row_id)],
    );
    const deletable: string[] = [];
    for (const row of created) {
      if (row.changed) conflict({ table, id: row.id, field: null, reason: 'changed_since' });
      else if (row.referenced) conflict({ table, id: row.id, field: null, reason: 'still_referenced' });
      else deletable.push(row.id);
    }
    if (deletable.length > 0) {
      const { rowCount } = await sql.query(
        `DELETE FROM ${SCHEMA_OF[table]}.${table} WHERE id = ANY($1::uuid[])`,
        [deletable],
      );
      report.deleted[table] += rowCount;
    }
    await advance(page.length);
  }
}
