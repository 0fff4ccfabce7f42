import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';
import { eventually } from '../support/eventually.js';
import { createOrganisation, type TestOrganisation } from '../support/organisation.js';
import {
  killAllProcesses,
  startApiProcess,
  startWorkerProcess,
  type AppProcess,
} from '../support/processes.js';

// SPEC §11: API instances keep no state of their own. Instance A runs in this process, instance B and the import
// worker are processes of their own; all three share one Redis (one key prefix) and one PostgreSQL (through the
// run's pgBouncer). Whatever one instance does to a session, the other honours on the very next request.

const RATE_LIMIT = 12;
let api: TestApi;
let b: AppProcess & { url: string };
let worker: AppProcess;
let admin: pg.Client;
let org: TestOrganisation;

const viaA = () => request(api.service.app);
const viaB = () => request(b.url);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  api = await startTestApi({
    WORKER_IN_PROCESS: 'false',
    WORKER_POLL_INTERVAL_MS: '50',
    RATE_LIMIT_DEFAULT_PER_WINDOW: String(RATE_LIMIT),
    RATE_LIMIT_IMPORTS_PER_WINDOW: '1000',
  });
  [b, worker] = await Promise.all([startApiProcess(api.environment), startWorkerProcess(api.environment)]);
  admin = new pg.Client({ connectionString: api.db.adminUrl });
  await admin.connect();
  org = await createOrganisation(api, 'scale');
}, 120_000);
afterAll(async () => {
  await Promise.all([b?.stop(), worker?.stop()]);
  await killAllProcesses();
  await admin?.end();
  await api?.close();
});

describe('two API instances and one worker on one Redis and one PostgreSQL', () => {
  it('a session created through one instance is the one the other uses', async () => {
    const token = api.token('roaming@example.test', { originJti: 'roaming-sign-in' });
    const created = await viaA()
      .post('/api/v1/organisations')
      .set(bearer(token))
      .send({ name: 'Roaming' })
      .expect(201);
    const chosen = await viaA()
      .put('/api/v1/me/active-organisation')
      .set(bearer(token))
      .send({ organisationId: created.body.id })
      .expect(200);
    expect(chosen.body.activeOrganisationId).toBe(created.body.id);
    // B reads the session A wrote (a session B built for itself would carry no active organisation).
    const seen = await viaB().get('/api/v1/me').set(bearer(token)).expect(200);
    expect(seen.body.activeOrganisationId).toBe(created.body.id);
    expect(seen.body.session.authenticatedAt).toBe(chosen.body.session.authenticatedAt);
    // And the other way round: B clears the choice, A sees it cleared.
    await viaB()
      .put('/api/v1/me/active-organisation')
      .set(bearer(token))
      .send({ organisationId: null })
      .expect(200);
    expect((await viaA().get('/api/v1/me').set(bearer(token)).expect(200)).body.activeOrganisationId).toBe(
      null,
    );
  });

  it('a logout through one instance is refused by the other on the very next request', async () => {
    const token = api.token(`scale-member-leaving@example.test`, { originJti: 'leaving-sign-in' });
    // Both instances have verified (and cached) this token and read its session.
    await viaA().get('/api/v1/me').set(bearer(token)).expect(200);
    await viaB().get('/api/v1/me').set(bearer(token)).expect(200);
    await viaB().post('/api/v1/auth/logout').set(bearer(token)).expect(204);
    const refused = await viaA().get('/api/v1/me').set(bearer(token)).expect(401);
    expect(refused.body.code).toBe('token_revoked');
    await viaB().get('/api/v1/me').set(bearer(token)).expect(401);
  });

  it('a membership removed through one instance is refused by the other on the very next request', async () => {
    const path = `/api/v1/organisations/${org.id}`;
    await viaB().get(path).set(org.as('member')).expect(200);
    await viaA()
      .delete(`/api/v1/organisations/${org.id}/members/${org.userId('member')}`)
      .set(org.as('owner'))
      .expect(204);
    const refused = await viaB().get(path).set(org.as('member')).expect(403);
    expect(refused.body.code).toBe('not_a_member');
    await viaA().get(path).set(org.as('member')).expect(403);
  });

  it('rate limits are one budget across both instances', async () => {
    const token = bearer(api.token('counted@example.test'));
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 2; i += 1) {
      statuses.push((await (i % 2 === 0 ? viaA() : viaB()).get('/api/v1/me').set(token)).status);
    }
    expect(statuses).toEqual([...Array<number>(RATE_LIMIT).fill(200), 429, 429]);
  });

  it('the one worker runs the jobs of imports started through either instance', async () => {
    const csv = [
      'Raison sociale,Domaine',
      ...Array.from({ length: 20 }, (_, i) => `Scale ${i},scale-${i}.fr`),
    ];
    const uploaded = await viaA()
      .post('/api/v1/imports')
      .set(org.as('admin'))
      .set('Content-Type', 'text/csv')
      .set('Content-Disposition', 'attachment; filename="scale.csv"')
      .send(Buffer.from(`${csv.join('\n')}\n`))
      .expect(201);
    const id: string = uploaded.body.id;
    await viaB()
      .put(`/api/v1/imports/${id}/mapping`)
      .set(org.as('admin'))
      .send({ mapping: { 'Raison sociale': 'company.name', Domaine: 'company.domain' } })
      .expect(200);
    const status = async () =>
      (await admin.query<{ status: string }>('SELECT status FROM crm.imports WHERE id = $1', [id])).rows[0]
        ?.status;
    await viaA().post(`/api/v1/imports/${id}/validate`).set(org.as('admin')).send({}).expect(202);
    await eventually(async () => expect(await status()).toBe('validated'), 30_000);
    await viaB().post(`/api/v1/imports/${id}/commit`).set(org.as('admin')).send({}).expect(202);
    await eventually(async () => expect(await status()).toBe('committed'), 30_000);
    for (const via of [viaA, viaB]) {
      const res = await via().get(`/api/v1/imports/${id}`).set(org.as('admin')).expect(200);
      expect(res.body).toMatchObject({ status: 'committed', counts: { created: 20 } });
    }
    expect(worker.child.exitCode).toBe(null);
  });
});
