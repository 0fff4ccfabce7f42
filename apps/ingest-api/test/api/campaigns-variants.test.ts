import { withAdmin } from '@prospectflow/test-harness';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';
import { createPeople, organisationWith, type TestUser } from './campaigns-fixtures.js';

let api: TestApi;
let member: TestUser;
let org: string;
const http = () => request(api.service.app);

beforeAll(async () => {
  api = await startTestApi({ OUTREACH_ENROL_MAX_PER_CALL: '10000', BODY_LIMIT_BYTES: '4194304' });
  const created = await organisationWith(api, 'Variant Org', 'variant-owner@example.test', {
    'variant-member@example.test': 'member',
  });
  org = created.id;
  member = created.users['variant-member@example.test']!;
});
afterAll(async () => {
  await api.close();
});

async function enrolmentIds(campaignId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await http()
      .get(`/api/v1/campaigns/${campaignId}/enrolments?limit=200${cursor ? `&cursor=${cursor}` : ''}`)
      .set(member.auth)
      .expect(200);
    ids.push(...page.body.items.map((e) => e.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  return ids;
}

describe('A/B variant assignment', () => {
  it('is stable per enrolment and splits 10,000 enrolments 70/30 within ±2 points', async () => {
    const campaignId = (
      await http().post('/api/v1/campaigns').set(member.auth).send({ name: 'AB' }).expect(201)
    ).body.id as string;
    const step = (
      await http().post(`/api/v1/campaigns/${campaignId}/steps`).set(member.auth).send({}).expect(201)
    ).body;
    const experiment = (
      await http()
        .post(`/api/v1/campaigns/${campaignId}/steps/${step.id}/experiments`)
        .set(member.auth)
        .send({
          name: 'Subject line',
          variants: [
            { name: 'A', weight: 70 },
            { name: 'B', weight: 30 },
          ],
        })
        .expect(201)
    ).body;
    expect(experiment.variants.map((v: { name: string; weight: number }) => [v.name, v.weight])).toEqual([
      ['A', 70],
      ['B', 30],
    ]);

    const people = await createPeople(api, org, 10_000);
    const enrolled = await http()
      .post(`/api/v1/campaigns/${campaignId}/enrolments`)
      .set(member.auth)
      .send({ people: people.map((p) => ({ personId: p.personId })) })
      .expect(200);
    expect(enrolled.body.enrolled).toHaveLength(10_000);
    const ids = await enrolmentIds(campaignId);
    expect(ids).toHaveLength(10_000);

    const assign = async (batch: string[]) =>
      (
        await http()
          .post(`/api/v1/campaigns/${campaignId}/steps/${step.id}/assignments`)
          .set(member.auth)
          .send({ enrolmentIds: batch })
          .expect(200)
      ).body.assignments as { enrolmentId: string; variantName: string }[];
    const first = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 2500) {
      for (const a of await assign(ids.slice(i, i + 2500))) first.set(a.enrolmentId, a.variantName);
    }
    expect(first.size).toBe(10_000);
    const share = [...first.values()].filter((name) => name === 'A').length / first.size;
    // Binomial standard deviation at n = 10,000, p = 0.7 is 0.46 points; ±2 points is over 4 of them.
    expect(share).toBeGreaterThan(0.68);
    expect(share).toBeLessThan(0.72);

    // Stable: asked again (in another order, in other batches), every enrolment keeps its variant.
    const sample = ids.slice(0, 500).reverse();
    const again = await assign(sample);
    expect(again.every((a) => first.get(a.enrolmentId) === a.variantName)).toBe(true);
    // Even after a new experiment starts on the step, those already assigned keep theirs.
    await http()
      .post(`/api/v1/campaigns/${campaignId}/steps/${step.id}/experiments`)
      .set(member.auth)
      .send({
        name: 'Second',
        variants: [
          { name: 'C', weight: 1 },
          { name: 'D', weight: 1 },
        ],
      })
      .expect(201);
    const afterNew = await assign(sample.slice(0, 50));
    expect(afterNew.every((a) => first.get(a.enrolmentId) === a.variantName)).toBe(true);
    // The draw itself is deterministic, not only its stored result: with the stored assignments gone (a restore
    // that lost them, say) and the first experiment running again, every enrolment gets the same variant back.
    await withAdmin(api.db.adminUrl, async (admin) => {
      await admin.query('DELETE FROM outreach.enrollment_step_variant_assignments WHERE step_id = $1', [
        step.id,
      ]);
      await admin.query(
        "UPDATE outreach.step_experiments SET status = CASE WHEN id = $1 THEN 'running' ELSE 'stopped' END WHERE step_id = $2",
        [experiment.id, step.id],
      );
    });
    const redrawn = await assign(sample);
    expect(redrawn).toHaveLength(sample.length);
    expect(redrawn.every((a) => first.get(a.enrolmentId) === a.variantName)).toBe(true);
    await http()
      .post(`/api/v1/campaigns/${campaignId}/steps/${step.id}/experiments`)
      .set(member.auth)
      .send({ name: 'One variant', variants: [{ name: 'A', weight: 1 }] })
      .expect(422);
  });
});
