import type { Sql } from '../../platform/db/index.js';
import type { EntityOutcome, MergeResult } from '../crm/crm-merge.repository.js';

/**
 * What a commit changed and the undo that reads it back. The rows a commit created are the audit trail's
 * INSERT entries of the import (written by the database's own trigger in the commit's transaction, immutable,
 * indexed by import); the fields it changed, with their old and new values, are in crm.import_changes. A row
 * the commit created is recognised as untouched by its `updated_at`: the commit's transaction wrote it at
 * `crm.imports.committed_at`, so a later value means someone changed it since.
 */

type TableName = 'companies' | 'people' | 'positions';

const TABLE_OF: Record<'company' | 'person' | 'position', TableName> = {
  company: 'companies',
  person: 'people',
  position: 'positions',
};

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

export interface RevertConflict {
  table: TableName;
  id: string;
  field: string | null;
  reason: 'changed_since' | 'deleted_since' | 'still_referenced';
}

export interface RevertReport {
  restoredRows: number;
  restoredFields: number;
  deleted: Record<TableName, number>;
  conflictCount: number;
  /** The first 1,000 conflicts. */
  conflicts: RevertConflict[];
}

const MAX_LISTED_CONFLICTS = 1000;

/**
 * The ids of the rows import $1 created in table $2: the audit trigger's INSERT entries of its commit (the
 * commit's transaction carries `app.import_id`, which every entry of it records).
 */
const CREATED_BY_IMPORT = `SELECT a.row_id FROM audit.audit_log a
   WHERE a.import_id = $1 AND a.table_schema = 'crm' AND a.table_name = $2 AND a.operation = 'INSERT'`;

/**
 * Undoes a committed import in the caller's transaction: each field it updated is set back to its old value
 * when it still holds the value the import wrote (otherwise a conflict, left as it is); each record it
 * created is deleted when nobody changed it since and nothing else refers to it (otherwise a conflict).
 * Running it twice changes nothing the second time: restored fields no longer hold the imported value, and
 * deleted rows are gone.
 */
export async function revertImport(sql: Sql, importId: string): Promise<RevertReport> {
  const report: RevertReport = {
    restoredRows: 0,
    restoredFields: 0,
    deleted: { companies: 0, people: 0, positions: 0 },
    conflictCount: 0,
    conflicts: [],
  };
  const conflict = (entry: RevertConflict) => {
    report.conflictCount += 1;
    if (report.conflicts.length < MAX_LISTED_CONFLICTS) report.conflicts.push(entry);
  };

  for (const table of ['positions', 'people', 'companies'] as const) {
    const columns = COLUMNS[table];
    // Fields the import wrote that still hold its value are restored; the others are conflicts.
    const rows = await sql.any<{
      row_id: string;
      restore: Record<string, unknown> | null;
      changed: string[] | null;
      missing: boolean;
    }>(
      `WITH c AS (SELECT row_id, old_values, new_values FROM crm.import_changes
                   WHERE import_id = $1 AND table_name = $2 AND operation = 'updated'
                     -- A row the import created and a later chunk changed is deleted below, not restored.
                     AND row_id NOT IN (${CREATED_BY_IMPORT})),
            f AS (SELECT c.row_id, k.key, k.value AS imported, c.old_values -> k.key AS old_value,
                         to_jsonb(t) -> k.key AS current, t.id IS NULL AS missing
                    FROM c CROSS JOIN LATERAL jsonb_each(c.new_values) k
                    LEFT JOIN crm.${table} t ON t.id = c.row_id)
       SELECT row_id, bool_or(missing) AS missing,
              jsonb_object_agg(key, old_value) FILTER (WHERE NOT missing AND current = imported) AS restore,
              array_agg(key) FILTER (WHERE NOT missing AND current IS DISTINCT FROM imported) AS changed
         FROM f GROUP BY row_id`,
      [importId, table],
    );
    for (const row of rows) {
      if (row.missing) conflict({ table, id: row.row_id, field: null, reason: 'deleted_since' });
      for (const field of row.changed ?? [])
        conflict({ table, id: row.row_id, field, reason: 'changed_since' });
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

    // Created rows: deleted when untouched since the commit and not referenced by anything that stays.
    const referenced =
      table === 'positions'
        ? 'false'
        : `EXISTS (SELECT 1 FROM crm.positions p WHERE p.${table === 'people' ? 'person_id' : 'company_id'} = t.id)`;
    const created = await sql.any<{ id: string; changed: boolean; referenced: boolean }>(
      `SELECT t.id, t.updated_at > i.committed_at AS changed, ${referenced} AS referenced
         FROM crm.${table} t
         JOIN crm.imports i ON i.id = $1
        WHERE t.id IN (${CREATED_BY_IMPORT})`,
      [importId, table],
    );
    const deletable: string[] = [];
    for (const row of created) {
      if (row.changed) conflict({ table, id: row.id, field: null, reason: 'changed_since' });
      else if (row.referenced) conflict({ table, id: row.id, field: null, reason: 'still_referenced' });
      else deletable.push(row.id);
    }
    if (deletable.length > 0) {
      const { rowCount } = await sql.query(`DELETE FROM crm.${table} WHERE id = ANY($1::uuid[])`, [
        deletable,
      ]);
      report.deleted[table] = rowCount;
    }
  }
  return report;
}
