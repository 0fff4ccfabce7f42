import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@prospectflow/test-harness';
import {
  CheckViolationError,
  DatabaseError,
  DatabaseUnavailableError,
  NoRowError,
  QueryCanceledError,
  UniqueViolationError,
  withTenantTransaction,
  withTransaction,
} from '../../src/platform/db/index.js';
import { seedTenant, signIn, testPool, type SeededTenant } from '../support/seed.js';

let db: TestDatabase;
let pool: pg.Pool;
let tenant: SeededTenant;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = testPool(db.appUrl, 1);
  tenant = await seedTenant(pool, 'Tx');
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

const context = () => ({
  organisationId: tenant.organisationId,
  userId: tenant.ownerId,
  correlationId: 'tx-test',
});

describe('withTenantTransaction', () => {
  it('commits, and reuses the client after an ordinary SQL error rolled back', async () => {
    const name = `kept-${randomUUID()}`;
    await withTenantTransaction(pool, context(), (sql) =>
      sql.query('INSERT INTO crm.companies (organisation_id, name) VALUES ($1, $2)', [
        tenant.organisationId,
        name,
      ]),
    );
    await expect(
      withTenantTransaction(pool, context(), (sql) =>
        sql.query('INSERT INTO iam.organisations (id, name, slug) VALUES ($1, $2, $3)', [
          tenant.organisationId,
          'dup',
          'dup',
        ]),
      ),
    ).rejects.toBeInstanceOf(UniqueViolationError);
    // The rolled-back client went back to the pool rather than being discarded.
    expect(pool.totalCount).toBe(1);
    expect(pool.idleCount).toBe(1);
    const found = await withTenantTransaction(pool, context(), (sql) =>
      sql.one<{ n: string }>('SELECT count(*) AS n FROM crm.companies WHERE name = $1', [name]),
    );
    expect(found.n).toBe('1');
  });

  it('rethrows an application error from inside the transaction untouched, after rolling back', async () => {
    class RuleBroken extends Error {}
    const thrown = new RuleBroken('no');
    await expect(withTenantTransaction(pool, context(), async () => Promise.reject(thrown))).rejects.toBe(
      thrown,
    );
    expect(pool.idleCount).toBe(1);
  });

  it('translates a deferred constraint failing at COMMIT', async () => {
    const organisationId = randomUUID();
    const attempt = withTenantTransaction(pool, { organisationId }, (sql) =>
      sql.query('INSERT INTO iam.organisations (id, name, slug) VALUES ($1, $2, $3)', [
        organisationId,
        'Ownerless',
        `o-${organisationId}`,
      ]),
    );
    await expect(attempt).rejects.toBeInstanceOf(CheckViolationError);
    await expect(attempt).rejects.toMatchObject({ constraint: 'organisation_users_exactly_one_owner' });
  });

  it('applies the per-transaction statement timeout', async () => {
    await expect(
      withTransaction(pool, { statementTimeoutMs: 50 }, (sql) => sql.query('SELECT pg_sleep(2)')),
    ).rejects.toBeInstanceOf(QueryCanceledError);
  });

  it('refuses to run a statement on a handle whose transaction has ended', async () => {
    let leaked: Parameters<Parameters<typeof withTransaction>[2]>[0] | undefined;
    await withTransaction(pool, {}, async (sql) => {
      leaked = sql;
    });
    await expect(leaked?.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseError);
    await expect(withTransaction(pool, {}, (sql) => sql.one('SELECT 1 WHERE false'))).rejects.toBeInstanceOf(
      NoRowError,
    );
  });

  it('destroys a client whose server connection was killed mid-transaction, and the next transaction works', async () => {
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    try {
      const attempt = withTenantTransaction(pool, context(), async (sql) => {
        const { pid } = await sql.one<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await sql.query('SELECT 1');
      });
      await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
      expect(pool.totalCount).toBe(0);
      const after = await withTenantTransaction(pool, context(), (sql) =>
        sql.one<{ org: string }>("SELECT current_setting('app.organisation_id') AS org"),
      );
      expect(after.org).toBe(tenant.organisationId);
    } finally {
      await admin.end();
    }
  });

  it('signs the same identity in once however many times it is synced', async () => {
    const email = `repeat-${randomUUID()}@example.test`;
    const ids = await Promise.all(Array.from({ length: 5 }, () => signIn(pool, email)));
    expect(new Set(ids).size).toBe(1);
  });
});
