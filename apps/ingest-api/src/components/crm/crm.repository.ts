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
import { vatNumberFromSiren } from './rules/index.js';
import { FIELDS_BY_ENTITY, type Entity } from './crm.fields.js';
import type {
  Company,
  CompanyListQuery,
  Person,
  PersonListQuery,
  Position,
  PositionListQuery,
} from './crm.schemas.js';

/** Reads and single-record writes of the CRM tables; batch writes go through crm-merge.repository.ts. */

export interface EntityTable {
  entity: Entity;
  table: string;
  /** Selected columns; `etag` is the row's version (its updated_at in microseconds). */
  select: string;
}

const ETAG = `(extract(epoch FROM updated_at) * 1000000)::bigint::text AS etag`;
const columnsOf = (entity: Entity, extra: readonly string[] = []) => [
  'id',
  ...extra,
  // A NAF code's nomenclature is stored beside it, not given as a field of its own.
  ...FIELDS_BY_ENTITY[entity].flatMap((spec) =>
    spec.column === 'naf_code' ? ['naf_code', 'naf_nomenclature'] : [spec.column],
  ),
  'created_at',
  'updated_at',
];

export const TABLES: Readonly<Record<Entity, EntityTable>> = {
  company: {
    entity: 'company',
    table: 'crm.companies',
    select: [...columnsOf('company'), ETAG].join(', '),
  },
  person: { entity: 'person', table: 'crm.people', select: [...columnsOf('person'), ETAG].join(', ') },
  position: {
    entity: 'position',
    table: 'crm.positions',
    select: [...columnsOf('position', ['person_id', 'company_id']), ETAG].join(', '),
  },
};

export type Row = Record<string, unknown> & { id: string; etag: string; created_at: Date; updated_at: Date };

// Column names are few and fixed: each is turned into its API name once, not once per row.
const API_NAMES = new Map<string, string>();
const camel = (column: string): string => {
  let name = API_NAMES.get(column);
  if (name === undefined) {
    name = column.replace(/_([a-z])/g, (_m, letter: string) => letter.toUpperCase());
    API_NAMES.set(column, name);
  }
  return name;
};

/** A row as the API shows it: camelCase names, ISO timestamps, amounts as numbers. */
function toApi(row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (column === 'etag' || column === 'keyset_sort_key') continue;
    if (value instanceof Date) out[camel(column)] = value.toISOString();
    else if (column === 'annual_revenue_eur' && value !== null) out[camel(column)] = Number(value);
    else out[camel(column)] = value;
  }
  return out;
}

export const toCompany = (row: Row): Company =>
  ({
    ...toApi(row),
    vatNumber: typeof row['siren'] === 'string' ? vatNumberFromSiren(row['siren']) : null,
  }) as Company;
export const toPerson = (row: Row): Person => toApi(row) as Person;
export const toPosition = (row: Row): Position => toApi(row) as Position;

// Newest first; (created_at, id) never changes, so pages stay stable under inserts and deletes.
const order = (alias: string): KeysetOrder => ({
  sortColumn: `${alias}.created_at`,
  idColumn: `${alias}.id`,
  direction: 'desc',
});
const COMPANY_ORDER = order('c');
const PERSON_ORDER = order('pe');
const POSITION_ORDER = order('p');

/** A LIKE pattern for a name prefix, folded the way the search indexes are. */
const PREFIX = (parameter: string) =>
  `replace(replace(replace(crm.search_key(${parameter}), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`;

export async function listCompanies(
  sql: Sql,
  query: CompanyListQuery,
  after: KeysetPosition | null,
): Promise<KeysetPage<Company>> {
  const page = keysetClauses(COMPANY_ORDER, 1);
  const rows = await sql.any<Row & { keyset_sort_key: string }>(
    `SELECT ${TABLES.company.select}, ${keysetSortKey(COMPANY_ORDER)}
       FROM crm.companies c
      WHERE ${page.predicate}
        AND ($3::text IS NULL OR c.siren = $3)
        AND ($4::text IS NULL OR c.naf_code = $4)
        AND ($5::text IS NULL OR c.domain_key = lower($5))
        AND ($6::text IS NULL OR crm.search_key(c.name) LIKE ${PREFIX('$6')})
        AND ($7::timestamptz IS NULL OR c.updated_at >= $7)
      ORDER BY ${page.orderBy}
      LIMIT $8`,
    [
      ...keysetValues(after),
      query.siren ?? null,
      query.nafCode ?? null,
      query.domain ?? null,
      query.q ?? null,
      query.updatedSince ?? null,
      query.limit + 1,
    ],
  );
  return keysetPage(rows, query.limit, toCompany);
}

export async function listPeople(
  sql: Sql,
  query: PersonListQuery,
  after: KeysetPosition | null,
): Promise<KeysetPage<Person>> {
  const page = keysetClauses(PERSON_ORDER, 1);
  const rows = await sql.any<Row & { keyset_sort_key: string }>(
    `SELECT ${TABLES.person.select}, ${keysetSortKey(PERSON_ORDER)}
       FROM crm.people pe
      WHERE ${page.predicate}
        AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM crm.positions p
                                          WHERE p.person_id = pe.id AND p.email_key = lower($3)))
        AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM crm.positions p
                                          WHERE p.person_id = pe.id AND p.company_id = $4))
        AND ($5::text IS NULL OR crm.search_key(pe.last_name) LIKE ${PREFIX('$5')}
                              OR crm.search_key(pe.first_name) LIKE ${PREFIX('$5')})
      ORDER BY ${page.orderBy}
      LIMIT $6`,
    [...keysetValues(after), query.email ?? null, query.companyId ?? null, query.q ?? null, query.limit + 1],
  );
  return keysetPage(rows, query.limit, toPerson);
}

export async function listPositions(
  sql: Sql,
  query: PositionListQuery,
  after: KeysetPosition | null,
): Promise<KeysetPage<Position>> {
  const page = keysetClauses(POSITION_ORDER, 1);
  const rows = await sql.any<Row & { keyset_sort_key: string }>(
    `SELECT ${TABLES.position.select}, ${keysetSortKey(POSITION_ORDER)}
       FROM crm.positions p
      WHERE ${page.predicate}
        AND ($3::uuid IS NULL OR p.company_id = $3)
        AND ($4::uuid IS NULL OR p.person_id = $4)
        AND ($5::text IS NULL OR p.email_status = $5)
      ORDER BY ${page.orderBy}
      LIMIT $6`,
    [
      ...keysetValues(after),
      query.companyId ?? null,
      query.personId ?? null,
      query.emailStatus ?? null,
      query.limit + 1,
    ],
  );
  return keysetPage(rows, query.limit, toPosition);
}

/** One row by id, optionally locked for an update that follows in the same transaction. */
export async function findRow(
  sql: Sql,
  table: EntityTable,
  id: string,
  forUpdate = false,
): Promise<Row | null> {
  return sql.maybeOne<Row>(
    `SELECT ${table.select} FROM ${table.table} WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
}

/** The positions of a company or a person, with the linked record on the other side. */
export async function positionsWith(
  sql: Sql,
  by: 'company_id' | 'person_id',
  id: string,
): Promise<{ position: Row; other: Row }[]> {
  const other = by === 'company_id' ? TABLES.person : TABLES.company;
  const otherKey = by === 'company_id' ? 'person_id' : 'company_id';
  const rows = await sql.any<{ position: Row; other: Row }>(
    `SELECT to_jsonb(p) AS position, to_jsonb(o) AS other
       FROM (SELECT ${TABLES.position.select} FROM crm.positions WHERE ${by} = $1
              ORDER BY created_at DESC, id DESC LIMIT 200) p
       JOIN LATERAL (SELECT ${other.select} FROM ${other.table} WHERE id = p.${otherKey}) o ON true
      ORDER BY p.created_at DESC, p.id DESC`,
    [id],
  );
  const dates = (row: Row): Row => ({
    ...row,
    created_at: new Date(row.created_at as unknown as string),
    updated_at: new Date(row.updated_at as unknown as string),
  });
  return rows.map((row) => ({ position: dates(row.position), other: dates(row.other) }));
}

/**
 * Sets the given columns of one row and returns it; the caller has already left out the columns whose
 * value would not change, so an UPDATE here always changes something (and is audited once).
 */
export async function updateRow(
  sql: Sql,
  table: EntityTable,
  id: string,
  changes: Readonly<Record<string, unknown>>,
): Promise<Row> {
  const columns = Object.keys(changes);
  const assignments = columns.map((column, i) => `${column} = $${i + 2}`).join(', ');
  return sql.one<Row>(`UPDATE ${table.table} SET ${assignments} WHERE id = $1 RETURNING ${table.select}`, [
    id,
    ...columns.map((column) => changes[column]),
  ]);
}

export async function deleteRow(sql: Sql, table: EntityTable, id: string): Promise<boolean> {
  const { rowCount } = await sql.query(`DELETE FROM ${table.table} WHERE id = $1`, [id]);
  return rowCount > 0;
}

/** Which record holds a unique value (for the 409 that names it). */
export async function findHolder(
  sql: Sql,
  table: EntityTable,
  column: string,
  value: unknown,
  exceptId: string,
): Promise<string | null> {
  const row = await sql.maybeOne<{ id: string }>(
    `SELECT id FROM ${table.table} WHERE ${column} = $1 AND id <> $2 LIMIT 1`,
    [value, exceptId],
  );
  return row?.id ?? null;
}
