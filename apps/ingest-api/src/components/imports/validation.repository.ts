import type { Sql } from '../../platform/db/index.js';
import type { ValidRecord } from './staging.repository.js';

/**
 * The checks of a validation that need the whole file or the CRM: duplicates within the file, rows that
 * match stored records (they would update them), and the stored people of rows (for the campaign checks).
 * Keys are the merge's own (`companyKeyOf`, `personKeyOf`): `s:`/`d:`/`p:` and `e:`/`l:` prefixes.
 */

/**
 * Reports, as warnings, rows that are the same (person, company) as an earlier row of the file; the commit
 * merges them into one. Returns how many rows are such duplicates.
 */
export async function markDuplicates(sql: Sql, organisationId: string, importId: string): Promise<number> {
  const { rowCount } = await sql.query(
    `INSERT INTO crm.import_errors (organisation_id, import_id, row_number, column_name, code, severity, message)
     SELECT $1, $2, d.row_number, NULL, 'duplicate_in_file', 'warning',
            'The same ' || CASE WHEN d.person_key IS NULL THEN 'company' ELSE 'person' END || ' as row '
              || d.first_row || ': both are merged into one record.'
       FROM (SELECT row_number, person_key,
                    first_value(row_number) OVER w AS first_row, row_number() OVER w AS n
               FROM crm.import_records
              WHERE import_id = $2 AND (person_key IS NOT NULL OR company_key IS NOT NULL)
             WINDOW w AS (PARTITION BY person_key, company_key ORDER BY row_number)) d
      WHERE d.n > 1`,
    [organisationId, importId],
  );
  return rowCount;
}

/** How many valid rows match a stored company or person (the commit would update or keep them). */
export async function countExisting(sql: Sql, importId: string): Promise<number> {
  const row = await sql.one<{ n: number }>(
    `SELECT count(*)::int AS n FROM crm.import_records r
      WHERE r.import_id = $1 AND (
            (left(r.company_key, 2) = 's:' AND EXISTS (SELECT 1 FROM crm.companies c WHERE c.siren = substr(r.company_key, 3)))
         OR (left(r.company_key, 2) = 'd:' AND EXISTS (SELECT 1 FROM crm.companies c WHERE c.domain_key = lower(substr(r.company_key, 3))))
         OR (left(r.company_key, 2) = 'p:' AND EXISTS (SELECT 1 FROM crm.companies c WHERE c.pharow_company_id = substr(r.company_key, 3)))
         OR (left(r.person_key, 2) = 'e:' AND EXISTS (SELECT 1 FROM crm.positions p WHERE p.email_key = lower(substr(r.person_key, 3))))
         OR (left(r.person_key, 2) = 'l:' AND EXISTS (SELECT 1 FROM crm.people pe WHERE pe.linkedin_url = substr(r.person_key, 3))))`,
    [importId],
  );
  return row.n;
}

/** The warning count: rows with at least one warning. */
export async function countWarnedRows(sql: Sql, importId: string): Promise<number> {
  const row = await sql.one<{ n: number }>(
    `SELECT count(DISTINCT row_number)::int AS n FROM crm.import_errors WHERE import_id = $1 AND severity = 'warning'`,
    [importId],
  );
  return row.n;
}

/** The stored person of each record whose person key matches one: row number → person id. */
export async function existingPeople(
  sql: Sql,
  records: readonly ValidRecord[],
): Promise<Map<number, string>> {
  const keyed = records.filter((record) => record.personKey !== null);
  if (keyed.length === 0) return new Map();
  const rows = await sql.any<{ row_number: number; person_id: string }>(
    `SELECT k.row_number, coalesce(
              (SELECT p.person_id FROM crm.positions p
                WHERE left(k.key, 2) = 'e:' AND p.email = substr(k.key, 3)::citext LIMIT 1),
              (SELECT pe.id FROM crm.people pe
                WHERE left(k.key, 2) = 'l:' AND pe.linkedin_url = substr(k.key, 3) LIMIT 1)) AS person_id
       FROM unnest($1::int[], $2::text[]) AS k(row_number, key)`,
    [keyed.map((record) => record.rowNumber), keyed.map((record) => record.personKey)],
  );
  return new Map(rows.filter((row) => row.person_id !== null).map((row) => [row.row_number, row.person_id]));
}
