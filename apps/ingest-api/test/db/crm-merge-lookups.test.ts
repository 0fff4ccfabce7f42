import { createTestDatabase, type TestDatabase } from '@prospectflow/test-harness';
import pg, { type Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeRecords } from '../../src/components/crm/crm-merge.repository.js';
import type { MergeRecord } from '../../src/components/crm/crm-merge.plan.js';
import { validateRecord } from '../../src/components/crm/crm-record.js';
import { withTenantTransaction } from '../../src/platform/db/index.js';
import { seedTenant, testPool, type SeededTenant } from '../support/seed.js';
import { sirenOf } from '../support/siren.js';

// The merge reaches every stored row it needs through a unique index, probed per key of the batch, so its cost
// does not grow with the CRM (ADR 0062, ADR 0064). Checked where it matters, under row-level security as the
// application role: a statement that could not use an index (citext's equality is not leakproof) scans the
// table, and the transaction's own statistics count that scan.

let db: TestDatabase;
let pool: Pool;
let tenant: SeededTenant;

const record = (index: number, raw: unknown): MergeRecord => {
  const { record: clean, problems } = validateRecord(raw);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return { index, record: clean };
};

const prospect = (n: number, email = `contact${n}@societe${n}.fr`) => ({
  company: { siren: sirenOf(200_000 + n), name: `Société ${n}` },
  person: {
    firstName: 'Camille',
    lastName: `Nom${n}`,
    linkedinUrl: `https://www.linkedin.com/in/camille-nom-${n}`,
  },
  position: { email, jobTitle: 'Directrice commerciale' },
});

beforeAll(async () => {
  db = await createTestDatabase();
  pool = testPool(db.appUrl, 2);
  tenant = await seedTenant(pool, 'MergeLookups');
  // A CRM large enough that the planner prefers an index to a scan whenever it may use one.
  await withTenantTransaction(pool, { organisationId: tenant.organisationId }, (sql) =>
    mergeRecords(sql, tenant.organisationId, [
      ...Array.from({ length: 3000 }, (_, n) => record(n, prospect(n))),
      // Companies known by their website alone (no SIREN): matched by domain.
      ...Array.from({ length: 500 }, (_, n) =>
        record(3000 + n, {
          company: { websiteUrl: `https://www.sans-siren-${n}.fr`, name: `Sans SIREN ${n}` },
        }),
      ),
    ]),
  );
  const admin = new pg.Client({ connectionString: db.adminUrl });
  await admin.connect();
  await admin.query('ANALYZE crm.companies, crm.people, crm.positions');
  await admin.end();
}, 120_000);
afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('the merge under row-level security', () => {
  it('finds stored companies, people and positions by index only, e-mails and domains in another case included', async () => {
    const { results, scans } = await withTenantTransaction(
      pool,
      { organisationId: tenant.organisationId },
      async (sql) => {
        const merged = await mergeRecords(sql, tenant.organisationId, [
          record(0, prospect(7, 'CONTACT7@Societe7.FR')),
          record(1, prospect(5000)),
          // A domain in another case: the stored company without SIREN.
          record(2, { company: { websiteUrl: 'https://WWW.Sans-Siren-3.FR', name: 'Sans SIREN 3' } }),
          // A SIREN with the domain of a stored company without SIREN: that company, given its SIREN.
          record(3, { company: { siren: sirenOf(900_004), websiteUrl: 'https://www.sans-siren-4.fr' } }),
        ]);
        const stats = await sql.any<{ table: string; seq_scan: number; idx_scan: number }>(
          `SELECT relname AS table, seq_scan::int, idx_scan::int FROM pg_stat_xact_user_tables
            WHERE schemaname = 'crm' AND relname IN ('companies', 'people', 'positions') ORDER BY relname`,
        );
        return { results: merged, scans: stats };
      },
    );
    // The stored prospect 7 is recognised by its e-mail whatever its case: nothing created for it.
    expect(results[0]?.person?.outcome).toBe('unchanged');
    expect(results[0]?.position?.outcome).toBe('unchanged');
    expect(results[1]?.position?.outcome).toBe('created');
    expect(results[2]?.company?.outcome).toBe('unchanged');
    expect(results[3]?.company).toMatchObject({ outcome: 'updated', changed: ['siren'] });
    expect(scans.map((s) => ({ table: s.table, seq_scan: s.seq_scan }))).toEqual([
      { table: 'companies', seq_scan: 0 },
      { table: 'people', seq_scan: 0 },
      { table: 'positions', seq_scan: 0 },
    ]);
    expect(scans.every((s) => s.idx_scan > 0)).toBe(true);
  });
});
