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

// The undo of a commit: its progress.

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
