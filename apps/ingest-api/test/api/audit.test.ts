import { withAdmin } from '@prospectflow/test-harness';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppPool, withTenantTransaction } from '../../src/platform/db/index.js';
import { startTestApi, type TestApi } from '../support/app.js';
import { organisationWith, type TestUser } from './campaigns-fixtures.js';

let api: TestApi;
let org: string;
let admin: TestUser;
let member: TestUser;
let outsider: TestUser;
const http = () => request(api.service.app);

interface Entry {
  id: string;
  occurredAt: string;
  operation: string;
  table: string;
  rowId: string;
  changes: { field: string; old: unknown; new: unknown }[];
  user: { id: string; email: string } | null;
  requestId: string | null;
  importId: string | null;
}
const audit = async (query: string, who = admin): Promise<{ items: Entry[]; nextCursor: string | null }> =>
  (await http().get(`/api/v1/audit?${query}`).set(who.auth).expect(200)).body;

beforeAll(async () => {
  api = await startTestApi();
  const created = await organisationWith(api, 'Audit Org', 'audit-owner@example.test', {
    'audit-admin@example.test': 'admin',
    'audit-member@example.test': 'member',
  });
  org = created.id;
  admin = created.users['audit-admin@example.test']!;
  member = created.users['audit-member@example.test']!;
  outsider = (await organisationWith(api, 'Other Org', 'audit-outsider@example.test')).users[
    'audit-outsider@example.test'
  ]!;
});
afterAll(async () => {
  await api.close();
});

describe('GET /audit', () => {
  it('records a one-field patch as one UPDATE naming that field, old and new, the user and the request id', async () => {
    const campaign = (
      await http()
        .post('/api/v1/campaigns')
        .set(member.auth)
        .send({ name: 'Before', description: 'Same' })
        .expect(201)
    ).body;
    const patched = await http()
      .patch(`/api/v1/campaigns/${campaign.id}`)
      .set(member.auth)
      .set('X-Request-Id', 'audit-patch-1')
      .send({ name: 'After', description: 'Same' })
      .expect(200);
    const updates = await audit(`table=outreach.campaigns&rowId=${campaign.id}&operation=UPDATE`);
    expect(updates.items).toHaveLength(1);
    expect(updates.items[0]).toMatchObject({
      operation: 'UPDATE',
      table: 'outreach.campaigns',
      rowId: campaign.id,
      changes: [{ field: 'name', old: 'Before', new: 'After' }],
      user: { id: member.id, email: member.email },
      requestId: 'audit-patch-1',
      importId: null,
    });

    // The same values again: no change, no entry, and the row is not even touched (updatedAt stays).
    const noOp = await http()
      .patch(`/api/v1/campaigns/${campaign.id}`)
      .set(member.auth)
      .set('X-Request-Id', 'audit-patch-2')
      .send({ name: 'After', description: 'Same' })
      .expect(200);
    expect(noOp.body.updatedAt).toBe(patched.body.updatedAt);
    // And an UPDATE that does reach the table without changing a value writes no entry either (the trigger's
    // own rule, whoever writes).
    const pool = createAppPool({
      connectionString: api.db.appUrl,
      max: 1,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 1000,
      applicationName: 'audit-test',
      onIdleClientError: () => undefined,
    });
    try {
      await withTenantTransaction(
        pool,
        { organisationId: org, userId: member.id, correlationId: 'raw-no-op' },
        (sql) =>
          sql.query('UPDATE outreach.campaigns SET name = name, description = description WHERE id = $1', [
            campaign.id,
          ]),
      );
    } finally {
      await pool.end();
    }
    const again = await audit(`rowId=${campaign.id}`);
    expect(again.items.map((e) => e.operation)).toEqual(['UPDATE', 'INSERT']);
    expect(again.items.some((e) => e.requestId === 'audit-patch-2' || e.requestId === 'raw-no-op')).toBe(
      false,
    );
    const inserted = again.items[1]!;
    expect(inserted.changes).toEqual(
      expect.arrayContaining([
        { field: 'name', old: null, new: 'Before' },
        { field: 'status', old: null, new: 'draft' },
      ]),
    );
  });

  it('filters by table, user, time range and import, newest first, with stable cursor pages', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push(
        (
          await http()
            .post('/api/v1/campaigns')
            .set(admin.auth)
            .send({ name: `Paged ${i}` })
            .expect(201)
        ).body.id,
      );
    }
    const byAdmin = await audit(
      `userId=${admin.id}&table=campaigns&from=${encodeURIComponent(before)}&limit=2`,
    );
    const walked: string[] = byAdmin.items.map((e) => e.rowId);
    let cursor = byAdmin.nextCursor;
    while (cursor) {
      const page = await audit(
        `userId=${admin.id}&table=campaigns&from=${encodeURIComponent(before)}&limit=2&cursor=${cursor}`,
      );
      walked.push(...page.items.map((e) => e.rowId));
      cursor = page.nextCursor;
    }
    expect(walked).toEqual([...ids].reverse());
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await audit(`from=${encodeURIComponent(future)}`)).items).toEqual([]);
    expect(
      (await audit(`to=${encodeURIComponent(before)}&table=campaigns&userId=${admin.id}`)).items,
    ).toEqual([]);

    // Entries written inside an import's transaction carry its id (app.import_id, set with BEGIN).
    const importId = '11111111-2222-4333-8444-555555555555';
    const pool = createAppPool({
      connectionString: api.db.appUrl,
      max: 1,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 1000,
      applicationName: 'audit-test',
      onIdleClientError: () => undefined,
    });
    try {
      await withTenantTransaction(
        pool,
        { organisationId: org, userId: admin.id, correlationId: 'job-1', importId },
        (sql) =>
          sql.query("INSERT INTO outreach.campaigns (organisation_id, name) VALUES ($1, 'Imported')", [org]),
      );
    } finally {
      await pool.end();
    }
    const imported = await audit(`importId=${importId}`);
    expect(imported.items).toHaveLength(1);
    expect(imported.items[0]).toMatchObject({ importId, requestId: 'job-1', operation: 'INSERT' });

    for (const bad of [
      'cursor=garbage',
      'rowId=nope',
      'table=x;drop',
      'from=yesterday',
      'operation=MERGE',
      'limit=500',
    ]) {
      const res = await http().get(`/api/v1/audit?${bad}`).set(admin.auth);
      expect({ bad, status: res.status }).toEqual({ bad, status: bad.startsWith('cursor') ? 400 : 422 });
    }
  });

  it('is for admins only, and shows another organisation none of these entries', async () => {
    await http().get('/api/v1/audit').set(member.auth).expect(403);
    const theirs = await audit('limit=200', outsider);
    expect(theirs.items.length).toBeGreaterThan(0);
    const ours = (await audit('limit=200')).items.map((e) => e.id);
    expect(theirs.items.filter((e) => ours.includes(e.id))).toEqual([]);
    const [row] = await withAdmin(
      api.db.adminUrl,
      async (a) =>
        (
          await a.query('SELECT count(*)::integer AS n FROM audit.audit_log WHERE organisation_id = $1', [
            org,
          ])
        ).rows,
    );
    expect(row.n).toBeGreaterThan(0);
    // Asking for our organisation while not a member of it: refused before any query.
    await http().get('/api/v1/audit').set(outsider.auth).set('X-Organisation-Id', org).expect(403);
  });

  it('stays immutable for the app role: UPDATE, DELETE and TRUNCATE refused, nothing changed', async () => {
    const client = new pg.Client({ connectionString: api.db.appUrl });
    await client.connect();
    try {
      const snapshot = async () =>
        withAdmin(
          api.db.adminUrl,
          async (a) =>
            (
              await a.query(
                'SELECT id, old_values, new_values FROM audit.audit_log WHERE organisation_id = $1 ORDER BY id',
                [org],
              )
            ).rows,
        );
      const before = await snapshot();
      expect(before.length).toBeGreaterThan(0);
      for (const statement of [
        "UPDATE audit.audit_log SET correlation_id = 'forged'",
        'DELETE FROM audit.audit_log',
        'TRUNCATE audit.audit_log',
      ]) {
        await client.query('BEGIN');
        await client.query("SELECT set_config('app.organisation_id', $1, true)", [org]);
        const error = await client.query(statement).then(
          () => null,
          (e: { code?: string }) => e,
        );
        await client.query('ROLLBACK');
        expect({ statement, code: error?.code }).toEqual({ statement, code: '42501' });
      }
      expect(await snapshot()).toEqual(before);
    } finally {
      await client.end();
    }
  });
});
