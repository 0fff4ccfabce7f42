// Where an import's validation and commit spend their time, statement by statement: the file is uploaded to
// the API (a child process, as in bench/import.ts), then validated and committed by a worker built IN THIS
// process (src/worker.ts's buildWorker) whose Sql is wrapped to time every statement, grouped by its text.
// With --explain, the statements of one chosen chunk are also run once under EXPLAIN (ANALYZE, BUFFERS) inside
// a savepoint that is rolled back (triggers' times included). Run under `node --cpu-prof` for a CPU profile of
// the worker side. Not a benchmark of the production shape (the worker shares this process with the timing).
// Run: pnpm --filter @prospectflow/ingest-api exec tsx bench/import-profile.ts [-- --rows N --explain]
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/platform/config/config.js';
import { TransactionSql } from '../src/platform/db/sql.js';
import { createLogger } from '../src/platform/logger/logger.js';
import { buildWorker } from '../src/worker.js';
import { frenchImportCsv } from './import-data.js';
import { createOrganisation, startBenchApi } from './lib/api.js';
import { describeMachine } from './lib/machine.js';
import { startBenchServices } from './lib/services.js';
import { fixed, table } from './lib/stats.js';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    rows: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '42' },
    explain: { type: 'boolean', default: false },
    /** Which occurrence of a statement is explained (a later chunk sees a fuller CRM). */
    'explain-at': { type: 'string', default: '5' },
  },
});
const rows = Number(args.rows);
const explainAt = Number(args['explain-at']);
const say = (line = '') => process.stdout.write(`${line}\n`);

interface Timing {
  calls: number;
  ms: number;
  rows: number;
}
const timings = new Map<string, Timing>();
const seen = new Map<string, number>();
const plans: string[] = [];
let phase = 'upload';

/** A statement's group: its first words, numbers and temporary table names taken out. */
function keyOf(text: string): string {
  return text
    .replace(/pf_stage_[0-9a-f]+/g, 'pf_stage_*')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 90);
}

/** Statements that run once per job: explained the first time. */
const EXPLAINED_ONCE =
  /^(DELETE FROM crm\.import_rows r|INSERT INTO crm\.import_errors \(organisation_id, import_id, row_number, column_name, code, severity, message\)\s+SELECT \$1, \$2, d\.row_number|SELECT count\(\*\)::int AS n FROM crm\.import_records r)/;
const EXPLAINED =
  /^(INSERT INTO crm\.(companies|people|positions|import_changes|import_records|import_errors)|UPDATE crm\.(companies|people|positions) AS t|WITH k AS|SELECT p\.id, p\.person_id|SELECT row_number, record|SELECT row_number, raw)/;

type Query = TransactionSql['query'];
const originalQuery: Query = TransactionSql.prototype.query;
const originalCopy = TransactionSql.prototype.copyFrom;
TransactionSql.prototype.query = async function (this: TransactionSql, text, values) {
  const key = `${phase}: ${keyOf(text)}`;
  const occurrence = (seen.get(key) ?? 0) + 1;
  seen.set(key, occurrence);
  const trimmed = text.trim();
  const explain =
    (occurrence === explainAt && EXPLAINED.test(trimmed)) ||
    (occurrence === 1 && EXPLAINED_ONCE.test(trimmed));
  if (args.explain && explain) {
    await originalQuery.call(this, 'SAVEPOINT pf_explain');
    const plan = await originalQuery.call(this, `EXPLAIN (ANALYZE, BUFFERS, SETTINGS) ${text}`, values);
    await originalQuery.call(this, 'ROLLBACK TO SAVEPOINT pf_explain');
    plans.push(
      `-- ${key} (occurrence ${occurrence})\n${plan.rows.map((row) => String(Object.values(row)[0])).join('\n')}`,
    );
  }
  const started = performance.now();
  const result = await originalQuery.call(this, text, values);
  const entry = timings.get(key) ?? { calls: 0, ms: 0, rows: 0 };
  entry.calls += 1;
  entry.ms += performance.now() - started;
  entry.rows += result.rowCount;
  timings.set(key, entry);
  return result;
} as Query;
TransactionSql.prototype.copyFrom = async function (this: TransactionSql, statement, source) {
  const key = `${phase}: ${keyOf(statement)}`;
  const started = performance.now();
  const copied = await originalCopy.call(this, statement, source);
  const entry = timings.get(key) ?? { calls: 0, ms: 0, rows: 0 };
  entry.calls += 1;
  entry.ms += performance.now() - started;
  entry.rows += copied;
  timings.set(key, entry);
  return copied;
};

function uploadFile(url: string, headers: Record<string, string>, file: string) {
  return new Promise<{ id: string }>((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 201) reject(new Error(`upload ${response.statusCode}: ${text}`));
        else resolve(JSON.parse(text) as { id: string });
      });
    });
    request.on('error', reject);
    pipeline(createReadStream(file), request).catch(reject);
  });
}

const services = await startBenchServices();
const dir = await mkdtemp(path.join(os.tmpdir(), 'pf-bench-import-profile-'));
const db = await services.createDatabase();
const environment = {
  IMPORT_MAX_BYTES: String(8 * 1024 ** 3),
  RATE_LIMIT_IMPORTS_PER_WINDOW: String(1_000_000_000),
};
const api = await startBenchApi(services, db, { environment });
const config = loadConfig({
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  DATABASE_URL: db.appUrl,
  REDIS_URL: services.redisUrl,
  COGNITO_USER_POOL_ID: 'eu-west-3_BenchPool1',
  COGNITO_CLIENT_ID: 'bench-client',
  WORKER_POLL_INTERVAL_MS: '50',
});
const worker = buildWorker(config, createLogger({ level: 'warn' }));
try {
  say(await describeMachine(services));
  const file = path.join(dir, 'prospects.csv');
  await pipeline(frenchImportCsv(rows, Number(args.seed)), createWriteStream(file));
  const owner = 'owner@bench-import-profile.example';
  const organisationId = await createOrganisation(api, owner, 'Bench import profile');
  const headers = { Authorization: `Bearer ${api.token(owner)}`, 'X-Organisation-Id': organisationId };
  const t0 = performance.now();
  const { id } = await uploadFile(
    `${api.server.url}/api/v1/imports?mapping=auto&fileName=prospects.csv`,
    { ...headers, 'Content-Type': 'text/csv' },
    file,
  );
  say(`upload (API process, not instrumented): ${fixed((performance.now() - t0) / 1000, 1)} s`);
  worker.runner.start();
  for (const step of ['validate', 'commit'] as const) {
    phase = step;
    const started = performance.now();
    const cpu = process.cpuUsage();
    const response = await fetch(`${api.server.url}/api/v1/imports/${id}/${step}`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: '{}',
    });
    if (response.status !== 202) throw new Error(`${step} answered ${response.status}`);
    for (;;) {
      const view = (await (await fetch(`${api.server.url}/api/v1/imports/${id}`, { headers })).json()) as {
        status: string;
        error: string | null;
      };
      if (view.status === 'failed') throw new Error(`${step} failed: ${view.error}`);
      if (view.status === (step === 'validate' ? 'validated' : 'committed')) {
        say(`${step}: counts ${JSON.stringify((view as { counts?: unknown }).counts)}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const used = process.cpuUsage(cpu);
    say(
      `${step}: ${fixed((performance.now() - started) / 1000, 1)} s, this process's CPU ` +
        `${fixed((used.user + used.system) / 1e6, 1)} s`,
    );
  }
  for (const step of ['validate', 'commit']) {
    const entries = [...timings.entries()].filter(([key]) => key.startsWith(`${step}: `));
    const total = entries.reduce((sum, [, t]) => sum + t.ms, 0);
    say(`\n${step}: ${fixed(total / 1000, 1)} s waiting on PostgreSQL in all`);
    say(
      table([
        ['ms', 'share', 'calls', 'rows', 'statement'],
        ...entries
          .sort((a, b) => b[1].ms - a[1].ms)
          .slice(0, 25)
          .map(([key, t]) => [
            fixed(t.ms),
            `${fixed((100 * t.ms) / total)}%`,
            fixed(t.calls),
            fixed(t.rows),
            key.slice(step.length + 2),
          ]),
      ]),
    );
  }
  if (plans.length > 0) say(`\n${plans.join('\n\n')}`);
} finally {
  await worker.close();
  await api.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
  await services.close();
}
