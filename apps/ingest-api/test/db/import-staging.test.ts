import { Readable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@prospectflow/test-harness';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageRows, readStaged } from '../../src/components/imports/staging.repository.js';
import { withTenantTransaction } from '../../src/platform/db/index.js';
import { seedTenant, testPool, type SeededTenant } from '../support/seed.js';

let db: TestDatabase;
let pool: Pool;
let a: SeededTenant;
let b: SeededTenant;
let importA: string;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = testPool(db.appUrl, 4);
  a = await seedTenant(pool, 'StageA');
  b = await seedTenant(pool, 'StageB');
  importA = await withTenantTransaction(
    pool,
    { organisationId: a.organisationId },
    async (sql) =>
      (
        await sql.one<{ id: string }>(
          "INSERT INTO crm.imports (organisation_id, file_name) VALUES ($1, 'a.csv') RETURNING id",
          [a.organisationId],
        )
      ).id,
  );
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('staging rows with COPY under row-level security', () => {
  it('a bare COPY into crm.import_rows fails for the app role (why staging goes through a temporary table)', async () => {
    const attempt = withTenantTransaction(pool, { organisationId: a.organisationId }, (sql) =>
      sql.copyFrom(
        'COPY crm.import_rows (organisation_id, import_id, row_number, raw) FROM STDIN',
        Readable.from([`${a.organisationId}\t${importA}\t1\t{"x"}\n`]),
      ),
    );
    await expect(attempt).rejects.toThrow(/row-level security/);
  });

  it('stages through a temporary table, keeping cells with tabs, quotes, backslashes and newlines intact', async () => {
    const cells = ['a\tb', 'say "hi"', 'back\\slash', 'line\nbreak', '{brace},comma', 'NULL', ''];
    await withTenantTransaction(pool, { organisationId: a.organisationId }, async (sql) => {
      expect(await stageRows(sql, a.organisationId, importA, [{ rowNumber: 2, cells, cellCount: 9 }])).toBe(
        1,
      );
      // A retried batch is harmless.
      expect(await stageRows(sql, a.organisationId, importA, [{ rowNumber: 2, cells }])).toBe(0);
    });
    const staged = await withTenantTransaction(pool, { organisationId: a.organisationId }, (sql) =>
      readStaged(sql, importA, 0, 10),
    );
    expect(staged).toEqual([{ rowNumber: 2, cells, cellCount: 9 }]);
  });

  it('the tenant policy still applies to the INSERT from the temporary table', async () => {
    const attempt = withTenantTransaction(pool, { organisationId: b.organisationId }, (sql) =>
      stageRows(sql, a.organisationId, importA, [{ rowNumber: 3, cells: ['x'] }]),
    );
    await expect(attempt).rejects.toThrow(/row-level security/);
  });

  it('stages through a session staging table that holds nothing between statements, whatever the tenant', async () => {
    const single = testPool(db.appUrl, 1);
    try {
      const importB = await withTenantTransaction(
        single,
        { organisationId: b.organisationId },
        async (sql) =>
          (
            await sql.one<{ id: string }>(
              "INSERT INTO crm.imports (organisation_id, file_name) VALUES ($1, 'b.csv') RETURNING id",
              [b.organisationId],
            )
          ).id,
      );
      // Two batches in one transaction: each inserts its own rows, not the previous batch's again.
      await withTenantTransaction(single, { organisationId: a.organisationId }, async (sql) => {
        expect(
          await stageRows(sql, a.organisationId, importA, [
            { rowNumber: 10, cells: ['a10'] },
            { rowNumber: 11, cells: ['a11'] },
          ]),
        ).toBe(2);
        expect(await stageRows(sql, a.organisationId, importA, [{ rowNumber: 12, cells: ['a12'] }])).toBe(1);
      });
      // A batch rolled back (the policy refuses it) leaves nothing behind for the next transaction.
      await expect(
        withTenantTransaction(single, { organisationId: b.organisationId }, async (sql) => {
          await stageRows(sql, b.organisationId, importB, [{ rowNumber: 5, cells: ['b5'] }]);
          await stageRows(sql, a.organisationId, importA, [{ rowNumber: 13, cells: ['a13'] }]);
        }),
      ).rejects.toThrow(/row-level security/);
      // Another tenant, on whichever server connection pgBouncer gives: its rows only, and once they are
      // staged every staging table of that session is empty again (moved out by the same statement).
      await withTenantTransaction(single, { organisationId: b.organisationId }, async (sql) => {
        expect(await stageRows(sql, b.organisationId, importB, [{ rowNumber: 5, cells: ['b5'] }])).toBe(1);
        const tables = await sql.any<{ name: string; rows: number }>(
          `SELECT c.relname AS name, (xpath('//n/text()',
                  query_to_xml(format('SELECT count(*) AS n FROM pg_temp.%I', c.relname), false, false, '')))[1]::text::int AS rows
             FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema() AND c.relname LIKE 'pf_stage_%'`,
        );
        expect(tables.length).toBeGreaterThan(0);
        expect(tables).toEqual(tables.map((t) => ({ name: t.name, rows: 0 })));
      });
      const stagedA = await withTenantTransaction(single, { organisationId: a.organisationId }, (sql) =>
        readStaged(sql, importA, 9, 10),
      );
      expect(stagedA.map((row) => row.rowNumber)).toEqual([10, 11, 12]);
      const stagedB = await withTenantTransaction(single, { organisationId: b.organisationId }, (sql) =>
        readStaged(sql, importB, 0, 10),
      );
      expect(stagedB.map((row) => row.cells)).toEqual([['b5']]);
    } finally {
      await single.end();
    }
  });
});
