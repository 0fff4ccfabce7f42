import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/config.js';
import { createLogger } from '../../src/platform/logger/logger.js';
import { buildWorker, type Worker } from '../../src/worker.js';
import { startTestApi, type TestApi } from '../support/app.js';
import { runImportJob, uploadFile, waitForImport } from '../support/imports.js';
import { createOrganisation, type TestOrganisation } from '../support/organisation.js';
import { sirenOf } from '../support/siren.js';

// The undo of a commit: its progress, and the campaign enrolments the commit made.

let api: TestApi;
let admin: pg.Client;
let worker: Worker;
/** What GET /imports/:id said each time the worker reported progress on a revert (the job waits meanwhile). */
const seenDuringRevert = new Map<string, { state: string; rowsDone: number; rowsTotal: number }[]>();

const http = () => request(api.service.app);

interface Progress {
  job: string;
  state: string;
  rowsDone: number;
  rowsTotal: number;
}

async function commitFile(
  org: TestOrganisation,
  body: Buffer,
  mapping: Record<string, string>,
  campaignId: string | null = null,
) {
  const uploaded = await uploadFile(api, org, body).expect(201);
  const id: string = uploaded.body.id;
  await http().put(`/api/v1/imports/${id}/mapping`).set(org.as('member')).send({ mapping }).expect(200);
  expect((await runImportJob(api, org, id, 'validate', { campaignId })).status).toBe('validated');
  const committed = await runImportJob(api, org, id, 'commit', { campaignId });
  expect(committed.status).toBe('committed');
  return { id, committed };
}

async function revert(org: TestOrganisation, id: string) {
  await http().post(`/api/v1/imports/${id}/revert`).set(org.as('admin')).expect(202);
  const reverted = await waitForImport(api, org, id, (b) => b.status === 'reverted' || b.status === 'failed');
  expect(reverted.status).toBe('reverted');
  return reverted;
}

beforeAll(async () => {
  api = await startTestApi({ WORKER_IN_PROCESS: 'false', WORKER_POLL_INTERVAL_MS: '20' });
  admin = new pg.Client({ connectionString: api.db.adminUrl });
  await admin.connect();
  worker = buildWorker(loadConfig({ ...api.environment }), createLogger({ level: 'silent' }), {
    onProgress: async (job) => {
      if (job.kind !== 'revert') return;
      const org = orgs.get(job.organisationId);
      if (!org) return;
      const res = await http().get(`/api/v1/imports/${job.id}`).set(org.as('viewer')).expect(200);
      const progress = res.body.progress as Progress;
      const seen = seenDuringRevert.get(job.id) ?? [];
      seen.push({ state: progress.state, rowsDone: progress.rowsDone, rowsTotal: progress.rowsTotal });
      seenDuringRevert.set(job.id, seen);
    },
  });
  worker.runner.start();
});
afterAll(async () => {
  await worker.close();
  await admin.end();
  await api.close();
});

const orgs = new Map<string, TestOrganisation>();
async function organisation(label: string): Promise<TestOrganisation> {
  const org = await createOrganisation(api, label);
  orgs.set(org.id, org);
  return org;
}

const COMPANIES = { SIREN: 'company.siren', 'Raison sociale': 'company.name' };
const companiesFile = (count: number, from: number) =>
  Buffer.from(
    `SIREN,Raison sociale\n${Array.from({ length: count }, (_, i) => `${sirenOf(from + i)},Société ${i}`).join('\n')}\n`,
  );

describe('the progress of an undo', () => {
  it('ends like the commit it undoes: every row done', async () => {
    const org = await organisation('revert-progress');
    const { id, committed } = await commitFile(org, companiesFile(3, 200_000), COMPANIES);
    const commitProgress = committed['progress'] as Progress;
    expect(commitProgress).toMatchObject({ job: 'commit', state: 'done', rowsDone: 3, rowsTotal: 3 });

    const reverted = await revert(org, id);
    expect(reverted['progress']).toMatchObject({
      job: 'revert',
      state: 'done',
      rowsDone: commitProgress.rowsTotal,
      rowsTotal: commitProgress.rowsTotal,
    });
  });

  it('moves while an undo of several chunks runs', async () => {
    const org = await organisation('revert-chunks');
    // Chunks are 5,000 records: 6,000 companies are undone in two.
    const { id } = await commitFile(org, companiesFile(6000, 300_000), COMPANIES);
    const reverted = await revert(org, id);
    expect(reverted['progress']).toMatchObject({ rowsDone: 6000, rowsTotal: 6000 });

    const seen = seenDuringRevert.get(id) ?? [];
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const step of seen) expect(step).toMatchObject({ state: 'running', rowsTotal: 6000 });
    const done = seen.map((step) => step.rowsDone);
    expect(done[0]).toBeGreaterThan(0);
    expect(done[0]).toBeLessThan(6000);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(6000);
  }, 60_000);
});

describe('an undo and the campaign enrolments of the commit', () => {
  it('removes the enrolments the import made, and only those', async () => {
    const org = await organisation('revert-enrol');
    const person = async (label: string) => ({
      company: { domain: 'avant.fr', name: 'Avant' },
      person: { firstName: label },
      position: { email: `${label.toLowerCase()}@avant.fr` },
    });
    const ingested = await http()
      .post('/api/v1/ingest')
      .set(org.as('member'))
      .send({ records: await Promise.all(['Before', 'Existing', 'Messaged', 'Paused'].map(person)) })
      .expect(200);
    const [before, existing, messaged, paused] = ingested.body.results.map(
      (r: { person: { id: string } }) => r.person.id,
    ) as string[];
    const campaign = (
      await http().post('/api/v1/campaigns').set(org.as('member')).send({ name: 'Hiver' }).expect(201)
    ).body.id as string;
    await http()
      .post(`/api/v1/campaigns/${campaign}/enrolments`)
      .set(org.as('member'))
      .send({ people: [{ personId: before }] })
      .expect(200);

    const file = Buffer.from(
      [
        'E-mail,Prénom,Domaine,Entreprise',
        'before@avant.fr,Before,avant.fr,Avant',
        'existing@avant.fr,Existing,avant.fr,Avant',
        'messaged@avant.fr,Messaged,avant.fr,Avant',
        'paused@avant.fr,Paused,avant.fr,Avant',
        'nouveau@nouveau.fr,Nouveau,nouveau.fr,Nouveau',
      ].join('\n') + '\n',
    );
    const { id, committed } = await commitFile(
      org,
      file,
      {
        'E-mail': 'position.email',
        Prénom: 'person.firstName',
        Domaine: 'company.domain',
        Entreprise: 'company.name',
      },
      campaign,
    );
    expect(committed.counts).toMatchObject({ created: 1, unchanged: 4, enrolled: 4 });

    const enrolments = async () =>
      Object.fromEntries(
        (
          await admin.query<{ first_name: string; id: string }>(
            `SELECT p.first_name, e.id FROM outreach.campaign_enrollments e
               JOIN crm.people p ON p.id = e.person_id
              WHERE e.organisation_id = $1 AND e.campaign_id = $2`,
            [org.id, campaign],
          )
        ).rows.map((row) => [row.first_name, row.id]),
      );
    const enrolled = await enrolments();
    expect(Object.keys(enrolled).sort()).toEqual(['Before', 'Existing', 'Messaged', 'Nouveau', 'Paused']);
    // Since the commit: a message went out to one of the people it enrolled, another was paused.
    await admin.query(
      `INSERT INTO outreach.messages (organisation_id, enrollment_id, direction, status, subject, sent_at)
       VALUES ($1, $2, 'outbound', 'sent', 'Bonjour', now())`,
      [org.id, enrolled['Messaged']],
    );
    await admin.query(`UPDATE outreach.campaign_enrollments SET state = 'paused' WHERE id = $1`, [
      enrolled['Paused'],
    ]);

    const reverted = await revert(org, id);
    // Nouveau's record went with the undo, and its enrolment with it; Existing was enrolled by the import only.
    expect(Object.keys(await enrolments()).sort()).toEqual(['Before', 'Messaged', 'Paused']);
    expect(reverted['revertReport']).toMatchObject({
      deleted: { companies: 1, people: 1, positions: 1, campaign_enrollments: 2 },
      conflictCount: 2,
    });
    const conflicts = (reverted['revertReport'] as { conflicts: unknown[] }).conflicts;
    expect(conflicts).toEqual(
      expect.arrayContaining([
        { table: 'campaign_enrollments', id: enrolled['Messaged'], field: null, reason: 'still_referenced' },
        { table: 'campaign_enrollments', id: enrolled['Paused'], field: null, reason: 'changed_since' },
      ]),
    );
    const stillThere = await admin.query(
      'SELECT count(*)::int AS n FROM crm.people WHERE organisation_id = $1 AND id = ANY($2::uuid[])',
      [org.id, [before, existing, messaged, paused]],
    );
    expect(stillThere.rows[0].n).toBe(4);
  }, 60_000);

  it('keeps a person the import created while an enrolment that stays refers to them', async () => {
    const org = await organisation('revert-enrol-created');
    const campaign = (
      await http().post('/api/v1/campaigns').set(org.as('member')).send({ name: 'Printemps' }).expect(201)
    ).body.id as string;
    const { id, committed } = await commitFile(
      org,
      Buffer.from('E-mail,Prénom,Domaine,Entreprise\nneuve@neuve.fr,Neuve,neuve.fr,Neuve\n'),
      {
        'E-mail': 'position.email',
        Prénom: 'person.firstName',
        Domaine: 'company.domain',
        Entreprise: 'company.name',
      },
      campaign,
    );
    const enrolment = (
      await admin.query<{ id: string; person_id: string; position_id: string }>(
        'SELECT id, person_id, position_id FROM outreach.campaign_enrollments WHERE campaign_id = $1',
        [campaign],
      )
    ).rows[0];
    expect(committed.counts).toMatchObject({ created: 1, enrolled: 1 });
    expect(enrolment).toBeDefined();
    await admin.query(
      `INSERT INTO outreach.messages (organisation_id, enrollment_id, direction, status, subject, sent_at)
       VALUES ($1, $2, 'outbound', 'sent', 'Bonjour', now())`,
      [org.id, enrolment?.id],
    );

    const reverted = await revert(org, id);
    expect(reverted['revertReport']).toMatchObject({
      deleted: { companies: 0, people: 0, positions: 0, campaign_enrollments: 0 },
    });
    expect((reverted['revertReport'] as { conflicts: unknown[] }).conflicts).toEqual(
      expect.arrayContaining([
        { table: 'campaign_enrollments', id: enrolment?.id, field: null, reason: 'still_referenced' },
        { table: 'positions', id: enrolment?.position_id, field: null, reason: 'still_referenced' },
        { table: 'people', id: enrolment?.person_id, field: null, reason: 'still_referenced' },
      ]),
    );
    const kept = await admin.query(
      'SELECT person_id, position_id FROM outreach.campaign_enrollments WHERE id = $1',
      [enrolment?.id],
    );
    expect(kept.rows).toEqual([{ person_id: enrolment?.person_id, position_id: enrolment?.position_id }]);
  }, 60_000);
});
