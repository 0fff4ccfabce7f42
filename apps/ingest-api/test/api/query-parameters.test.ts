import { randomUUID } from 'node:crypto';
import { withAdmin } from '@prospectflow/test-harness';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';

let api: TestApi;
let bearer: { Authorization: string };
let organisationId: string;
let memberId: string;

interface Operation {
  method: string;
  path: string;
  operationId: string;
  hasBody: boolean;
}

/** Bodies that are valid for the known operations, so that the query parameter is the only thing wrong. */
const validBodies: Record<string, () => object> = {
  createOrganisation: () => ({ name: 'Bogus Org' }),
  updateOrganisation: () => ({ name: 'Renamed by bogus' }),
  inviteMember: () => ({ email: 'bogus-invite@example.test' }),
  changeMemberRole: () => ({ role: 'admin' }),
  setActiveOrganisation: () => ({ organisationId }),
};

// Served by express.static and a fixed HTML page for browsers, not by the route registry.
const NOT_IN_REGISTRY = new Set(['/docs']);

/** Every operation the API registers, read from the OpenAPI document the route registry generates. */
async function registeredOperations(): Promise<Operation[]> {
  const doc = (await request(api.service.app).get('/openapi.json').expect(200)).body as {
    paths: Record<string, Record<string, { operationId: string; requestBody?: unknown }>>;
  };
  return Object.entries(doc.paths)
    .filter(([path]) => !NOT_IN_REGISTRY.has(path))
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method,
        path,
        operationId: operation.operationId,
        hasBody: operation.requestBody !== undefined,
      })),
    );
}

function concretePath(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    if (name === 'organisationId') return organisationId;
    if (name === 'userId') return memberId;
    return randomUUID();
  });
}

/** Row counts of every table, read as the superuser, to prove a refused request stored nothing. */
async function rowCounts(): Promise<Record<string, number>> {
  return withAdmin(api.db.adminUrl, async (admin) => {
    const { rows: tables } = await admin.query<{ name: string }>(
      `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1`,
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables) {
      const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`);
      counts[name] = Number(rows[0]?.n);
    }
    return counts;
  });
}

beforeAll(async () => {
  api = await startTestApi();
  bearer = { Authorization: `Bearer ${api.token('query-owner@example.test')}` };
  organisationId = (
    await request(api.service.app)
      .post('/api/v1/organisations')
      .set(bearer)
      .send({ name: 'Query Inc' })
      .expect(201)
  ).body.id;
  memberId = (
    await request(api.service.app)
      .post(`/api/v1/organisations/${organisationId}/members`)
      .set(bearer)
      .send({ email: 'query-member@example.test' })
      .expect(201)
  ).body.userId;
});
afterAll(async () => {
  await api.close();
});

describe('unknown query parameters are refused on every registered route', () => {
  it('covers the routes of every component', async () => {
    const operations = (await registeredOperations()).map((o) => o.operationId);
    expect(operations).toEqual(
      expect.arrayContaining(['getLiveness', 'getMe', 'createOrganisation', 'listMembers', 'logout']),
    );
  });

  it('answers 422 naming the parameter, and stores nothing', async () => {
    const operations = await registeredOperations();
    const before = await rowCounts();
    const expected = { path: 'query.bogus', message: 'unknown query parameter' };
    const wrong: { route: string; status: number; type: unknown; errors: unknown }[] = [];
    for (const operation of operations) {
      const path = `${concretePath(operation.path)}?bogus=1`;
      let test = request(api.service.app)[operation.method as 'get'](path).set(bearer);
      const body = validBodies[operation.operationId];
      if (operation.hasBody) test = test.send(body ? body() : {});
      const res = await test;
      const errors = (res.body as { errors?: unknown[] }).errors ?? [];
      // With a valid body (or none), the unknown parameter is the only complaint.
      const named =
        !operation.hasBody || body
          ? JSON.stringify(errors) === JSON.stringify([expected])
          : errors.some((e) => JSON.stringify(e) === JSON.stringify(expected));
      if (res.status !== 422 || !/^application\/problem\+json/.test(res.type) || !named) {
        wrong.push({
          route: `${operation.method} ${operation.path}`,
          status: res.status,
          type: res.type,
          errors,
        });
      }
    }
    expect(wrong).toEqual([]);
    expect(await rowCounts()).toEqual(before);
    // Logout was refused too: the session still works.
    await request(api.service.app).get('/api/v1/me').set(bearer).expect(200);
  });

  it('refuses an unknown parameter next to known ones, and still accepts the known ones alone', async () => {
    const members = `/api/v1/organisations/${organisationId}/members`;
    const bad = await request(api.service.app).get(`${members}?limit=5&bogus=1`).set(bearer).expect(422);
    expect(bad.body.errors).toEqual([{ path: 'query.bogus', message: 'unknown query parameter' }]);
    const good = await request(api.service.app).get(`${members}?limit=5`).set(bearer).expect(200);
    expect(good.body.items.length).toBeGreaterThan(0);
  });

  it('creates no organisation for POST /organisations?bogus=1', async () => {
    await request(api.service.app)
      .post('/api/v1/organisations?bogus=1')
      .set(bearer)
      .send({ name: 'Should Not Exist' })
      .expect(422);
    const rows = await withAdmin(api.db.adminUrl, async (admin) =>
      admin.query("SELECT 1 FROM iam.organisations WHERE name = 'Should Not Exist'"),
    );
    expect(rows.rowCount).toBe(0);
  });
});
