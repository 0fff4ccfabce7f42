import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  startTestPgBouncer,
  withCredentials,
  type PgBouncerInstance,
  type TestDatabase,
} from '@prospectflow/test-harness';
import { DatabaseError, QueryCanceledError, withTenantTransaction } from '../../src/platform/db/index.js';
import { seedTenant, testPool, type SeededTenant } from '../support/seed.js';

// The tenant settings travel with the first statement of a transaction (BEGIN, the set_config SELECT and the
// statement under one Sync). Everything here goes through a pgBouncer in transaction mode whose pool holds ONE
// server connection, so every transaction of every client runs on the same PostgreSQL session: a setting that
// outlived its transaction would be seen by the next one.

let db: TestDatabase;
let bouncer: PgBouncerInstance;
let pool: pg.Pool;
let acme: SeededTenant;
let globex: SeededTenant;
let readyForQuery = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  bouncer = await startTestPgBouncer({ poolSize: 1 });
  pool = testPool(withCredentials(db.appUrl, { port: bouncer.port }), 8);
  // Each answer the server completes ends with ReadyForQuery: counting them counts round trips.
  pool.on('connect', (client) => client.connection.on('readyForQuery', () => (readyForQuery += 1)));
  acme = await seedTenant(pool, 'Acme');
  globex = await seedTenant(pool, 'Globex');
});
afterAll(async () => {
  await pool.end();
  await bouncer.stop();
  await db.drop();
});

const scope = (tenant: SeededTenant) => ({
  organisationId: tenant.organisationId,
  userId: tenant.ownerId,
  correlationId: `settings-${randomUUID()}`,
});

describe('tenant settings sent with the first statement', () => {
  it('reach that statement in the same round trip, and end with the transaction on the shared connection', async () => {
    const before = readyForQuery;
    const inside = await withTenantTransaction(pool, scope(acme), (sql) =>
      sql.one<{ org: string; pid: number }>('SELECT current_setting($1) AS org, pg_backend_pid() AS pid', [
        'app.organisation_id',
      ]),
    );
    expect(inside.org).toBe(acme.organisationId);
    // The statement with BEGIN and the settings, then COMMIT: two round trips (three before).
    expect(readyForQuery - before).toBe(2);

    const after = await pool.query<{ org: string | null; pid: number }>(
      "SELECT current_setting('app.organisation_id', true) AS org, pg_backend_pid() AS pid",
    );
    expect(after.rows[0]?.pid).toBe(inside.pid);
    expect(after.rows[0]?.org ?? '').toBe('');
  });

  it('keep every tenant to its rows when transactions of two tenants interleave on one server connection', async () => {
    const tenants = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? acme : globex));
    const seen = await Promise.all(
      tenants.map((tenant) =>
        withTenantTransaction(pool, scope(tenant), (sql) =>
          sql.any<{ organisation_id: string; setting: string }>(
            'SELECT organisation_id, current_setting($1) AS setting FROM crm.companies',
            ['app.organisation_id'],
          ),
        ),
      ),
    );
    seen.forEach((rows, i) => {
      const own = tenants[i]?.organisationId;
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row).toEqual({ organisation_id: own, setting: own });
    });
  });

  it('open one transaction that the later statements share', async () => {
    const [first, second] = await withTenantTransaction(pool, scope(globex), async (sql) => [
      await sql.one<{ xid: string }>('SELECT txid_current()::text AS xid WHERE $1::int = 1', [1]),
      await sql.one<{ xid: string; user_id: string }>(
        "SELECT txid_current()::text AS xid, current_setting('app.user_id') AS user_id",
      ),
    ]);
    expect(second.xid).toBe(first.xid);
    expect(second.user_id).toBe(globex.ownerId);
  });

  it('apply the statement timeout to the first statement itself', async () => {
    await expect(
      withTenantTransaction(pool, { ...scope(acme), statementTimeoutMs: 50 }, (sql) =>
        sql.query('SELECT pg_sleep($1)', [2]),
      ),
    ).rejects.toBeInstanceOf(QueryCanceledError);
  });

  it('roll back a failing first statement and leave the connection clean', async () => {
    await expect(
      withTenantTransaction(pool, scope(acme), (sql) => sql.query('SELECT 1 / $1::int', [0])),
    ).rejects.toBeInstanceOf(DatabaseError);
    const after = await pool.query<{ org: string | null }>(
      "SELECT current_setting('app.organisation_id', true) AS org",
    );
    expect(after.rows[0]?.org ?? '').toBe('');
    const next = await withTenantTransaction(pool, scope(globex), (sql) =>
      sql.one<{ org: string }>('SELECT current_setting($1) AS org', ['app.organisation_id']),
    );
    expect(next.org).toBe(globex.organisationId);
  });

  it('begin with a statement that cannot carry them (no parameters) as before', async () => {
    const before = readyForQuery;
    const row = await withTenantTransaction(pool, scope(acme), (sql) =>
      sql.one<{ org: string }>("SELECT current_setting('app.organisation_id') AS org"),
    );
    expect(row.org).toBe(acme.organisationId);
    expect(readyForQuery - before).toBe(3);
  });

  it('send nothing for a transaction that runs no statement', async () => {
    const before = readyForQuery;
    await expect(withTenantTransaction(pool, scope(acme), async () => 'nothing')).resolves.toBe('nothing');
    expect(readyForQuery - before).toBe(0);
  });
});
