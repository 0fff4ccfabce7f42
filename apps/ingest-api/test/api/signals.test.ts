import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';
import { eventually } from '../support/eventually.js';
import { createOrganisation, type TestOrganisation } from '../support/organisation.js';
import { killAllProcesses, startApiProcess } from '../support/processes.js';

// SIGTERM to a real API process (what a container runtime or a rolling deploy sends): it stops accepting
// connections, lets the requests in flight finish within SHUTDOWN_TIMEOUT_MS, closes its pools and exits 0.
// (SIGTERM and SIGKILL of the worker during a commit: imports-faults.test.ts.)

let api: TestApi;
let admin: pg.Client;
let org: TestOrganisation;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  text: string;
  /** The transport error when no answer came. */
  error?: string;
}

/** One request on a connection of its own (no keep-alive), so a refusal and an answer are never confused. */
function call(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: unknown },
): Promise<Answer> {
  return new Promise((resolve) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(url, {
      method: options.method,
      agent: false,
      headers: { ...options.headers, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ status: 0, text, error: `${error.code ?? error.message} mid-answer` }),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ status: 0, text: '', error: error.code ?? error.message }),
    );
    req.end(body);
  });
}

const companyDomains = async () =>
  (
    await admin.query<{ domain: string }>(
      "SELECT domain FROM crm.companies WHERE organisation_id = $1 AND domain LIKE 'drain-%' ORDER BY domain",
      [org.id],
    )
  ).rows.map((row) => row.domain);

beforeAll(async () => {
  api = await startTestApi({
    WORKER_IN_PROCESS: 'false',
    RATE_LIMIT_PUBLIC_PER_WINDOW: '1000000',
    RATE_LIMIT_DEFAULT_PER_WINDOW: '1000000',
    RATE_LIMIT_IMPORTS_PER_WINDOW: '1000000',
    SHUTDOWN_TIMEOUT_MS: '8000',
  });
  admin = new pg.Client({ connectionString: api.db.adminUrl });
  await admin.connect();
  org = await createOrganisation(api, 'signals');
});
afterAll(async () => {
  await killAllProcesses();
  await admin?.end();
  await api?.close();
});

describe('SIGTERM to the API', () => {
  it(
    'during a load: the requests in flight finish, new connections are refused, nothing is half done, exit 0',
    { timeout: 60_000 },
    async () => {
      const server = await startApiProcess(api.environment);
      const headers = org.as('member');
      // One request certain to be in flight at the signal: its row is locked until after the SIGTERM.
      const locker = new pg.Client({ connectionString: api.db.adminUrl });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM iam.organisations WHERE id = $1 FOR UPDATE', [org.id]);
      const held = call(`${server.url}/api/v1/organisations/${org.id}`, {
        method: 'PATCH',
        headers: org.as('owner'),
        body: { name: 'Drained Ltd' },
      });

      let signalled = false;
      const created: string[] = [];
      const answers: (Answer & { afterSignal: boolean })[] = [];
      let running = true;
      const loops = Array.from({ length: 6 }, async (_, worker) => {
        for (let n = 0; running; n += 1) {
          const afterSignal = signalled;
          const domain = `drain-${worker}-${n}.fr`;
          const answer =
            n % 3 === 2
              ? await call(`${server.url}/api/v1/companies?limit=20`, { method: 'GET', headers })
              : await call(`${server.url}/api/v1/ingest`, {
                  method: 'POST',
                  headers,
                  body: { records: [{ company: { name: `Drain ${worker} ${n}`, domain } }] },
                });
          answers.push({ ...answer, afterSignal });
          if (answer.status === 200 && n % 3 !== 2) created.push(domain);
          if (answer.error === 'ECONNREFUSED') await sleep(20);
        }
      });

      await sleep(600);
      signalled = true;
      server.child.kill('SIGTERM');
      await sleep(700);
      await locker.query('COMMIT');
      await locker.end();
      const [heldAnswer, code] = await Promise.all([held, server.exited]);
      running = false;
      await Promise.all(loops);

      expect(code, server.output().slice(-3000)).toBe(0);
      // The request in flight at the signal finished, and its change is stored.
      expect(heldAnswer.status, heldAnswer.error ?? heldAnswer.text).toBe(200);
      expect(JSON.parse(heldAnswer.text).name).toBe('Drained Ltd');
      // Every answer is a success; what got no answer was refused at connect, never cut off mid-answer.
      const failures = answers.filter((a) => a.status !== 0 && (a.status < 200 || a.status >= 300));
      expect(failures.slice(0, 3)).toEqual([]);
      const cut = answers.filter(
        (a) => a.status === 0 && !['ECONNREFUSED', 'ECONNRESET'].includes(a.error ?? ''),
      );
      expect(cut.slice(0, 3)).toEqual([]);
      expect(answers.filter((a) => a.status === 0 && !a.afterSignal)).toEqual([]);
      expect(answers.some((a) => a.afterSignal && a.error === 'ECONNREFUSED')).toBe(true);
      expect(created.length).toBeGreaterThan(0);
      // What was acknowledged is exactly what is stored: nothing applied without an answer.
      expect(await companyDomains()).toEqual([...created].sort());
    },
  );

  it(
    'during an upload: the upload in flight is received to its end and staged whole, then the process exits 0',
    { timeout: 60_000 },
    async () => {
      const server = await startApiProcess(api.environment);
      const ROWS = 20_000;
      const lines = Array.from({ length: ROWS }, (_, i) => `Téléversement ${i},upload-${i}.fr`);
      const upload = http.request(`${server.url}/api/v1/imports`, {
        method: 'POST',
        agent: false,
        headers: {
          ...org.as('member'),
          'Content-Type': 'text/csv',
          'Content-Disposition': 'attachment; filename="drain.csv"',
          'Transfer-Encoding': 'chunked',
        },
      });
      const answered = new Promise<Answer>((resolve) => {
        upload.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        upload.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ status: 0, text: '', error: error.code ?? error.message }),
        );
      });
      upload.write(`Raison sociale,Domaine\n${lines.slice(0, ROWS / 2).join('\n')}\n`);
      // The first half is being received and staged when the signal comes.
      const importId = await eventually(
        async () => {
          const row = (
            await admin.query<{ id: string; status: string; staged: number }>(
              `SELECT i.id, i.status, count(r.*)::int AS staged FROM crm.imports i
                 LEFT JOIN crm.import_rows r ON r.import_id = i.id
                WHERE i.organisation_id = $1 AND i.file_name = 'drain.csv' GROUP BY i.id, i.status`,
              [org.id],
            )
          ).rows[0];
          expect(row?.status).toBe('uploading');
          expect(row?.staged ?? 0).toBeGreaterThan(0);
          return row?.id as string;
        },
        30_000,
        20,
      );
      server.child.kill('SIGTERM');
      await sleep(300);
      // A new connection is refused meanwhile; the upload's own connection stays open.
      expect((await call(`${server.url}/health/live`, { method: 'GET', headers: {} })).error).toBe(
        'ECONNREFUSED',
      );
      upload.end(`${lines.slice(ROWS / 2).join('\n')}\n`);
      const [answer, code] = await Promise.all([answered, server.exited]);

      expect(answer.status, answer.error ?? answer.text).toBe(201);
      expect(JSON.parse(answer.text).id).toBe(importId);
      expect(code, server.output().slice(-3000)).toBe(0);
      const staged = await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM crm.import_rows WHERE import_id = $1',
        [importId],
      );
      expect(staged.rows[0]?.n).toBe(ROWS);
      const state = await admin.query<{ status: string }>('SELECT status FROM crm.imports WHERE id = $1', [
        importId,
      ]);
      expect(state.rows[0]?.status).not.toBe('uploading');
    },
  );
});
