import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/config.js';
import { createLogger } from '../../src/platform/logger/logger.js';
import { buildWorker, type Worker } from '../../src/worker.js';
import { startTestApi, type TestApi } from '../support/app.js';
import { eventually } from '../support/eventually.js';
import { uploadFile, waitForImport } from '../support/imports.js';
import { createOrganisation, type TestOrganisation } from '../support/organisation.js';

let api: TestApi;
let admin: pg.Client;
const children: ChildProcess[] = [];
const workers: Worker[] = [];
const APP_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** A SIREN with a valid Luhn key from an 8-digit stem. */
function siren(stem: number): string {
  const digits = String(stem).padStart(8, '0');
  for (let key = 0; key < 10; key += 1) {
    const candidate = `${digits}${key}`;
    let sum = 0;
    for (let i = 0; i < 9; i += 1) {
      let d = Number(candidate[8 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

function companiesCsv(rows: number, offset = 0): Buffer {
  const lines = ['SIREN,Raison sociale,Ville'];
  for (let i = 0; i < rows; i += 1) lines.push(`${siren(10_000_000 + offset + i)},Entreprise ${i},Lyon`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

const MAPPING = { SIREN: 'company.siren', 'Raison sociale': 'company.name', Ville: 'company.hqCity' };

function inProcessWorker(overrides: Record<string, string> = {}, retentionSeconds?: number): Worker {
  const config = loadConfig({ ...api.environment, ...overrides });
  const worker = buildWorker(
    config,
    createLogger({ level: 'silent' }),
    retentionSeconds === undefined ? {} : { retentionSeconds },
  );
  workers.push(worker);
  return worker;
}

/** A process of its own, so that it can be killed for real. */
function child(entry: 'src/worker.ts' | 'src/server.ts', environment: Record<string, string>): ChildProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: APP_DIR,
    env: { ...process.env, ...api.environment, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  return proc;
}

async function prepare(org: TestOrganisation, rows: number, offset: number): Promise<string> {
  const uploaded = await uploadFile(api, org, companiesCsv(rows, offset)).expect(201);
  const id: string = uploaded.body.id;
  await request(api.service.app)
    .put(`/api/v1/imports/${id}/mapping`)
    .set(org.as('member'))
    .send({ mapping: MAPPING })
    .expect(200);
  await request(api.service.app)
    .post(`/api/v1/imports/${id}/validate`)
    .set(org.as('member'))
    .send({})
    .expect(202);
  const validator = inProcessWorker();
  validator.runner.start();
  await waitForImport(api, org, id, (b) => b.status === 'validated');
  await validator.close();
  return id;
}

const progress = async (id: string) =>
  (await admin.query('SELECT status, rows_processed FROM crm.imports WHERE id = $1', [id])).rows[0] as {
    status: string;
    rows_processed: number;
  };
const companies = async (organisationId: string) =>
  Number(
    (await admin.query('SELECT count(*) FROM crm.companies WHERE organisation_id = $1', [organisationId]))
      .rows[0].count,
  );

beforeAll(async () => {
  api = await startTestApi({
    WORKER_IN_PROCESS: 'false',
    WORKER_LEASE_SECONDS: '2',
    WORKER_POLL_INTERVAL_MS: '20',
  });
  admin = new pg.Client({ connectionString: api.db.adminUrl });
  await admin.connect();
});
afterAll(async () => {
  for (const proc of children) proc.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.close().catch(() => undefined)));
  await admin.end();
  await api.close();
});

describe('crash safety of imports', () => {
  it(
    'a worker killed with SIGKILL during the commit leaves the CRM as before; the next one finishes it exactly once',
    { timeout: 240_000 },
    async () => {
      const ROWS = 10_000;
      const reference = await createOrganisation(api, 'fault-ref');
      const refId = await prepare(reference, ROWS, 0);
      await request(api.service.app)
        .post(`/api/v1/imports/${refId}/commit`)
        .set(reference.as('member'))
        .send({})
        .expect(202);
      const uninterrupted = inProcessWorker();
      uninterrupted.runner.start();
      const expected = await waitForImport(api, reference, refId, (b) => b.status === 'committed', 120_000);
      await uninterrupted.close();

      const org = await createOrganisation(api, 'fault-kill');
      const id = await prepare(org, ROWS, 0);
      await request(api.service.app)
        .post(`/api/v1/imports/${id}/commit`)
        .set(org.as('member'))
        .send({})
        .expect(202);
      const doomed = child('src/worker.ts', {});
      await eventually(
        async () => {
          const state = await progress(id);
          expect(state.status).toBe('committing');
          expect(state.rows_processed).toBeGreaterThan(0);
        },
        60_000,
        10,
      );
      expect((await progress(id)).rows_processed).toBeLessThan(ROWS);
      doomed.kill('SIGKILL');
      await new Promise((resolve) => doomed.once('exit', resolve));
      expect(await companies(org.id)).toBe(0);

      const next = inProcessWorker();
      next.runner.start();
      const finished = await waitForImport(api, org, id, (b) => b.status === 'committed', 120_000);
      await next.close();
      expect(finished.counts).toEqual(expected.counts);
      expect(await companies(org.id)).toBe(ROWS);
      const attempts = (await admin.query('SELECT job_attempts FROM crm.imports WHERE id = $1', [id]))
        .rows[0];
      expect(attempts.job_attempts).toBe(2);
    },
  );

  it(
    'a worker stopped with SIGTERM during the commit releases the job at once; the next one finishes it',
    { timeout: 180_000 },
    async () => {
      const org = await createOrganisation(api, 'fault-term');
      const id = await prepare(org, 10_000, 50_000);
      await request(api.service.app)
        .post(`/api/v1/imports/${id}/commit`)
        .set(org.as('member'))
        .send({})
        .expect(202);
      const stopping = child('src/worker.ts', { WORKER_LEASE_SECONDS: '3600' });
      await eventually(
        async () => expect((await progress(id)).rows_processed).toBeGreaterThan(0),
        60_000,
        10,
      );
      stopping.kill('SIGTERM');
      const code = await new Promise((resolve) => stopping.once('exit', resolve));
      expect(code).toBe(0);
      expect(await companies(org.id)).toBe(0);
      const released = (
        await admin.query('SELECT job_state, lease_owner FROM crm.imports WHERE id = $1', [id])
      ).rows[0];
      expect(released).toEqual({ job_state: 'queued', lease_owner: null });
      const next = inProcessWorker();
      next.runner.start();
      const finished = await waitForImport(api, org, id, (b) => b.status === 'committed', 120_000);
      await next.close();
      expect(finished.counts).toMatchObject({ created: 10_000 });
      expect(await companies(org.id)).toBe(10_000);
      // Exactly once: the stopped worker's claim and the next one's, and one finished run.
      const job = (await admin.query('SELECT job_attempts, lease_owner FROM crm.imports WHERE id = $1', [id]))
        .rows[0];
      expect(job).toMatchObject({ job_attempts: 2, lease_owner: null });
    },
  );

  it(
    'the API killed during an upload leaves no staged rows after the retention sweep',
    { timeout: 180_000 },
    async () => {
      const org = await createOrganisation(api, 'fault-upload');
      const server = child('src/server.ts', { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        server.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        server.once('exit', () => reject(new Error(`server exited: ${output}`)));
      });
      // Listening comes before the signing keys are loaded; requests before then get a 503.
      await eventually(
        async () => expect((await fetch(new URL('/health/ready', url))).status).toBe(200),
        60_000,
        100,
      );
      const target = new URL('/api/v1/imports', url);
      const upload = http.request(target, {
        method: 'POST',
        headers: { ...org.as('member'), 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' },
      });
      let answer = '';
      upload.on('response', (res) => res.on('data', (chunk: Buffer) => (answer += chunk.toString())));
      upload.on('error', () => undefined);
      upload.write(companiesCsv(6_000, 90_000));
      // The body never ends: the API is killed while it is still receiving the file.
      const importId = await eventually(
        async () => {
          const row = (
            await admin.query(
              `SELECT i.id, count(r.*)::int AS staged FROM crm.imports i
             LEFT JOIN crm.import_rows r ON r.import_id = i.id
            WHERE i.organisation_id = $1 GROUP BY i.id`,
              [org.id],
            )
          ).rows[0] as { id: string; staged: number } | undefined;
          expect(
            row?.staged ?? 0,
            `no staged rows yet; the API answered: ${answer || '(nothing)'}`,
          ).toBeGreaterThan(0);
          return row?.id as string;
        },
        90_000,
        20,
      );
      server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
      upload.destroy();
      expect((await progress(importId)).status).toBe('uploading');

      const sweeper = inProcessWorker({}, 0);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await sweeper.jobs.sweep();
      const staged = await admin.query(
        'SELECT count(*)::int AS n FROM crm.import_rows WHERE import_id = $1',
        [importId],
      );
      expect(staged.rows[0].n).toBe(0);
      expect((await progress(importId)).status).toBe('cancelled');
    },
  );
});
