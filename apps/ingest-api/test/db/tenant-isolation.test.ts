import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  startTestPgBouncer,
  withCredentials,
  type PgBouncerInstance,
  type TestDatabase,
} from '@prospectflow/test-harness';
import {
  ForeignKeyViolationError,
  InsufficientPrivilegeError,
  RowLevelSecurityError,
  TenantContextMissingError,
  withTenantTransaction,
  withTransaction,
} from '../../src/platform/db/index.js';
import { seedTenant, testPool, type SeededTenant } from '../support/seed.js';

let db: TestDatabase;
let pool: pg.Pool;
let tenantA: SeededTenant;
let tenantB: SeededTenant;
let tenantTables: string[];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = testPool(db.appUrl, 10);
  [tenantA, tenantB] = await Promise.all([seedTenant(pool, 'Alpha'), seedTenant(pool, 'Beta')]);
  const admin = new pg.Client({ connectionString: db.adminUrl });
  await admin.connect();
  const { rows } = await admin.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('iam', 'crm', 'outreach', 'tracking', 'audit')
      ORDER BY 1`,
  );
  await admin.end();
  tenantTables = rows.map((row) => row.name);
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('without an organisation', () => {
  it('every tenant table refuses reads, updates and deletes with the tenant-context error, never rows', async () => {
    expect(tenantTables.length).toBeGreaterThanOrEqual(22);
    for (const table of tenantTables) {
      for (const statement of [
        `SELECT * FROM ${table}`,
        `SELECT count(*) FROM ${table}`,
        `UPDATE ${table} SET organisation_id = organisation_id`.replace(
          /organisation_id/g,
          table === 'iam.organisations' || table === 'iam.users' ? 'id' : 'organisation_id',
        ),
        `DELETE FROM ${table}`,
      ]) {
        // Where the application role has no privilege at all, the privilege check refuses first.
        const notGranted =
          (table === 'audit.audit_log' && !statement.startsWith('SELECT')) ||
          (table === 'iam.users' && statement.startsWith('DELETE'));
        const attempt = withTransaction(pool, {}, (sql) => sql.any(statement));
        await expect(attempt, statement).rejects.toBeInstanceOf(
          notGranted ? InsufficientPrivilegeError : TenantContextMissingError,
        );
      }
    }
  });

  it('refuses inserts', async () => {
    for (const [statement, values] of [
      [
        'INSERT INTO crm.companies (organisation_id, name) VALUES ($1, $2)',
        [tenantA.organisationId, 'Sneaky'],
      ],
      [
        'INSERT INTO outreach.campaigns (organisation_id, name) VALUES ($1, $2)',
        [tenantA.organisationId, 'Sneaky'],
      ],
      [
        'INSERT INTO iam.organisations (id, name, slug) VALUES ($1, $2, $3)',
        [randomUUID(), 'Sneaky', 'sneaky'],
      ],
    ] as const) {
      await expect(withTransaction(pool, {}, (sql) => sql.query(statement, values))).rejects.toBeInstanceOf(
        TenantContextMissingError,
      );
    }
  });
});

describe('two organisations through pgBouncer in transaction mode', () => {
  let bouncer: PgBouncerInstance;
  let tightPool: pg.Pool;
  let probe: pg.Pool;

  beforeAll(async () => {
    // Two server connections shared by 20 clients: every transaction reuses a connection another tenant just had.
    bouncer = await startTestPgBouncer({ poolSize: 2 });
    const url = withCredentials(db.appUrl, { port: bouncer.port });
    tightPool = testPool(url, 20);
    probe = new pg.Pool({ connectionString: url, max: 4 });
  });

  afterAll(async () => {
    await tightPool.end();
    await probe.end();
    await bouncer.stop();
  });

  it("never shows or changes the other tenant's rows, and every transaction starts with the setting empty", async () => {
    const tenants = [tenantA, tenantB];
    const inserted = new Map<string, Set<string>>(tenants.map((t) => [t.organisationId, new Set<string>()]));
    const leaks: string[] = [];

    const work = Array.from({ length: 240 }, async (_, i) => {
      const tenant = tenants[i % 2] as SeededTenant;
      if (i % 3 === 0) {
        // A bare transaction through the same two server connections: nothing may be set when it begins.
        const client = await probe.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query<{ org: string | null; usr: string | null }>(
            "SELECT current_setting('app.organisation_id', true) AS org, current_setting('app.user_id', true) AS usr",
          );
          await client.query('COMMIT');
          const row = rows[0];
          if ((row?.org ?? '') !== '' || (row?.usr ?? '') !== '')
            leaks.push(`probe ${i} saw ${JSON.stringify(row)}`);
        } finally {
          client.release();
        }
      }
      const name = `c-${tenant.organisationId.slice(0, 8)}-${i}`;
      await withTenantTransaction(
        tightPool,
        { organisationId: tenant.organisationId, userId: tenant.ownerId, correlationId: `iso-${i}` },
        async (sql) => {
          await sql.query('INSERT INTO crm.companies (organisation_id, name) VALUES ($1, $2)', [
            tenant.organisationId,
            name,
          ]);
          const visible = await sql.any<{ organisation_id: string }>(
            'SELECT organisation_id FROM crm.companies',
          );
          for (const row of visible) {
            if (row.organisation_id !== tenant.organisationId)
              leaks.push(`tx ${i} saw a row of ${row.organisation_id}`);
          }
          const updated = await sql.any<{ organisation_id: string }>(
            'UPDATE crm.companies SET activity = $1 RETURNING organisation_id',
            [`touched-by-${i}`],
          );
          if (updated.length === 0) leaks.push(`tx ${i} updated nothing, not even its own row`);
          for (const row of updated) {
            if (row.organisation_id !== tenant.organisationId)
              leaks.push(`tx ${i} updated a row of ${row.organisation_id}`);
          }
          // Rows of the other tenant addressed by primary key are simply not there.
          const other = tenant === tenantA ? tenantB : tenantA;
          const foreign = await sql.query(
            'UPDATE crm.companies SET name = name WHERE organisation_id = $1 AND id = $2',
            [other.organisationId, other.companyId],
          );
          if (foreign.rowCount !== 0) leaks.push(`tx ${i} changed a row of the other tenant`);
        },
      );
      inserted.get(tenant.organisationId)?.add(name);
    });
    await Promise.all(work);

    expect(leaks).toEqual([]);
    for (const tenant of tenants) {
      const names = await withTenantTransaction(pool, { organisationId: tenant.organisationId }, (sql) =>
        sql.any<{ name: string; organisation_id: string }>(
          "SELECT name, organisation_id FROM crm.companies WHERE name LIKE 'c-%'",
        ),
      );
      expect(new Set(names.map((row) => row.name))).toEqual(inserted.get(tenant.organisationId));
      expect(names.every((row) => row.organisation_id === tenant.organisationId)).toBe(true);
    }
  });

  it('a transaction that throws leaves nothing behind for the next user of that server connection', async () => {
    const single = testPool(withCredentials(db.appUrl, { port: bouncer.port }), 1);
    try {
      const marker = `rolled-back-${randomUUID()}`;
      await expect(
        withTenantTransaction(
          single,
          { organisationId: tenantA.organisationId, userId: tenantA.ownerId },
          async (sql) => {
            await sql.query('INSERT INTO crm.companies (organisation_id, name) VALUES ($1, $2)', [
              tenantA.organisationId,
              marker,
            ]);
            throw new Error('boom');
          },
        ),
      ).rejects.toThrow('boom');

      const client = await single.connect();
      try {
        const { rows } = await client.query<{ org: string | null; in_tx: boolean }>(
          "SELECT current_setting('app.organisation_id', true) AS org, now() <> statement_timestamp() AS in_tx",
        );
        expect(rows[0]?.org ?? '').toBe('');
        expect(rows[0]?.in_tx).toBe(false);
        await expect(client.query('SELECT count(*) FROM crm.companies')).rejects.toMatchObject({
          code: 'PF001',
        });
      } finally {
        client.release();
      }
      const count = await withTenantTransaction(pool, { organisationId: tenantA.organisationId }, (sql) =>
        sql.one<{ n: string }>('SELECT count(*) AS n FROM crm.companies WHERE name = $1', [marker]),
      );
      expect(count.n).toBe('0');
    } finally {
      await single.end();
    }
  });
});

describe('writes aimed at another organisation', () => {
  it('WITH CHECK refuses a row for another organisation, inserted or moved', async () => {
    const context = { organisationId: tenantA.organisationId, userId: tenantA.ownerId };
    await expect(
      withTenantTransaction(pool, context, (sql) =>
        sql.query('INSERT INTO crm.companies (organisation_id, name) VALUES ($1, $2)', [
          tenantB.organisationId,
          'Planted',
        ]),
      ),
    ).rejects.toBeInstanceOf(RowLevelSecurityError);
    await expect(
      withTenantTransaction(pool, context, (sql) =>
        sql.query('UPDATE crm.companies SET organisation_id = $1 WHERE id = $2', [
          tenantB.organisationId,
          tenantA.companyId,
        ]),
      ),
    ).rejects.toBeInstanceOf(RowLevelSecurityError);
  });

  it('a composite foreign key refuses a child pointing into another organisation', async () => {
    const attempt = withTenantTransaction(pool, { organisationId: tenantA.organisationId }, (sql) =>
      sql.query('INSERT INTO crm.positions (organisation_id, person_id, company_id) VALUES ($1, $2, $3)', [
        tenantA.organisationId,
        tenantB.personId,
        tenantA.companyId,
      ]),
    );
    await expect(attempt).rejects.toBeInstanceOf(ForeignKeyViolationError);
    await expect(attempt).rejects.toMatchObject({ constraint: 'positions_person_fkey' });
  });
});

describe('audit log', () => {
  it('records changes with the acting user and correlation id, and the app role cannot update or delete it', async () => {
    const entries = await withTenantTransaction(pool, { organisationId: tenantA.organisationId }, (sql) =>
      sql.any<{ table_name: string; user_id: string; correlation_id: string; operation: string }>(
        "SELECT table_name, user_id, correlation_id, operation FROM audit.audit_log WHERE table_name = 'companies' AND operation = 'INSERT'",
      ),
    );
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((entry) => entry.user_id === tenantA.ownerId)).toBe(true);

    for (const statement of [
      'UPDATE audit.audit_log SET user_id = NULL',
      'DELETE FROM audit.audit_log',
      'TRUNCATE audit.audit_log',
    ]) {
      await expect(
        withTenantTransaction(pool, { organisationId: tenantA.organisationId }, (sql) =>
          sql.query(statement),
        ),
      ).rejects.toBeInstanceOf(InsufficientPrivilegeError);
    }
  });
});

describe('list queries', () => {
  it('use the organisation-led index under the RLS policy', async () => {
    await withTenantTransaction(pool, { organisationId: tenantB.organisationId }, (sql) =>
      sql.query(
        "INSERT INTO crm.companies (organisation_id, name) SELECT $1, 'Bulk ' || g FROM generate_series(1, 5000) g",
        [tenantB.organisationId],
      ),
    );
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    await admin.query('ANALYZE crm.companies');
    await admin.end();
    const plan = await withTenantTransaction(pool, { organisationId: tenantA.organisationId }, (sql) =>
      sql.one<{ 'QUERY PLAN': unknown }>(
        'EXPLAIN (FORMAT JSON) SELECT id, name FROM crm.companies ORDER BY created_at, id LIMIT 50',
      ),
    );
    const text = JSON.stringify(plan['QUERY PLAN']);
    expect(text).toContain('"Index Name":"companies_list_idx"');
    expect(text).not.toContain('"Node Type":"Seq Scan"');
  });
});
