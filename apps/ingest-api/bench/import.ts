// Import benchmark (issue 9 §7, SPEC §10): a seeded French Excel CSV (Windows-1252, ';', CRLF) of 1,000,000
// rows streamed from a generator to POST /api/v1/imports?mapping=auto&commit=true, then validated and committed
// by src/worker.ts in a process of its own, through pgBouncer, followed by polling GET /api/v1/imports/:id.
// Against it, in the same run: a raw COPY of the same clean rows into the same three CRM tables. Also a
// 100,000-row XLSX. Run: pnpm --filter @prospectflow/ingest-api bench:import [-- --help]
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { IMPORT_HEADERS, frenchImportCsv, writeImportWorkbook } from './import-data.js';
import { memoryOf, startWorkerProcess, type Memory } from './import-processes.js';
import { copyCleanRows, createRawOrganisation, prepareCleanRows, type CleanRows } from './import-raw.js';
import { createOrganisation, startBenchApi } from './lib/api.js';
import { backendPids, cpuMs } from './lib/cpu.js';
import { describeMachine } from './lib/machine.js';
import { figure, reportResult, type BenchFigure } from './lib/report.js';
import { startBenchServices, type BenchServices } from './lib/services.js';
import { fixed, table } from './lib/stats.js';

const HELP = `Usage: pnpm --filter @prospectflow/ingest-api bench:import [-- options]

  --rows N          rows of the main CSV run (default 1000000)
  --small-rows N    rows of a first CSV run, to compare peak RSS with (default 100000; 0 or >= --rows: none)
  --xlsx-rows N     rows of the XLSX run (default 100000; 0: none)
  --seed N          seed of the row generator (default 42)
  --mapping M       auto (the suggested mapping, default) or explicit (a header → field JSON in the query)
  --no-raw          skip the raw COPY baseline
  --heap-mb N       V8 old-space ceiling of the API and worker processes (default 192, what their start
                    scripts set: package.json "start" and "start:worker"; 0: Node's default, sized on the
                    machine's 24 GiB, which lets garbage pile up far past what an import needs)
  --cpu-prof DIR    write a CPU profile of the API and of the worker of each run to DIR/<run>/
                    (read one with: tsx bench/lib/profile-summary.ts FILE)
  --help            this text

Starts what the tests start (a migrated template, a private pgBouncer in transaction mode, real Redis); every
run gets a fresh database, a fresh API process (bench/lib/api.ts) and a fresh worker process (src/worker.ts),
so each peak RSS (VmHWM from /proc) is that run's own. The file is generated while it is sent (about 64 KiB at
a time); the XLSX is written once by exceljs's streaming writer to a temporary file, then streamed.
Prints upload, validate and commit seconds, end-to-end rows/s, CPU seconds of the API, the worker and the
PostgreSQL backends, peak RSS, the raw COPY rate of the same clean rows and the ratio, each with its target.
Exit code 0 whatever the figures; 1 when a run fails or stores other rows than the baseline.`;

const TARGET_ROWS_PER_SECOND = 50_000;
const TARGET_RATIO = 0.4;
const TARGET_PEAK_MB = 300;
/** Peak RSS that "does not grow with the file": the large run's peak within this of the small run's. */
const FLAT_MB = 30;

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    rows: { type: 'string', default: '1000000' },
    'small-rows': { type: 'string', default: '100000' },
    'xlsx-rows': { type: 'string', default: '100000' },
    seed: { type: 'string', default: '42' },
    mapping: { type: 'string', default: 'auto' },
    'no-raw': { type: 'boolean', default: false },
    'heap-mb': { type: 'string', default: '192' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const rows = Number(args.rows);
const heapMb = Number(args['heap-mb']);
// Inherited by the API and worker processes started below (and by nothing else this script runs).
if (heapMb > 0)
  process.env['NODE_OPTIONS'] = [process.env['NODE_OPTIONS'], `--max-old-space-size=${heapMb}`]
    .filter(Boolean)
    .join(' ');
const smallRows = Number(args['small-rows']);
const xlsxRows = Number(args['xlsx-rows']);
const seed = Number(args.seed);
if (!['auto', 'explicit'].includes(args.mapping)) throw new Error('--mapping is auto or explicit');
const say = (line = '') => process.stdout.write(`${line}\n`);
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The mapping a user would confirm for the file's French headers. */
const EXPLICIT_MAPPING: Record<(typeof IMPORT_HEADERS)[number], string> = {
  SIREN: 'company.siren',
  'SIRET siège': 'company.hqSiret',
  'Raison sociale': 'company.name',
  'Code NAF': 'company.nafCode',
  Adresse: 'company.hqAddress',
  'Code postal': 'company.hqPostalCode',
  Ville: 'company.hqCity',
  'Téléphone standard': 'company.mainPhone',
  'Site web': 'company.websiteUrl',
  Effectif: 'company.employeeRange',
  'Chiffre d’affaires': 'company.annualRevenueEur',
  Civilité: 'person.salutation',
  Prénom: 'person.firstName',
  Nom: 'person.lastName',
  Fonction: 'position.jobTitle',
  'E-mail': 'position.email',
  'Téléphone portable': 'person.mobilePhone',
  LinkedIn: 'person.linkedinUrl',
};

interface ImportView {
  id: string;
  status: string;
  rowsTotal: number;
  counts: Record<string, number>;
  progress: { job: string; state: string; rowsDone: number; startedAt: string | null } | null;
  error: string | null;
}

interface Cpu {
  api: number;
  worker: number;
  postgres: number;
}

interface ImportRun {
  label: string;
  rows: number;
  bytes: number;
  uploadS: number;
  /** From the upload's answer to the worker's claim of the validation (its polling backoff). */
  queueWaitS: number;
  validateS: number;
  commitS: number;
  totalS: number;
  counts: Record<string, number>;
  stored: { companies: number; people: number; positions: number };
  apiMemory: Memory;
  workerMemory: Memory;
  /** Peak RSS so far (VmHWM, MiB) of the API and the worker when each phase ended (start: before the upload). */
  peaks: Record<'start' | 'upload' | 'validate' | 'commit', { api: number; worker: number }>;
  /** CPU seconds by process over the whole import, and per phase. */
  cpu: Cpu;
  phaseCpu: { upload: Cpu; validate: Cpu; commit: Cpu };
}

/** Sends a body to the API as a raw stream; resolves with the status and the parsed answer. */
function upload(
  url: string,
  headers: Record<string, string>,
  body: Readable,
): Promise<{ status: number; json: unknown; bytes: number }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    const request = http.request(url, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: response.statusCode ?? 0, json: JSON.parse(text), bytes });
        } catch {
          reject(new Error(`upload answered ${response.statusCode}: ${text.slice(0, 300)}`));
        }
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    pipeline(body, request).catch(reject);
  });
}

async function storedRows(adminUrl: string, organisationId: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const count = async (table: string) =>
      Number(
        (
          await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE organisation_id = $1`, [
            organisationId,
          ])
        ).rows[0]?.n,
      );
    return {
      companies: await count('crm.companies'),
      people: await count('crm.people'),
      positions: await count('crm.positions'),
    };
  } finally {
    await client.end();
  }
}

async function runImport(
  services: BenchServices,
  label: string,
  rowCount: number,
  format: 'csv' | 'xlsx',
  source: () => Readable,
): Promise<ImportRun> {
  const db = await services.createDatabase();
  const profileDir =
    args['cpu-prof'] === undefined ? undefined : path.resolve(args['cpu-prof'], label.replace(/\W+/g, '-'));
  if (profileDir !== undefined) await mkdir(profileDir, { recursive: true });
  const environment = {
    IMPORT_MAX_BYTES: String(8 * 1024 ** 3),
    IMPORT_MAX_UNCOMPRESSED_BYTES: String(16 * 1024 ** 3),
    RATE_LIMIT_IMPORTS_PER_WINDOW: String(1_000_000_000),
  };
  const api = await startBenchApi(services, db, {
    environment,
    ...(profileDir === undefined ? {} : { cpuProfileDir: profileDir }),
  });
  const worker = startWorkerProcess(services, db, {
    environment,
    ...(profileDir === undefined ? {} : { cpuProfileDir: profileDir }),
  });
  try {
    const owner = 'owner@bench-import.example';
    const organisationId = await createOrganisation(api, owner, `Bench import ${label}`);
    const authorisation = {
      Authorization: `Bearer ${api.token(owner)}`,
      'X-Organisation-Id': organisationId,
    };
    const cpuNow = async (): Promise<Cpu> => {
      const backends = await backendPids(services.adminUrl, db.name, 'prospectflow_app');
      let postgres = 0;
      for (const pid of backends) postgres += await cpuMs(pid);
      return { api: await cpuMs(api.server.pid), worker: await cpuMs(worker.pid), postgres };
    };
    // Backends come and go with pgBouncer's pool: their CPU is counted from what each has used so far,
    // which is exact for a database created for this run (no backend of it existed before).
    const peakNow = async () => ({
      api: (await memoryOf(api.server.pid)).peakMb,
      worker: (await memoryOf(worker.pid)).peakMb,
    });
    // The worker has loaded its modules once it polls; give it the time to start before the clock does.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const peakStart = await peakNow();
    const cpuStart = await cpuNow();
    const mapping = args.mapping === 'auto' ? 'auto' : encodeURIComponent(JSON.stringify(EXPLICIT_MAPPING));
    const fileName = format === 'csv' ? 'prospects.csv' : 'prospects.xlsx';
    const started = performance.now();
    const answer = await upload(
      `${api.server.url}/api/v1/imports?mapping=${mapping}&commit=true&fileName=${fileName}`,
      { ...authorisation, 'Content-Type': format === 'csv' ? 'text/csv' : XLSX_TYPE },
      source(),
    );
    const uploaded = performance.now();
    const cpuUploaded = await cpuNow();
    const peakUploaded = await peakNow();
    if (answer.status !== 201)
      throw new Error(`upload answered ${answer.status}: ${JSON.stringify(answer.json).slice(0, 500)}`);
    const id = (answer.json as ImportView).id;
    let validated = 0;
    let cpuValidated: Cpu = cpuUploaded;
    let peakValidated = peakUploaded;
    let validateStartedAt: string | null = null;
    let view: ImportView;
    for (;;) {
      const response = await fetch(`${api.server.url}/api/v1/imports/${id}`, { headers: authorisation });
      view = (await response.json()) as ImportView;
      if (view.status === 'validating' && view.progress?.startedAt)
        validateStartedAt = view.progress.startedAt;
      if (validated === 0 && view.status !== 'validating') {
        validated = performance.now();
        cpuValidated = await cpuNow();
        peakValidated = await peakNow();
      }
      if (['committed', 'failed', 'cancelled', 'validated'].includes(view.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const finished = performance.now();
    const cpuEnd = await cpuNow();
    if (view.status !== 'committed') throw new Error(`import ${view.status}: ${view.error}`);
    const [apiMemory, workerMemory] = await Promise.all([memoryOf(api.server.pid), memoryOf(worker.pid)]);
    const minus = (a: Cpu, b: Cpu): Cpu => ({
      api: (a.api - b.api) / 1000,
      worker: (a.worker - b.worker) / 1000,
      postgres: (a.postgres - b.postgres) / 1000,
    });
    const uploadedAt = Date.now() - (performance.now() - uploaded);
    return {
      label,
      rows: rowCount,
      bytes: answer.bytes,
      uploadS: (uploaded - started) / 1000,
      queueWaitS:
        validateStartedAt === null ? 0 : Math.max(0, (Date.parse(validateStartedAt) - uploadedAt) / 1000),
      validateS: (validated - uploaded) / 1000,
      commitS: (finished - validated) / 1000,
      totalS: (finished - started) / 1000,
      counts: view.counts,
      stored: await storedRows(db.adminUrl, organisationId),
      apiMemory,
      workerMemory,
      peaks: {
        start: peakStart,
        upload: peakUploaded,
        validate: peakValidated,
        commit: { api: apiMemory.peakMb, worker: workerMemory.peakMb },
      },
      cpu: minus(cpuEnd, cpuStart),
      phaseCpu: {
        upload: minus(cpuUploaded, cpuStart),
        validate: minus(cpuValidated, cpuUploaded),
        commit: minus(cpuEnd, cpuValidated),
      },
    };
  } finally {
    await worker.stop();
    await api.close();
    await db.drop();
  }
}

async function runRaw(services: BenchServices, dir: string): Promise<{ clean: CleanRows; seconds: number }> {
  const db = await services.createDatabase();
  try {
    const organisationId = randomUUID();
    await createRawOrganisation(db, organisationId);
    const t0 = performance.now();
    const clean = await prepareCleanRows(dir, rows, seed, organisationId);
    say(
      `raw COPY: ${fixed(clean.positions)} clean rows (${fixed(clean.companies)} companies, ${fixed(clean.people)} ` +
        `people, ${fixed(clean.positions)} positions) prepared as COPY text in ${fixed((performance.now() - t0) / 1000, 1)} s (not timed)`,
    );
    const seconds = await copyCleanRows(db, clean);
    const stored = await storedRows(db.adminUrl, organisationId);
    if (stored.positions !== clean.positions) throw new Error(`raw COPY stored ${JSON.stringify(stored)}`);
    return { clean, seconds };
  } finally {
    await db.drop();
  }
}

const mb = (value: number) => `${fixed(value)} MB`;
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

function describeRun(run: ImportRun): void {
  const c = run.counts;
  say(
    `${run.label}: ${fixed(run.rows)} rows, ${fixed(run.bytes / 1024 ** 2, 1)} MiB; upload ${fixed(run.uploadS, 1)} s, ` +
      `validate ${fixed(run.validateS, 1)} s (of which ${fixed(run.queueWaitS, 1)} s before the worker claimed it), ` +
      `commit ${fixed(run.commitS, 1)} s; total ${fixed(run.totalS, 1)} s = ${fixed(run.rows / run.totalS)} rows/s`,
  );
  say(
    `  counts: valid ${fixed(c['valid'] ?? 0)}, invalid ${fixed(c['invalid'] ?? 0)}, duplicates ${fixed(c['duplicates'] ?? 0)}, ` +
      `created ${fixed(c['created'] ?? 0)}, updated ${fixed(c['updated'] ?? 0)}, unchanged ${fixed(c['unchanged'] ?? 0)}, ` +
      `rejected ${fixed(c['rejected'] ?? 0)}; stored ${fixed(run.stored.companies)} companies, ${fixed(run.stored.people)} people, ` +
      `${fixed(run.stored.positions)} positions`,
  );
  const phase = (name: string, cpu: Cpu) =>
    [name, fixed(cpu.api, 1), fixed(cpu.worker, 1), fixed(cpu.postgres, 1)] as const;
  say(
    table([
      ['  CPU seconds', 'API', 'worker', 'PostgreSQL'],
      phase('upload', run.phaseCpu.upload),
      phase('validate', run.phaseCpu.validate),
      phase('commit', run.phaseCpu.commit),
      phase('all', run.cpu),
    ]),
  );
  say(
    `  peak RSS: API ${mb(run.apiMemory.peakMb)} (${mb(run.apiMemory.rssMb)} at the end), ` +
      `worker ${mb(run.workerMemory.peakMb)} (${mb(run.workerMemory.rssMb)} at the end); peak so far when ` +
      (['start', 'upload', 'validate', 'commit'] as const)
        .map(
          (phase) =>
            `${phase === 'start' ? 'started' : `${phase} ended`} ${fixed(run.peaks[phase].api)}/${fixed(run.peaks[phase].worker)}`,
        )
        .join(', ') +
      ' MB (API/worker)',
  );
}

async function main(): Promise<void> {
  const services = await startBenchServices();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pf-bench-import-'));
  try {
    say(await describeMachine(services));
    say(
      `data: seed ${seed}; French Excel CSV (Windows-1252, ';', CRLF, ${IMPORT_HEADERS.length} columns), about 5% ` +
        `invalid rows and 5% repeats of earlier rows; mapping ${args.mapping}; API and worker heap ceiling ` +
        `${heapMb > 0 ? `${heapMb} MB` : "Node's default"}\n`,
    );
    const csvRun = (n: number) =>
      runImport(services, `CSV ${fixed(n)} rows`, n, 'csv', () => Readable.from(frenchImportCsv(n, seed)));

    const small = smallRows > 0 && smallRows < rows ? await csvRun(smallRows) : null;
    if (small) describeRun(small);
    const raw = args['no-raw'] ? null : await runRaw(services, dir);
    if (raw)
      say(`raw COPY: ${fixed(raw.seconds, 1)} s = ${fixed(raw.clean.positions / raw.seconds)} clean rows/s`);
    const main = await csvRun(rows);
    describeRun(main);

    let xlsx: ImportRun | null = null;
    if (xlsxRows > 0) {
      const file = path.join(dir, 'prospects.xlsx');
      const t0 = performance.now();
      await writeImportWorkbook(file, xlsxRows, seed);
      say(
        `\nworkbook: ${fixed(xlsxRows)} rows written by exceljs's streaming writer in ` +
          `${fixed((performance.now() - t0) / 1000, 1)} s, ${fixed((await stat(file)).size / 1024 ** 2, 1)} MiB (not timed)`,
      );
      xlsx = await runImport(services, `XLSX ${fixed(xlsxRows)} rows`, xlsxRows, 'xlsx', () =>
        createReadStream(file, { highWaterMark: 64 * 1024 }),
      );
      describeRun(xlsx);
    }

    say('\nsummary');
    const rate = rows / main.totalS;
    say(
      `end to end, CSV ${fixed(rows)} rows: ${fixed(rate)} rows/s ` +
        `(target ≥ ${fixed(TARGET_ROWS_PER_SECOND)}: ${met(rate >= TARGET_ROWS_PER_SECOND)})`,
    );
    if (raw) {
      if (
        main.stored.companies !== raw.clean.companies ||
        main.stored.people !== raw.clean.people ||
        main.stored.positions !== raw.clean.positions
      ) {
        throw new Error(
          `the import stored ${JSON.stringify(main.stored)}, the baseline ${JSON.stringify(raw.clean)}`,
        );
      }
      const importClean = raw.clean.positions / main.totalS;
      const rawRate = raw.clean.positions / raw.seconds;
      say(
        `same clean rows: import ${fixed(importClean)} rows/s end to end, raw COPY ${fixed(rawRate)} rows/s: ratio ` +
          `${(importClean / rawRate).toFixed(3)} (target ≥ ${TARGET_RATIO.toFixed(2)}: ${met(importClean / rawRate >= TARGET_RATIO)})`,
      );
    }
    for (const run of [small, main, xlsx]) {
      if (!run) continue;
      const peak = Math.max(run.apiMemory.peakMb, run.workerMemory.peakMb);
      say(
        `peak RSS, ${run.label}: API ${mb(run.apiMemory.peakMb)}, worker ${mb(run.workerMemory.peakMb)} ` +
          `(target < ${TARGET_PEAK_MB} MB: ${met(peak < TARGET_PEAK_MB)})`,
      );
    }
    if (small) {
      const growth = (a: number, b: number) => `${b >= a ? '+' : ''}${fixed(b - a)} MB`;
      say(
        `peak RSS from ${fixed(smallRows)} to ${fixed(rows)} rows: API ${growth(small.apiMemory.peakMb, main.apiMemory.peakMb)}, ` +
          `worker ${growth(small.workerMemory.peakMb, main.workerMemory.peakMb)} (target: no growth with the file, ` +
          `within ${FLAT_MB} MB)`,
      );
    }
    if (xlsx) say(`XLSX ${fixed(xlsxRows)} rows end to end: ${fixed(xlsxRows / xlsx.totalS)} rows/s`);

    const figures: BenchFigure[] = [
      figure('csv_rows_per_s', rate, 'rows/s', { op: '>=', value: TARGET_ROWS_PER_SECOND }),
      figure('csv_rows', rows, 'count'),
    ];
    if (raw) {
      const rawRate = raw.clean.positions / raw.seconds;
      figures.push(
        figure('raw_copy_rows_per_s', rawRate, 'rows/s'),
        figure('ratio_vs_raw_copy', raw.clean.positions / main.totalS / rawRate, 'ratio', {
          op: '>=',
          value: TARGET_RATIO,
        }),
      );
    }
    const peakTarget = { op: '<', value: TARGET_PEAK_MB } as const;
    figures.push(
      figure('peak_rss_api_mb', main.apiMemory.peakMb, 'MB', peakTarget),
      figure('peak_rss_worker_mb', main.workerMemory.peakMb, 'MB', peakTarget),
    );
    if (small) {
      // "Does not grow with the file": within FLAT_MB of the smaller run's peak.
      const flat = { op: '<=', value: FLAT_MB } as const;
      figures.push(
        figure('peak_rss_api_growth_mb', main.apiMemory.peakMb - small.apiMemory.peakMb, 'MB', flat),
        figure('peak_rss_worker_growth_mb', main.workerMemory.peakMb - small.workerMemory.peakMb, 'MB', flat),
      );
    }
    if (xlsx) {
      figures.push(
        figure('xlsx_rows_per_s', xlsxRows / xlsx.totalS, 'rows/s'),
        figure(
          'xlsx_peak_rss_mb',
          Math.max(xlsx.apiMemory.peakMb, xlsx.workerMemory.peakMb),
          'MB',
          peakTarget,
        ),
      );
    }
    reportResult('import', figures);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await services.close();
  }
}

await main();
