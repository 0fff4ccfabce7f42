import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';
import { createPeople, organisationWith, type TestUser } from './campaigns-fixtures.js';

let api: TestApi;
const http = () => request(api.service.app);

interface Tenant {
  org: string;
  owner: TestUser;
  campaignId: string;
  stepId: string;
  enrolmentId: string;
  messageId: string;
  promptId: string;
}

async function tenant(label: string): Promise<Tenant> {
  const email = `iso-${label}@example.test`;
  const { id: org, users } = await organisationWith(api, `Iso ${label}`, email);
  const owner = users[email]!;
  const [person] = await createPeople(api, org, 1);
  const campaignId = (
    await http()
      .post('/api/v1/campaigns')
      .set(owner.auth)
      .send({ name: `Secret ${label}` })
  ).body.id;
  const stepId = (await http().post(`/api/v1/campaigns/${campaignId}/steps`).set(owner.auth).send({})).body
    .id;
  await http()
    .post(`/api/v1/campaigns/${campaignId}/enrolments`)
    .set(owner.auth)
    .send({ people: [{ personId: person!.personId }] })
    .expect(200);
  const enrolmentId = (await http().get(`/api/v1/campaigns/${campaignId}/enrolments`).set(owner.auth)).body
    .items[0].id;
  const message = (
    await http()
      .post(`/api/v1/campaigns/${campaignId}/enrolments/${enrolmentId}/messages`)
      .set(owner.auth)
      .send({ subject: 'Hi', sentAt: new Date(Date.now() - 3_600_000).toISOString() })
      .expect(201)
  ).body;
  await http().get(message.pixel.path).set('User-Agent', 'Mozilla/5.0 (X11) Firefox/140.0').expect(200);
  const promptId = (await http().post('/api/v1/prompts').set(owner.auth).send({ name: 'P', body: 'B' })).body
    .id;
  return { org, owner, campaignId, stepId, enrolmentId, messageId: message.id, promptId };
}

let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  api = await startTestApi();
  [a, b] = [await tenant('a'), await tenant('b')];
  await api.service.pixelRecorder.flush();
});
afterAll(async () => {
  await api.close();
});

/** Every read and write of one tenant's resources, asked by another tenant's owner in their own organisation. */
function probes(
  victim: Tenant,
): { method: 'get' | 'post' | 'patch' | 'delete'; path: string; body?: object }[] {
  const c = `/api/v1/campaigns/${victim.campaignId}`;
  return [
    { method: 'get', path: c },
    { method: 'patch', path: c, body: { name: 'Stolen' } },
    { method: 'post', path: `${c}/status`, body: { status: 'running' } },
    { method: 'delete', path: c },
    { method: 'get', path: `${c}/steps` },
    { method: 'patch', path: `${c}/steps/${victim.stepId}`, body: { delayDays: 9 } },
    { method: 'get', path: `${c}/steps/${victim.stepId}/experiments` },
    { method: 'get', path: `${c}/enrolments` },
    { method: 'get', path: `${c}/enrolments/${victim.enrolmentId}` },
    { method: 'patch', path: `${c}/enrolments/${victim.enrolmentId}`, body: { state: 'paused' } },
    { method: 'get', path: `${c}/messages/${victim.messageId}` },
    { method: 'get', path: `${c}/stats` },
    { method: 'get', path: `/api/v1/prompts/${victim.promptId}` },
  ];
}

describe('another organisation sees none of the campaigns, steps, enrolments, messages, stats or audit rows', () => {
  it('answers 404 for every resource of the other tenant, under concurrency through pgBouncer, and changes nothing', async () => {
    const calls = [...probes(a).map((p) => ({ ...p, who: b })), ...probes(b).map((p) => ({ ...p, who: a }))];
    const results = await Promise.all(
      [...calls, ...calls, ...calls].map(async (call) => {
        let test = http()[call.method](call.path).set(call.who.owner.auth);
        if (call.body) test = test.send(call.body);
        const res = await test;
        return { call: `${call.method} ${call.path}`, status: res.status };
      }),
    );
    expect(results.filter((r) => r.status !== 404)).toEqual([]);
    for (const t of [a, b]) {
      const mine = await http().get(`/api/v1/campaigns/${t.campaignId}`).set(t.owner.auth).expect(200);
      expect(mine.body).toMatchObject({ status: 'draft', name: expect.stringMatching(/^Secret /) });
      const enrolment = await http()
        .get(`/api/v1/campaigns/${t.campaignId}/enrolments/${t.enrolmentId}`)
        .set(t.owner.auth)
        .expect(200);
      expect(enrolment.body.state).toBe('active');
      const stats = await http()
        .get(`/api/v1/campaigns/${t.campaignId}/stats?tz=UTC`)
        .set(t.owner.auth)
        .expect(200);
      expect(stats.body.totals.opens).toBe(1);
    }
  });

  it('lists only its own campaigns, prompts and audit entries, and refuses the other organisation as a scope', async () => {
    for (const [me, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const campaigns = await http().get('/api/v1/campaigns?limit=200').set(me.owner.auth).expect(200);
      expect(campaigns.body.items.map((c: { id: string }) => c.id)).toEqual([me.campaignId]);
      const prompts = await http().get('/api/v1/prompts').set(me.owner.auth).expect(200);
      expect(prompts.body.items.map((p: { id: string }) => p.id)).toEqual([me.promptId]);
      const audit = await http().get('/api/v1/audit?limit=200').set(me.owner.auth).expect(200);
      const rows = audit.body.items.map((e: { rowId: string }) => e.rowId);
      expect(rows).toContain(me.campaignId);
      for (const id of [other.campaignId, other.stepId, other.enrolmentId, other.messageId, other.org])
        expect(rows).not.toContain(id);
      await http()
        .get(`/api/v1/campaigns/${other.campaignId}`)
        .set(me.owner.auth)
        .set('X-Organisation-Id', other.org)
        .expect(403);
    }
  });
});
