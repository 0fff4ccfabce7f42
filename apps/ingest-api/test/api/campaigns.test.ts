import { withAdmin } from '@prospectflow/test-harness';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CAMPAIGN_STATUSES,
  CAMPAIGN_TRANSITIONS,
  ENROLMENT_STATES,
  ENROLMENT_TRANSITIONS,
  type CampaignStatus,
  type EnrolmentState,
} from '../../src/components/campaigns/transitions.js';
import { startTestApi, type TestApi } from '../support/app.js';
import { createPeople, organisationWith, type TestUser } from './campaigns-fixtures.js';

let api: TestApi;
let org: string;
let owner: TestUser;
let member: TestUser;
let viewer: TestUser;
let people: { personId: string; positionId: string }[];
let nextPerson = 0;
const http = () => request(api.service.app);
const takePeople = (n: number) => {
  const taken = people.slice(nextPerson, nextPerson + n);
  nextPerson += n;
  if (taken.length < n) throw new Error('fixture ran out of people');
  return taken;
};

async function countRows(sql: string, values: unknown[] = []): Promise<number> {
  return withAdmin(api.db.adminUrl, async (admin) => Number((await admin.query(sql, values)).rows[0]?.n));
}

async function newCampaign(name = 'Campaign'): Promise<string> {
  return (await http().post('/api/v1/campaigns').set(member.auth).send({ name }).expect(201)).body
    .id as string;
}

/** The shortest allowed path from draft to each status. */
const PATH_TO: Record<CampaignStatus, CampaignStatus[]> = {
  draft: [],
  running: ['running'],
  paused: ['running', 'paused'],
  archived: ['running', 'paused', 'archived'],
};

beforeAll(async () => {
  api = await startTestApi({ OUTREACH_ENROL_MAX_PER_CALL: '50' });
  const created = await organisationWith(api, 'Campaign Org', 'camp-owner@example.test', {
    'camp-member@example.test': 'member',
    'camp-viewer@example.test': 'viewer',
  });
  org = created.id;
  owner = created.users['camp-owner@example.test']!;
  member = created.users['camp-member@example.test']!;
  viewer = created.users['camp-viewer@example.test']!;
  people = await createPeople(api, org, 120);
});
afterAll(async () => {
  await api.close();
});

describe('campaigns', () => {
  it('creates, reads, lists (newest first, by status, paginated) and renames; viewers read only', async () => {
    const created = await http()
      .post('/api/v1/campaigns')
      .set(member.auth)
      .send({ name: '  Rentrée 2027  ', description: 'Cold outreach' })
      .expect(201);
    expect(created.body).toMatchObject({ name: 'Rentrée 2027', status: 'draft', createdBy: member.id });
    expect(created.headers['location']).toBe(`/api/v1/campaigns/${created.body.id}`);
    const second = await newCampaign('Second');

    await http().get(`/api/v1/campaigns/${created.body.id}`).set(viewer.auth).expect(200);
    const viewerWrite = await http()
      .post('/api/v1/campaigns')
      .set(viewer.auth)
      .send({ name: 'Nope' })
      .expect(403);
    expect(viewerWrite.body.code).toBe('insufficient_role');

    const page1 = await http().get('/api/v1/campaigns?limit=1').set(viewer.auth).expect(200);
    expect(page1.body.items.map((c: { id: string }) => c.id)).toEqual([second]);
    const page2 = await http()
      .get(`/api/v1/campaigns?limit=1&cursor=${page1.body.nextCursor}`)
      .set(viewer.auth)
      .expect(200);
    expect(page2.body.items.map((c: { id: string }) => c.id)).toEqual([created.body.id]);

    const renamed = await http()
      .patch(`/api/v1/campaigns/${created.body.id}`)
      .set(member.auth)
      .send({ name: 'Rentrée' })
      .expect(200);
    expect(renamed.body.name).toBe('Rentrée');
    await http()
      .patch(`/api/v1/campaigns/${created.body.id}`)
      .set(member.auth)
      .send({ status: 'running' })
      .expect(422);
    await http().patch(`/api/v1/campaigns/${created.body.id}`).set(member.auth).send({}).expect(422);
    await http().post('/api/v1/campaigns').set(member.auth).send({ name: '' }).expect(422);
    await http()
      .post('/api/v1/campaigns')
      .set(member.auth)
      .send({ name: 'x'.repeat(201) })
      .expect(422);
    await http().get('/api/v1/campaigns/not-a-uuid').set(member.auth).expect(422);

    await http()
      .post(`/api/v1/campaigns/${second}/status`)
      .set(member.auth)
      .send({ status: 'running' })
      .expect(200);
    const running = await http().get('/api/v1/campaigns?status=running').set(viewer.auth).expect(200);
    expect(running.body.items.map((c: { id: string }) => c.id)).toEqual([second]);
  });

  it('allows exactly draft → running ↔ paused → archived: every (from, to) pair', async () => {
    const wrong: string[] = [];
    for (const from of CAMPAIGN_STATUSES) {
      for (const to of CAMPAIGN_STATUSES) {
        const id = await newCampaign(`${from}->${to}`);
        for (const step of PATH_TO[from])
          await http()
            .post(`/api/v1/campaigns/${id}/status`)
            .set(member.auth)
            .send({ status: step })
            .expect(200);
        const res = await http().post(`/api/v1/campaigns/${id}/status`).set(member.auth).send({ status: to });
        const allowed = from === to || CAMPAIGN_TRANSITIONS[from].includes(to);
        const stored = (await http().get(`/api/v1/campaigns/${id}`).set(member.auth).expect(200)).body.status;
        if (allowed) {
          if (res.status !== 200 || stored !== to)
            wrong.push(`${from}->${to}: ${res.status}, stored ${stored}`);
        } else if (
          res.status !== 409 ||
          res.body.code !== 'invalid_transition' ||
          JSON.stringify(res.body.allowed) !== JSON.stringify(CAMPAIGN_TRANSITIONS[from]) ||
          stored !== from
        ) {
          wrong.push(`${from}->${to}: ${res.status} ${JSON.stringify(res.body)}, stored ${stored}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // The table the test holds is the one the API names: spelled out once more against the issue.
    expect(CAMPAIGN_TRANSITIONS).toEqual({
      draft: ['running'],
      running: ['paused'],
      paused: ['running', 'archived'],
      archived: [],
    });
  });

  it('deletes a campaign that has steps, enrolments, experiments, messages and opens (admin only)', async () => {
    const id = await newCampaign('To delete');
    const step = (await http().post(`/api/v1/campaigns/${id}/steps`).set(member.auth).send({}).expect(201))
      .body;
    const [a, b] = takePeople(2);
    await http()
      .post(`/api/v1/campaigns/${id}/enrolments`)
      .set(member.auth)
      .send({ people: [a, b] })
      .expect(200);
    const enrolment = (await http().get(`/api/v1/campaigns/${id}/enrolments`).set(member.auth).expect(200))
      .body.items[0];
    await http()
      .post(`/api/v1/campaigns/${id}/steps/${step.id}/experiments`)
      .set(member.auth)
      .send({
        name: 'Subject',
        variants: [
          { name: 'A', weight: 1 },
          { name: 'B', weight: 1 },
        ],
      })
      .expect(201);
    await http()
      .post(`/api/v1/campaigns/${id}/steps/${step.id}/assignments`)
      .set(member.auth)
      .send({ enrolmentIds: [enrolment.id] })
      .expect(200);
    const message = (
      await http()
        .post(`/api/v1/campaigns/${id}/enrolments/${enrolment.id}/messages`)
        .set(member.auth)
        .send({ subject: 'Hello', stepId: step.id, sentAt: new Date(Date.now() - 60_000).toISOString() })
        .expect(201)
    ).body;
    await http()
      .get(message.pixel.path)
      .set('User-Agent', 'Mozilla/5.0 (Macintosh) Firefox/140.0')
      .expect(200);
    await api.service.pixelRecorder.flush();
    expect(
      await countRows('SELECT count(*) AS n FROM tracking.campaign_open_buckets WHERE campaign_id = $1', [
        id,
      ]),
    ).toBe(1);

    await http().delete(`/api/v1/campaigns/${id}`).set(member.auth).expect(403);
    await http().delete(`/api/v1/campaigns/${id}`).set(owner.auth).expect(204);
    await http().get(`/api/v1/campaigns/${id}`).set(owner.auth).expect(404);
    await http().delete(`/api/v1/campaigns/${id}`).set(owner.auth).expect(404);
    for (const table of [
      'outreach.workflow_steps',
      'outreach.campaign_enrollments',
      'outreach.enrollment_state_changes',
      'tracking.campaign_open_buckets',
    ]) {
      expect(await countRows(`SELECT count(*) AS n FROM ${table} WHERE campaign_id = $1`, [id]), table).toBe(
        0,
      );
    }
    // The sent message stays (it was sent), detached from the deleted enrolment; its pixel keeps counting.
    const kept = await withAdmin(
      api.db.adminUrl,
      async (admin) =>
        (
          await admin.query(
            `SELECT m.organisation_id, m.enrollment_id, m.task_id, p.campaign_id, p.organisation_id AS pixel_org
             FROM outreach.messages m JOIN tracking.pixels p ON p.message_id = m.id WHERE m.id = $1`,
            [message.id],
          )
        ).rows[0],
    );
    expect(kept).toEqual({
      organisation_id: org,
      enrollment_id: null,
      task_id: null,
      campaign_id: null,
      pixel_org: org,
    });
  });
});

describe('workflow steps, prompts and experiments', () => {
  it('keeps steps in order through inserts, moves and deletes', async () => {
    const id = await newCampaign('Steps');
    const add = (body: object) => http().post(`/api/v1/campaigns/${id}/steps`).set(member.auth).send(body);
    const first = (await add({ subjectTemplate: 'First', delayDays: 0 }).expect(201)).body;
    const second = (await add({ subjectTemplate: 'Second', delayDays: 3 }).expect(201)).body;
    const zeroth = (await add({ subjectTemplate: 'Zeroth', stepOrder: 1 }).expect(201)).body;
    await add({ stepOrder: 5 }).expect(422);
    await add({ channel: 'sms' }).expect(422);
    await add({ delayDays: 400 }).expect(422);
    const order = async () =>
      (await http().get(`/api/v1/campaigns/${id}/steps`).set(viewer.auth).expect(200)).body.items.map(
        (s: { subjectTemplate: string; stepOrder: number }) => `${s.stepOrder}:${s.subjectTemplate}`,
      );
    expect(await order()).toEqual(['1:Zeroth', '2:First', '3:Second']);
    await http()
      .patch(`/api/v1/campaigns/${id}/steps/${zeroth.id}`)
      .set(member.auth)
      .send({ stepOrder: 3 })
      .expect(200);
    expect(await order()).toEqual(['1:First', '2:Second', '3:Zeroth']);
    await http().delete(`/api/v1/campaigns/${id}/steps/${first.id}`).set(member.auth).expect(403);
    await http().delete(`/api/v1/campaigns/${id}/steps/${first.id}`).set(owner.auth).expect(204);
    expect(await order()).toEqual(['1:Second', '2:Zeroth']);
    expect(second.channel).toBe('email');
  });

  it('keeps every version of a prompt; a step can pin one', async () => {
    const prompt = (
      await http()
        .post('/api/v1/prompts')
        .set(member.auth)
        .send({ name: 'Intro', body: 'Say hello' })
        .expect(201)
    ).body;
    expect(prompt).toMatchObject({ currentVersion: 1, body: 'Say hello' });
    const v2 = (
      await http()
        .post(`/api/v1/prompts/${prompt.id}/versions`)
        .set(member.auth)
        .send({ body: 'Say bonjour' })
        .expect(201)
    ).body;
    expect(v2.currentVersion).toBe(2);
    expect(v2.versions.map((v: { version: number; body: string }) => [v.version, v.body])).toEqual([
      [1, 'Say hello'],
      [2, 'Say bonjour'],
    ]);
    const id = await newCampaign('Prompted');
    const step = (
      await http()
        .post(`/api/v1/campaigns/${id}/steps`)
        .set(member.auth)
        .send({ promptId: prompt.id, promptVersion: 1 })
        .expect(201)
    ).body;
    expect(step).toMatchObject({ promptId: prompt.id, promptVersion: 1 });
    const bad = await http()
      .post(`/api/v1/campaigns/${id}/steps`)
      .set(member.auth)
      .send({ promptId: prompt.id, promptVersion: 9 })
      .expect(422);
    expect(bad.body.errors[0]).toMatchObject({ path: 'body.promptVersion', code: 'unknown_prompt_version' });
  });
});

describe('enrolments', () => {
  it('enrols in bulk, idempotently: the second call creates nothing and says who already was', async () => {
    const id = await newCampaign('Enrol');
    const batch = takePeople(3);
    const first = await http()
      .post(`/api/v1/campaigns/${id}/enrolments`)
      .set(member.auth)
      .send({ people: batch })
      .expect(200);
    expect(new Set(first.body.enrolled)).toEqual(new Set(batch.map((p) => p.personId)));
    expect(first.body.alreadyEnrolled).toEqual([]);
    const [extra] = takePeople(1);
    const again = await http()
      .post(`/api/v1/campaigns/${id}/enrolments`)
      .set(member.auth)
      .send({ people: [...batch.map((p) => ({ personId: p.personId })), { personId: extra!.personId }] })
      .expect(200);
    expect(again.body.enrolled).toEqual([extra!.personId]);
    expect(new Set(again.body.alreadyEnrolled)).toEqual(new Set(batch.map((p) => p.personId)));
    expect(
      await countRows('SELECT count(*) AS n FROM outreach.campaign_enrollments WHERE campaign_id = $1', [id]),
    ).toBe(4);
  });

  it('refuses bad input with a clear 4xx and stores nothing', async () => {
    const id = await newCampaign('Refusals');
    const [p, q] = takePeople(2);
    const count = () =>
      countRows('SELECT count(*) AS n FROM outreach.campaign_enrollments WHERE campaign_id = $1', [id]);
    const unknown = await http()
      .post(`/api/v1/campaigns/${id}/enrolments`)
      .set(member.auth)
      .send({ people: [p, { personId: '00000000-0000-4000-8000-000000000001' }] })
      .expect(422);
    expect(unknown.body.errors).toEqual([
      { path: 'people.1.personId', message: 'no such person', code: 'unknown_person' },
    ]);
    const wrongPosition = await http()
      .post(`/api/v1/campaigns/${id}/enrolments`)
      .set(member.auth)
      .send({ people: [{ personId: p!.personId, positionId: q!.positionId }] })
      .expect(422);
    expect(wrongPosition.body.errors[0].code).toBe('unknown_position');
    await http()
      .post(`/api/v1/campaigns/${id}/enrolments`)
      .set(member.auth)
      .send({ people: [p, p] })
      .expect(422);
    await http().post(`/api/v1/campaigns/${id}/enrolments`).set(member.auth).send({ people: [] }).expect(422);
    const tooMany = await http()
      .post(`/api/v1/campaigns/${id}/enrolments`)
      .set(member.auth)
      .send({ people: people.slice(0, 51).map((x) => ({ personId: x.personId })) })
      .expect(413);
    expect(tooMany.body.code).toBe('too_many_people');
    await http()
      .post(`/api/v1/campaigns/00000000-0000-4000-8000-000000000002/enrolments`)
      .set(member.auth)
      .send({ people: [p] })
      .expect(404);
    await http()
      .post(`/api/v1/campaigns/${id}/enrolments`)
      .set(viewer.auth)
      .send({ people: [p] })
      .expect(403);
    expect(await count()).toBe(0);

    const archived = await newCampaign('Archived');
    for (const status of PATH_TO.archived)
      await http().post(`/api/v1/campaigns/${archived}/status`).set(member.auth).send({ status }).expect(200);
    const closed = await http()
      .post(`/api/v1/campaigns/${archived}/enrolments`)
      .set(member.auth)
      .send({ people: [p] })
      .expect(409);
    expect(closed.body.code).toBe('campaign_archived');
  });

  it('moves enrolment states along the table: every (from, to) pair', async () => {
    const id = await newCampaign('States');
    const wrong: string[] = [];
    for (const from of ENROLMENT_STATES) {
      for (const to of ENROLMENT_STATES) {
        const [person] = takePeople(1);
        await http()
          .post(`/api/v1/campaigns/${id}/enrolments`)
          .set(member.auth)
          .send({ people: [{ personId: person!.personId }] })
          .expect(200);
        const list = await http()
          .get(`/api/v1/campaigns/${id}/enrolments?limit=200`)
          .set(member.auth)
          .expect(200);
        const enrolment = list.body.items.find((e: { personId: string }) => e.personId === person!.personId);
        const url = `/api/v1/campaigns/${id}/enrolments/${enrolment.id}`;
        if (from !== 'active') await http().patch(url).set(member.auth).send({ state: from }).expect(200);
        const res = await http().patch(url).set(member.auth).send({ state: to });
        const stored = (await http().get(url).set(member.auth).expect(200)).body.state as EnrolmentState;
        const allowed = from === to || ENROLMENT_TRANSITIONS[from].includes(to);
        if (allowed) {
          if (res.status !== 200 || stored !== to)
            wrong.push(`${from}->${to}: ${res.status}, stored ${stored}`);
        } else if (
          res.status !== 409 ||
          res.body.code !== 'invalid_transition' ||
          JSON.stringify(res.body.allowed) !== JSON.stringify(ENROLMENT_TRANSITIONS[from]) ||
          stored !== from
        ) {
          wrong.push(`${from}->${to}: ${res.status} ${JSON.stringify(res.body)}, stored ${stored}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('messages', () => {
  it('creates an outbound message with a pixel whose token carries 128 random bits, unique per message', async () => {
    const id = await newCampaign('Messages');
    const pair = takePeople(2);
    await http()
      .post(`/api/v1/campaigns/${id}/enrolments`)
      .set(member.auth)
      .send({ people: pair })
      .expect(200);
    const enrolments = (await http().get(`/api/v1/campaigns/${id}/enrolments`).set(member.auth).expect(200))
      .body.items as { id: string }[];
    const tokens: string[] = [];
    for (const enrolment of enrolments) {
      const message = (
        await http()
          .post(`/api/v1/campaigns/${id}/enrolments/${enrolment.id}/messages`)
          .set(member.auth)
          .send({ subject: 'Bonjour', toAddress: 'Someone@Example.test' })
          .expect(201)
      ).body;
      expect(message).toMatchObject({ status: 'queued', toAddress: 'someone@example.test', opens: null });
      expect(message.pixel.token).toMatch(/^[0-9a-f]{64}$/);
      expect(message.pixel.token.slice(0, 32)).toBe(org.replace(/-/g, ''));
      expect(message.pixel.path).toBe(`/t/${message.pixel.token}.gif`);
      tokens.push(message.pixel.token.slice(32));
      const read = await http()
        .get(`/api/v1/campaigns/${id}/messages/${message.id}`)
        .set(viewer.auth)
        .expect(200);
      expect(read.body.pixel.token).toBe(message.pixel.token);
    }
    expect(new Set(tokens).size).toBe(2);
    await http()
      .post(`/api/v1/campaigns/${id}/enrolments/${enrolments[0]!.id}/messages`)
      .set(member.auth)
      .send({ subject: 'x', stepId: '00000000-0000-4000-8000-000000000003' })
      .expect(422);
  });
});
