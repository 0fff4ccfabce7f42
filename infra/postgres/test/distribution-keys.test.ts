import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@prospectflow/test-harness';
import {
  ACCEPTED_FINDINGS,
  checkDistributionKeys,
  formatDistributionReport,
  type DistributionFinding,
} from '../src/index.js';

let db: TestDatabase;
let owner: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await db.drop();
});

const line = (f: DistributionFinding) => `${f.table} | ${f.object} | ${f.problem}`;

describe('distribution keys (every PK, unique index and FK of a tenant table includes organisation_id)', () => {
  it('hold for every tenant table of the migrated schema, with the global tables named', async () => {
    const report = await checkDistributionKeys(owner);
    expect(report.findings.map(line), formatDistributionReport(report)).toEqual([]);
    expect(report.tenantTables.length).toBeGreaterThanOrEqual(27);
    expect(report.tenantTables).toEqual(expect.arrayContaining(['crm.companies', 'audit.audit_log']));
    expect(report.globalTables.map((g) => g.table)).toEqual([
      'iam.organisations',
      'iam.users',
      'public.pgmigrations',
    ]);
    expect(report.accepted.map((f) => `${f.table} ${f.object}`).sort()).toEqual(
      Object.keys(ACCEPTED_FINDINGS).sort(),
    );
    expect(
      report.referencesToGlobalTables.every((r) => ['iam.organisations', 'iam.users'].includes(r.references)),
    ).toBe(true);
  });

  it('report a table that breaks it (created and rolled back in this test database)', async () => {
    await owner.query('BEGIN');
    try {
      await owner.query(`
        CREATE TABLE crm.distribution_probe (
          organisation_id uuid,
          id uuid PRIMARY KEY,
          company_id uuid,
          body text CONSTRAINT distribution_probe_body_key UNIQUE,
          during tstzrange,
          CONSTRAINT distribution_probe_company_fkey FOREIGN KEY (company_id, organisation_id)
            REFERENCES crm.companies (organisation_id, id),
          CONSTRAINT distribution_probe_during_excl EXCLUDE USING gist (during WITH &&)
        );
        CREATE UNIQUE INDEX distribution_probe_lower_body_key ON crm.distribution_probe (lower(body));
        CREATE TABLE crm.distribution_probe_links (
          organisation_id uuid NOT NULL,
          id uuid NOT NULL,
          company_id uuid,
          PRIMARY KEY (organisation_id, id),
          CONSTRAINT distribution_probe_links_company_fkey FOREIGN KEY (organisation_id, company_id)
            REFERENCES crm.companies (organisation_id, id) ON DELETE SET NULL (company_id)
        );
        CREATE TABLE crm.distribution_probe_lookup (
          code text PRIMARY KEY,
          company_org uuid,
          company_id uuid,
          CONSTRAINT distribution_probe_lookup_company_fkey FOREIGN KEY (company_org, company_id)
            REFERENCES crm.companies (organisation_id, id)
        );`);
      const report = await checkDistributionKeys(owner);
      const found = report.findings.map(line);
      const expected = [
        /^crm\.distribution_probe \| organisation_id \| organisation_id is nullable$/,
        /^crm\.distribution_probe \| distribution_probe_pkey \| primary key \(id\) does not include organisation_id$/,
        /^crm\.distribution_probe \| distribution_probe_body_key \| unique index \(body\) does not include/,
        /^crm\.distribution_probe \| distribution_probe_lower_body_key \| unique index \(<expression>\) does not/,
        /^crm\.distribution_probe \| distribution_probe_during_excl \| exclusion constraint \(during\) does not/,
        /^crm\.distribution_probe \| distribution_probe_company_fkey \| foreign key \(company_id, organisation_id\) -> crm\.companies \(organisation_id, id\) does not pair/,
        /^crm\.distribution_probe_links \| distribution_probe_links_company_fkey \| .* ON DELETE SET NULL, which Citus refuses$/,
        /^crm\.distribution_probe_lookup \| organisation_id \| no organisation_id column, and not declared/,
        /^crm\.distribution_probe_lookup \| distribution_probe_lookup_company_fkey \| .* from a global table to a tenant table/,
      ];
      for (const pattern of expected)
        expect(found, formatDistributionReport(report)).toContainEqual(expect.stringMatching(pattern));
      expect(found).toHaveLength(expected.length);
      expect(formatDistributionReport(report)).toMatch(/Findings: 9\n/);
    } finally {
      await owner.query('ROLLBACK');
    }
    expect((await checkDistributionKeys(owner)).findings).toEqual([]);
  });
});
