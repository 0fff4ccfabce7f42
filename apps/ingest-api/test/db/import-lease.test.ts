import { createTestDatabase, type TestDatabase } from '@prospectflow/test-harness';
import pg, { type Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renewLease } from '../../src/components/imports/imports.repository.js';
import { withTenantTransaction } from '../../src/platform/db/index.js';
import { seedTenant, testPool, type SeededTenant } from '../support/seed.js';

// A job's lease is renewed while its handler works. The commit holds the import's row lock from its first
// progress update to its end, so a renewal must not wait for that row: it would hold a pooled connection for
// the whole commit, one more every renewal period.

let db: TestDatabase;
let pool: Pool;
let admin: pg.Client;
let tenant: SeededTenant;
let importId: string;

const renew = (worker: string) =>
  withTenantTransaction(pool, { organisationId: tenant.organisationId, statementTimeoutMs: 2_000 }, (sql) =>
    renewLease(sql, importId, worker, 30),
  );
const expiry = async () =>
  (
    await admin.query<{ at: Date }>('SELECT lease_expires_at AS at FROM crm.imports WHERE id = $1', [
      importId,
    ])
  ).rows[0]?.at.getTime() ?? 0;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = testPool(db.appUrl, 2);
  tenant = await seedTenant(pool, 'Lease');
  admin = new pg.Client({ connectionString: db.adminUrl });
  await admin.connect();
  importId = (
    await admin.query<{ id: string }>(
      `INSERT INTO crm.imports (organisation_id, file_name, job, job_state, lease_owner, lease_expires_at)
       VALUES ($1, 'a.csv', 'commit', 'running', 'worker-1', now() + interval '5 seconds') RETURNING id`,
      [tenant.organisationId],
    )
  ).rows[0]!.id;
});
afterAll(async () => {
  await admin.end();
  await pool.end();
  await db.drop();
});

describe('renewing an import job’s lease', () => {
  it('extends the lease of its owner, and only of its owner', async () => {
    const before = await expiry();
    expect(await renew('worker-1')).toBe(true);
    expect(await expiry()).toBeGreaterThan(before);
    expect(await renew('worker-2')).toBe(false);
  });

  it('answers at once while the job’s own transaction holds the row: held for its owner, not for another', async () => {
    const holder = new pg.Client({ connectionString: db.adminUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM crm.imports WHERE id = $1 FOR UPDATE', [importId]);
      // Waiting for the lock would run into the 2 s statement timeout and throw.
      expect(await renew('worker-1')).toBe(true);
      expect(await renew('worker-2')).toBe(false);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('is lost once the job is no longer running or its import is gone', async () => {
    await admin.query("UPDATE crm.imports SET job_state = 'done', lease_owner = NULL WHERE id = $1", [
      importId,
    ]);
    expect(await renew('worker-1')).toBe(false);
    await admin.query('DELETE FROM crm.imports WHERE id = $1', [importId]);
    expect(await renew('worker-1')).toBe(false);
  });
});
