import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, withAdmin, type TestDatabase } from '@prospectflow/test-harness';
import {
  CheckViolationError,
  UniqueViolationError,
  withTenantTransaction,
  type Sql,
} from '../../src/platform/db/index.js';
import { seedTenant, signIn, testPool } from '../support/seed.js';

// Exactly one owner per organisation: at most one by a unique index (immediately), at least one by a constraint
// trigger deferred to COMMIT, so that a transfer can demote and promote in one transaction. Run as
// prospectflow_app through pgBouncer in tenant transactions, as the API does.

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = testPool(db.appUrl, 4);
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

/** An organisation with its owner and an active admin. */
async function organisationWithAdmin(label: string) {
  const { organisationId, ownerId } = await seedTenant(pool, label);
  const adminId = await signIn(pool, `${label}-admin-${organisationId.slice(0, 8)}@example.test`);
  await inTenant(organisationId, (sql) =>
    sql.query(
      "INSERT INTO iam.organisation_users (organisation_id, user_id, role, status) VALUES ($1, $2, 'admin', 'active')",
      [organisationId, adminId],
    ),
  );
  return { organisationId, ownerId, adminId };
}

function inTenant<T>(organisationId: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
  return withTenantTransaction(pool, { organisationId, correlationId: 'single-owner' }, fn);
}

/** Roles as stored, read as the superuser. */
async function roles(organisationId: string): Promise<Record<string, string>> {
  return withAdmin(db.adminUrl, async (admin) => {
    const { rows } = await admin.query<{ user_id: string; role: string }>(
      'SELECT user_id, role FROM iam.organisation_users WHERE organisation_id = $1',
      [organisationId],
    );
    return Object.fromEntries(rows.map((row) => [row.user_id, row.role]));
  });
}

describe('exactly one owner per organisation', () => {
  it("refuses at commit deleting the owner's membership, and keeps it", async () => {
    const { organisationId, ownerId, adminId } = await organisationWithAdmin('DeleteOwner');
    const attempt = inTenant(organisationId, async (sql) => {
      const { rowCount } = await sql.query('DELETE FROM iam.organisation_users WHERE user_id = $1', [
        ownerId,
      ]);
      // The statement itself goes through: the rule is checked when the transaction commits.
      expect(rowCount).toBe(1);
    });
    await expect(attempt).rejects.toBeInstanceOf(CheckViolationError);
    await expect(attempt).rejects.toMatchObject({ constraint: 'organisation_users_exactly_one_owner' });
    expect(await roles(organisationId)).toEqual({ [ownerId]: 'owner', [adminId]: 'admin' });
  });

  it('refuses at commit demoting the owner without a transfer, and keeps the owner', async () => {
    const { organisationId, ownerId, adminId } = await organisationWithAdmin('DemoteOwner');
    const attempt = inTenant(organisationId, (sql) =>
      sql.query("UPDATE iam.organisation_users SET role = 'admin' WHERE user_id = $1", [ownerId]),
    );
    await expect(attempt).rejects.toBeInstanceOf(CheckViolationError);
    await expect(attempt).rejects.toMatchObject({ constraint: 'organisation_users_exactly_one_owner' });
    expect(await roles(organisationId)).toEqual({ [ownerId]: 'owner', [adminId]: 'admin' });
  });

  it('refuses a second owner at once', async () => {
    const { organisationId, ownerId, adminId } = await organisationWithAdmin('TwoOwners');
    const attempt = inTenant(organisationId, (sql) =>
      sql.query("UPDATE iam.organisation_users SET role = 'owner' WHERE user_id = $1", [adminId]),
    );
    await expect(attempt).rejects.toBeInstanceOf(UniqueViolationError);
    expect(await roles(organisationId)).toEqual({ [ownerId]: 'owner', [adminId]: 'admin' });
  });

  it('accepts a transfer made in one transaction (demote, then promote)', async () => {
    const { organisationId, ownerId, adminId } = await organisationWithAdmin('Transfer');
    await inTenant(organisationId, async (sql) => {
      await sql.query("UPDATE iam.organisation_users SET role = 'admin' WHERE user_id = $1", [ownerId]);
      await sql.query("UPDATE iam.organisation_users SET role = 'owner' WHERE user_id = $1", [adminId]);
    });
    expect(await roles(organisationId)).toEqual({ [ownerId]: 'admin', [adminId]: 'owner' });
  });

  it('accepts deleting the organisation with its memberships', async () => {
    const { organisationId } = await organisationWithAdmin('Gone');
    await inTenant(organisationId, async (sql) => {
      await sql.query('DELETE FROM iam.organisation_users WHERE organisation_id = $1', [organisationId]);
      await sql.query('DELETE FROM iam.organisations WHERE id = $1', [organisationId]);
    });
    expect(await roles(organisationId)).toEqual({});
  });
});
