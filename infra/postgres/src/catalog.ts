import type pg from 'pg';

/** What the catalog readers need of a connection: a pg Client, PoolClient or Pool. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

export interface CatalogColumn {
  name: string;
  /** Short type name without spaces or commas (`timestamptz`, `text[]`, `citext`), fit for a Mermaid ERD. */
  type: string;
  notNull: boolean;
}

export interface CatalogTable {
  /** `schema.table`, quoted only where PostgreSQL would need it. */
  name: string;
  schema: string;
  table: string;
  columns: CatalogColumn[];
}

export interface CatalogUniqueIndex {
  table: string;
  name: string;
  primary: boolean;
  /** Key columns in order (INCLUDE columns left out); `null` for an expression. */
  columns: (string | null)[];
}

export interface CatalogForeignKey {
  table: string;
  name: string;
  columns: string[];
  references: string;
  referencedColumns: string[];
  /** pg_constraint's action codes: `a` no action, `r` restrict, `c` cascade, `n` set null, `d` set default. */
  onDelete: string;
  onUpdate: string;
}

export interface CatalogExclusion {
  table: string;
  name: string;
  /** Columns of the constraint; `null` for an expression. */
  columns: (string | null)[];
}

/** The parts of a database's schema that keys, foreign keys and the ERD are made of. */
export interface Catalog {
  tables: CatalogTable[];
  uniqueIndexes: CatalogUniqueIndex[];
  foreignKeys: CatalogForeignKey[];
  exclusions: CatalogExclusion[];
}

// Ordinary and partitioned tables of every user schema (partitions are left out: they inherit their parent's
// keys, and Citus distributes the parent).
const USER_TABLES = `
  SELECT c.oid, n.nspname AS schema, c.relname AS table, format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
     AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
     AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'`;

const attname = (rel: string, attnum: string) =>
  `(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = ${rel} AND a.attnum = ${attnum})`;

/**
 * Reads tables, columns, unique indexes, foreign keys and exclusion constraints of every user schema, in a
 * stable order (by name), so that what is rendered from it is reproducible.
 */
export async function readCatalog(db: Queryable): Promise<Catalog> {
  const tables = await db.query<{ name: string; schema: string; table: string; columns: CatalogColumn[] }>(
    `WITH t AS (${USER_TABLES})
     SELECT t.name, t.schema, t.table,
            coalesce((SELECT json_agg(json_build_object(
                         'name', a.attname,
                         'type', CASE WHEN ty.typcategory = 'A' THEN el.typname || '[]' ELSE ty.typname END,
                         'notNull', a.attnotnull) ORDER BY a.attnum)
                        FROM pg_attribute a
                        JOIN pg_type ty ON ty.oid = a.atttypid
                        LEFT JOIN pg_type el ON el.oid = ty.typelem AND ty.typcategory = 'A'
                       WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns
       FROM t ORDER BY t.schema COLLATE "C", t.table COLLATE "C"`,
  );
  const uniqueIndexes = await db.query<CatalogUniqueIndex>(
    `WITH t AS (${USER_TABLES})
     SELECT t.name AS table, ic.relname AS name, i.indisprimary AS primary,
            (SELECT json_agg(${attname('i.indrelid', 'i.indkey[k]')} ORDER BY k)
               FROM generate_series(0, i.indnkeyatts - 1) k) AS columns
       FROM t
       JOIN pg_index i ON i.indrelid = t.oid AND i.indisunique
       JOIN pg_class ic ON ic.oid = i.indexrelid
      ORDER BY t.schema COLLATE "C", t.table COLLATE "C", ic.relname COLLATE "C"`,
  );
  const constraints = await db.query<{
    table: string;
    name: string;
    kind: 'f' | 'x';
    columns: (string | null)[];
    references: string | null;
    referencedColumns: string[] | null;
    onDelete: string;
    onUpdate: string;
  }>(
    `WITH t AS (${USER_TABLES})
     SELECT t.name AS table, k.conname AS name, k.contype AS kind,
            (SELECT json_agg(${attname('k.conrelid', 'k.conkey[p]')} ORDER BY p)
               FROM generate_subscripts(k.conkey, 1) p) AS columns,
            (SELECT format('%I.%I', rn.nspname, rc.relname)
               FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace
              WHERE rc.oid = k.confrelid) AS references,
            (SELECT json_agg(${attname('k.confrelid', 'k.confkey[p]')} ORDER BY p)
               FROM generate_subscripts(k.confkey, 1) p) AS "referencedColumns",
            k.confdeltype AS "onDelete", k.confupdtype AS "onUpdate"
       FROM t
       JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype IN ('f', 'x')
      ORDER BY t.schema COLLATE "C", t.table COLLATE "C", k.conname COLLATE "C"`,
  );
  return {
    tables: tables.rows,
    uniqueIndexes: uniqueIndexes.rows,
    foreignKeys: constraints.rows
      .filter((row) => row.kind === 'f')
      .map((row) => ({
        table: row.table,
        name: row.name,
        columns: row.columns.map((column) => column ?? '?'),
        references: row.references ?? '?',
        referencedColumns: row.referencedColumns ?? [],
        onDelete: row.onDelete,
        onUpdate: row.onUpdate,
      })),
    exclusions: constraints.rows
      .filter((row) => row.kind === 'x')
      .map((row) => ({ table: row.table, name: row.name, columns: row.columns })),
  };
}
