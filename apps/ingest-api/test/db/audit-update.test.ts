import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, withAdmin, type TestDatabase } from '@prospectflow/test-harness';
import { withTenantTransaction } from '../../src/platform/db/index.js';
import { seedTenant, testPool, type SeededTenant } from '../support/seed.js';

// The audit row of an UPDATE keeps exactly the changed columns, with the acting user and correlation id of the
// transaction's settings; an UPDATE that changes nothing leaves no row. Written as prospectflow_app through
// pgBouncer, read back as the superuser.

interface AuditRow {
  organisation_id: string;
  user_id: string | null;
  table_schema: string;
  table_name: string;
  row_id: string;
  operation: string;
  old_values: Record<string, unknown> | null;
  new_values: Record<string, unknown> | null;
  correlation_id: string | null;
}

let db: TestDatabase;
let pool: pg.Pool;
let tenant: SeededTenant;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = testPool(db.appUrl, 4);
  tenant = await seedTenant(pool, 'Audit');
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

function update(correlationId: string, statement: string, values: unknown[]): Promise<unknown> {
  return withTenantTransaction(
    pool,
    { organisationId: tenant.organisationId, userId: tenant.ownerId, correlationId },
    (sql) => sql.query(statement, values),
  );
}

async function updateEntries(rowId: string): Promise<AuditRow[]> {
  return withAdmin(db.adminUrl, async (admin) => {
    const { rows } = await admin.query<AuditRow>(
      `SELECT organisation_id, user_id, table_schema, table_name, row_id, operation, old_values, new_values,
              correlation_id
         FROM audit.audit_log WHERE row_id = $1 AND operation = 'UPDATE' ORDER BY id`,
      [rowId],
    );
    return rows;
  });
}

describe('audit rows of updates', () => {
  it('records one UPDATE row with exactly the changed column, the user and the correlation id', async () => {
    const { companyId } = tenant;
    await update('audit-rename', 'UPDATE crm.companies SET name = $1 WHERE id = $2', [
      'Renamed Co',
      companyId,
    ]);
    expect(await updateEntries(companyId)).toEqual([
      {
        organisation_id: tenant.organisationId,
        user_id: tenant.ownerId,
        table_schema: 'crm',
        table_name: 'companies',
        row_id: companyId,
        operation: 'UPDATE',
        old_values: { name: 'Company Audit' },
        new_values: { name: 'Renamed Co' },
        correlation_id: 'audit-rename',
      },
    ]);
  });

  it('records a column set from NULL with its null old value', async () => {
    const { personId } = tenant;
    await update('audit-linkedin', 'UPDATE crm.people SET linkedin_url = $1 WHERE id = $2', [
      'https://www.linkedin.com/in/ada-audit',
      personId,
    ]);
    const entries = await updateEntries(personId);
    expect(
      entries.map(({ old_values, new_values, correlation_id }) => ({
        old_values,
        new_values,
        correlation_id,
      })),
    ).toEqual([
      {
        old_values: { linkedin_url: null },
        new_values: { linkedin_url: 'https://www.linkedin.com/in/ada-audit' },
        correlation_id: 'audit-linkedin',
      },
    ]);
  });

  it('records nothing for an UPDATE that sets the values already there', async () => {
    const { companyId } = tenant;
    const before = await updateEntries(companyId);
    await update('audit-same', 'UPDATE crm.companies SET name = $1 WHERE id = $2', ['Renamed Co', companyId]);
    await update('audit-same', 'UPDATE crm.companies SET name = name, siren = siren WHERE id = $1', [
      companyId,
    ]);
    expect(await updateEntries(companyId)).toEqual(before);
  });
});
