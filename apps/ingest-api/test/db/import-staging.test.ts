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
});
