import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, withAdmin, type TestDatabase } from '@prospectflow/test-harness';
import { RowLevelSecurityError, withTenantTransaction } from '../../src/platform/db/index.js';
import { seedTenant, testPool, type SeededTenant } from '../support/seed.js';

// WITH CHECK on every tenant table, read from the catalog so that a table added later is covered too: as
// prospectflow_app through pgBouncer, in a transaction of organisation A, a row for organisation B can be
// neither inserted nor made by moving one of A's rows. (A policy without WITH CHECK reuses its USING
// expression; the break this guards against is a WITH CHECK that is weaker than the USING, e.g. `true`.)

interface TenantTable {
  name: string;
  /** `organisation_id`, or `id` for iam.organisations, the tenant root. */
  tenantColumn: string;
  /** The columns an INSERT may name: not generated, not GENERATED ALWAYS AS IDENTITY. */
  columns: string;
  canInsert: boolean;
  canUpdateTenantColumn: boolean;
}

let db: TestDatabase;
let pool: pg.Pool;
let tenantA: SeededTenant;
let tenantB: SeededTenant;
let tables: TenantTable[];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = testPool(db.appUrl, 4);
  [tenantA, tenantB] = await Promise.all([seedTenant(pool, 'Alpha'), seedTenant(pool, 'Beta')]);
  tables = await withAdmin(db.adminUrl, async (admin) => {
    const { rows } = await admin.query<TenantTable>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name,
              t.col AS "tenantColumn",
              (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                 FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                  AND a.attgenerated = '' AND a.attidentity <> 'a')
                AS columns,
              has_table_privilege('prospectflow_app', c.oid, 'INSERT') AS "canInsert",
              has_column_privilege('prospectflow_app', c.oid, t.col, 'UPDATE') AS "canUpdateTenantColumn"
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN LATERAL (
           SELECT CASE WHEN c.oid = 'iam.organisations'::regclass THEN 'id' ELSE 'organisation_id' END AS col
         ) t
        WHERE c.relkind IN ('r', 'p')
          AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)
          AND EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = c.oid AND a.attname = t.col AND NOT a.attisdropped)
          AND (c.oid = 'iam.organisations'::regclass
               OR EXISTS (SELECT 1 FROM pg_attribute a
                           WHERE a.attrelid = c.oid AND a.attname = 'organisation_id' AND NOT a.attisdropped))
        ORDER BY 1`,
    );
    return rows;
  });
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

/** What a write attempt ended with: refused by RLS, another error, or how many rows it wrote. */
async function attempt(statement: string, values: unknown[]): Promise<string> {
  try {
    const { rowCount } = await withTenantTransaction(
      pool,
      { organisationId: tenantA.organisationId, userId: tenantA.ownerId, correlationId: 'with-check' },
      (sql) => sql.query(statement, values),
    );
    return `accepted (${rowCount ?? 0} rows)`;
  } catch (error) {
    if (error instanceof RowLevelSecurityError) return 'refused by RLS';
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

describe('WITH CHECK on every tenant table', () => {
  it('finds the tenant tables in the catalog, the ones the app writes to included', () => {
    const names = tables.map((table) => table.name);
    expect(names).toEqual(
      expect.arrayContaining(['iam.organisations', 'iam.organisation_users', 'crm.companies', 'crm.people']),
    );
    expect(tables.filter((table) => table.canInsert).length).toBeGreaterThanOrEqual(20);
  });

  it("has one of organisation A's rows in every table to move (seedTenant writes them)", async () => {
    const empty: string[] = [];
    for (const table of tables) {
      const rows = await withTenantTransaction(pool, { organisationId: tenantA.organisationId }, (sql) =>
        sql.any(`SELECT 1 FROM ${table.name} LIMIT 1`),
      );
      if (rows.length === 0) empty.push(table.name);
    }
    expect(empty).toEqual([]);
  });

  it("refuses, as the app role in organisation A's transaction, a row inserted for organisation B", async () => {
    const outcomes: Record<string, string> = {};
    for (const table of tables.filter((t) => t.canInsert)) {
      // A copy of one of A's rows with B as its tenant: every other constraint is as satisfied as in A's row.
      outcomes[table.name] = await attempt(
        `INSERT INTO ${table.name} (${table.columns})
         SELECT ${table.columns}
           FROM jsonb_populate_record(NULL::${table.name},
                  (SELECT to_jsonb(x) FROM ${table.name} x LIMIT 1) || jsonb_build_object($2::text, $1::uuid))`,
        [tenantB.organisationId, table.tenantColumn],
      );
    }
    expect(Object.keys(outcomes).length).toBeGreaterThanOrEqual(20);
    expect(Object.entries(outcomes).filter(([, outcome]) => outcome !== 'refused by RLS')).toEqual([]);
  });

  it("refuses, as the app role in organisation A's transaction, moving A's rows to organisation B", async () => {
    const outcomes: Record<string, string> = {};
    for (const table of tables.filter((t) => t.canUpdateTenantColumn)) {
      outcomes[table.name] = await attempt(`UPDATE ${table.name} SET ${table.tenantColumn} = $1`, [
        tenantB.organisationId,
      ]);
    }
    expect(outcomes).toHaveProperty(['iam.organisation_users']);
    expect(outcomes).toHaveProperty(['crm.companies']);
    expect(Object.entries(outcomes).filter(([, outcome]) => outcome !== 'refused by RLS')).toEqual([]);
  });
});
