// Soak run (issue 11 §2): mixed traffic at a steady rate through pgBouncer for 10 minutes (or --duration): CRM
// reads and writes, JSON ingest, file imports, pixel hits, and requests that get 401, 403, 404, 422 and 429.
// The API (src/server.ts) and the import worker (src/worker.ts) run as processes of their own, as production runs
// them, so that the resident set sampled is each one's own. Every --sample-interval it samples their RSS and
// event-loop delay, the API's pool (its /metrics, behind METRICS_TOKEN), the worker's connections and pgBouncer's
// SHOW POOLS (admin console); at the end it checks the rows stored against what was sent. Targets: zero 5xx,
// memory and pools flat after the warm-up (defined below), no row lost or duplicated.
// Run: pnpm bench soak [--duration 60s] (--help for the options). Choices: ADR 0090.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalTokenIssuer } from '@prospectflow/auth-core/local-issuer';
import { freePort, HARNESS_ENV, withAdmin, type TestDatabase } from '@prospectflow/test-harness';
import pg from 'pg';
import { validateRecord } from '../src/components/crm/crm-record.js';
import { frenchImportCsv } from './import-data.js';
import { memoryOf } from './import-processes.js';
import { prepareCleanRows, type CleanRows } from './import-raw.js';
import { describeMachine } from './lib/machine.js';
import { generateProspects, type ProspectRecord } from './lib/prospects.js';
import { figure, reportResult } from './lib/report.js';
import { startBenchServices, type BenchServices } from './lib/services.js';
import { fixed, median, percentile, table } from './lib/stats.js';

const HELP = `Usage: pnpm bench soak [options]

  --duration D          how long the traffic runs: 600s, 10m, 90s (default 10m)
  --warmup D            left out of the flatness figures (default 60s, or 20% of a shorter duration)
  --sample-interval D   how often the processes and pools are sampled (default 5s)
  --rate X              multiplies every traffic class's rate (default 1: about 37 requests/s)
  --import-rows N       rows of each file import (default 10000); imports follow each other, 20 s apart
  --seed N              seed of the generated records and files (default 42)
  --heap-mb N           --max-old-space-size of the API and the worker (default 192, as their start scripts
                        and the image run them, ADR 0063; 0: Node's default)
  --help                this text

Traffic, per second at --rate 1 (open loop: each class's requests leave on a timer, answered or not):
  4 GET /companies?limit=50, 2 GET /companies/:id, 2 GET /people?limit=50, 2 PATCH /companies/:id,
  0.5 POST /ingest of 50 new records (Idempotency-Key), 20 pixel hits, 0.5 with a bad token (401), 0.5 by a
  viewer writing or an outsider reading (403), 0.5 for an unknown company (404), 0.5 invalid PATCH (422), and
  4 from one address over the per-address limit of 20 per 10 s (200 then 429); one file import at a time (a new
  organisation each, one-shot upload with commit), polled every 2 s.
Flat: over the samples after the warm-up, the least-squares trend's rise across the measured window is at most
10% of the window's median for memory (RSS), and at most 2 connections for pools (in use + waiting).`;

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    duration: { type: 'string', default: '10m' },
    warmup: { type: 'string' },
    'sample-interval': { type: 'string', default: '5s' },
    rate: { type: 'string', default: '1' },
    'import-rows': { type: 'string', default: '10000' },
    seed: { type: 'string', default: '42' },
    'heap-mb': { type: 'string', default: '192' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

/** `600`, `600s`, `10m`, `1h` → seconds. */
function seconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${text} (e.g. 60s, 10m)`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
}
const durationS = seconds(args.duration);
const warmupS = args.warmup === undefined ? Math.min(60, durationS * 0.2) : seconds(args.warmup);
const sampleS = seconds(args['sample-interval']);
const rateScale = Number(args.rate);
const importRows = Number(args['import-rows']);
const seed = Number(args.seed);
const heapMb = Number(args['heap-mb']);
const say = (line = '') => process.stdout.write(`${line}\n`);

const MEMORY_FLAT_SHARE = 0.1;
const POOL_FLAT_CONNECTIONS = 2;
const INGEST_BATCH = 50;
const SEED_RECORDS = 2000;
const PATCHED_COMPANIES = 200;
/** The per-address limit: 20 requests per 10 s window, so that even a short run sees 429s. */
const PUBLIC_LIMIT = { perWindow: 20, windowSeconds: 10 };
const USER_POOL = 'eu-west-3_SoakPool1';
const CLIENT = 'soak-client';
const AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/141.0 Safari/537.36';
const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const PROBE = fileURLToPath(new URL('./lib/loop-probe.ts', import.meta.url));

// ---------------------------------------------------------------------------------------------- processes

interface LoopSample {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  rssMb: number;
}

interface Proc {
  child: ChildProcess;
  pid: number;
  /** The latest event-loop sample its probe printed. */
  loop: LoopSample | null;
  stop(): Promise<void>;
}

/** `src/server.ts` or `src/worker.ts` in a process of its own, with the loop probe preloaded. */
function startProcess(entry: 'src/server.ts' | 'src/worker.ts', environment: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', PROBE, entry], {
    cwd: APP_DIR,
    env: {
      ...process.env,
      PF_LOOP_PROBE_MS: String(sampleS * 1000),
      ...(heapMb > 0 ? { NODE_OPTIONS: `--max-old-space-size=${heapMb}` } : {}),
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const proc: Proc = {
    child,
    pid: child.pid ?? 0,
    loop: null,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('PF_LOOP_PROBE ')) proc.loop = JSON.parse(line.slice(14)) as LoopSample;
    else process.stderr.write(`[${path.basename(entry, '.ts')}] ${line}\n`);
  });
  return proc;
}

// ----------------------------------------------------------------------------------------------- traffic

interface Answer {
  status: number | 'error';
  ms: number;
  body: unknown;
}

interface ClassStats {
  sent: number;
  skipped: number;
  statuses: Map<string, number>;
  latencies: number[];
}

let addressCounter = 0;
/** A different client address per request (the API trusts one proxy hop), so no per-address limit is hit. */
const spreadAddress = () => {
  addressCounter += 1;
  return `10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`;
};

class Client {
  readonly stats = new Map<string, ClassStats>();
  inFlight = 0;
  windowRequests = 0;
  window5xx = 0;

  constructor(readonly baseUrl: string) {}

  classStats(name: string): ClassStats {
    let stats = this.stats.get(name);
    if (stats === undefined) {
      stats = { sent: 0, skipped: 0, statuses: new Map(), latencies: [] };
      this.stats.set(name, stats);
    }
    return stats;
  }

  async request(
    traffic: string,
    method: string,
    route: string,
    options: { headers?: Record<string, string>; body?: unknown; raw?: Buffer; address?: string } = {},
  ): Promise<Answer> {
    const stats = this.classStats(traffic);
    stats.sent += 1;
    this.inFlight += 1;
    const started = performance.now();
    let answer: Answer;
    try {
      const response = await fetch(`${this.baseUrl}${route}`, {
        method,
        headers: {
          'X-Forwarded-For': options.address ?? spreadAddress(),
          'User-Agent': AGENT,
          ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(options.raw === undefined ? {} : { body: options.raw }),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      let body: unknown = text;
      if ((response.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
      answer = { status: response.status, ms: performance.now() - started, body };
    } catch (error) {
      answer = { status: 'error', ms: performance.now() - started, body: String(error) };
    } finally {
      this.inFlight -= 1;
    }
    const key = String(answer.status);
    stats.statuses.set(key, (stats.statuses.get(key) ?? 0) + 1);
    stats.latencies.push(answer.ms);
    this.windowRequests += 1;
    if (typeof answer.status === 'number' && answer.status >= 500) this.window5xx += 1;
    return answer;
  }
}

/** The statuses each traffic class may get; anything else (and any network error) is counted as unexpected. */
const EXPECTED: Record<string, readonly string[]> = {
  'list companies': ['200'],
  'get company': ['200'],
  'list people': ['200'],
  'patch company': ['200'],
  ingest: ['200'],
  'ingest retry': ['200'],
  pixel: ['200'],
  'bad token': ['401'],
  forbidden: ['403'],
  'unknown company': ['404'],
  'invalid patch': ['422'],
  'over limit': ['200', '429'],
  'import upload': ['201'],
  'import poll': ['200'],
  setup: ['200', '201'],
};

// ---------------------------------------------------------------------------------------------- sampling

interface Sample {
  t: number;
  /** Requests answered per second since the previous sample. */
  requestsPerS: number;
  errors5xx: number;
  api: { rssMb: number; loop: LoopSample | null; poolInUse: number; poolWaiting: number; poolTotal: number };
  worker: {
    rssMb: number;
    loop: LoopSample | null;
    connections: number;
    inTransaction: number;
    waiting: number;
  };
  bouncer: {
    clActive: number;
    clWaiting: number;
    svActive: number;
    svIdle: number;
    svUsed: number;
    maxWaitS: number;
  };
}

function metricValue(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function adminConsole(services: BenchServices): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: services.bouncer.port,
    database: 'pgbouncer',
    user: 'pgbouncer_admin',
    password: process.env[HARNESS_ENV.pgbouncerAdminPassword],
  });
  await client.connect();
  return client;
}

// ------------------------------------------------------------------------------------------------ checks

/** The least-squares rise of `values` over `times` across the window (slope × span). */
function trendRise(times: readonly number[], values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mt = times.reduce((a, b) => a + b, 0) / n;
  const mv = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i += 1) {
    num += ((times[i] as number) - mt) * ((values[i] as number) - mv);
    den += ((times[i] as number) - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * ((times[n - 1] as number) - (times[0] as number));
}

async function count(db: TestDatabase, sql: string, params: unknown[]): Promise<number> {
  return withAdmin(db.adminUrl, async (admin) => Number((await admin.query(sql, params)).rows[0].n));
}

async function storedRows(db: TestDatabase, organisationId: string) {
  const of = (table: string) =>
    count(db, `SELECT count(*) AS n FROM ${table} WHERE organisation_id = $1`, [organisationId]);
  return {
    companies: await of('crm.companies'),
    people: await of('crm.people'),
    positions: await of('crm.positions'),
  };
}

/** What the API must hold after the given records were ingested: distinct natural keys, by its own rules. */
function expectedFromRecords(records: readonly ProspectRecord[]) {
  const companies = new Set<string>();
  const people = new Set<string>();
  const positions = new Set<string>();
  for (const raw of records) {
    const { record } = validateRecord(raw);
    const siren = String(record.company?.['siren']);
    const email = String(record.position?.['email']);
    companies.add(siren);
    people.add(email);
    positions.add(`${email}/${siren}`);
  }
  return { companies: companies.size, people: people.size, positions: positions.size };
}

// -------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const services = await startBenchServices();
  const procs: Proc[] = [];
  const timers: NodeJS.Timeout[] = [];
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'pf-soak-'));
  let db: TestDatabase | null = null;
  try {
    say(await describeMachine(services));
    db = await services.createDatabase();
    const issuer = LocalTokenIssuer.create({ environment: 'test', userPoolId: USER_POOL, clientId: CLIENT });
    const jwksFile = path.join(scratch, 'jwks.json');
    await issuer.writeJwksFile(jwksFile);
    const metricsToken = randomBytes(24).toString('base64url');
    const port = await freePort();
    const environment = {
      NODE_ENV: 'test',
      // 4xx answers are logged at warn, and the soak sends thousands on purpose; 5xx are logged at error.
      LOG_LEVEL: 'error',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: db.appUrl,
      REDIS_URL: services.redisUrl,
      REDIS_KEY_PREFIX: `pfsoak${randomUUID().slice(0, 8)}:`,
      COGNITO_USER_POOL_ID: USER_POOL,
      COGNITO_CLIENT_ID: CLIENT,
      COGNITO_JWKS_FILE: jwksFile,
      METRICS_TOKEN: metricsToken,
      TRUST_PROXY_HOPS: '1',
      TRACKING_VISITOR_SECRET: 'soak-visitor-secret-0123456789abcdef',
      // Only the per-address limit is within reach, and only of the one address that is meant to reach it.
      RATE_LIMIT_WINDOW_SECONDS: String(PUBLIC_LIMIT.windowSeconds),
      RATE_LIMIT_PUBLIC_PER_WINDOW: String(PUBLIC_LIMIT.perWindow),
      RATE_LIMIT_DEFAULT_PER_WINDOW: '1000000000',
      RATE_LIMIT_INGEST_PER_WINDOW: '1000000000',
      RATE_LIMIT_IMPORTS_PER_WINDOW: '1000000000',
    };
    const api = startProcess('src/server.ts', environment);
    procs.push(api);
    const worker = startProcess('src/worker.ts', environment);
    procs.push(worker);
    const client = new Client(`http://127.0.0.1:${port}`);
    for (let waited = 0; ; waited += 250) {
      const ready = await fetch(`${client.baseUrl}/health/ready`).catch(() => null);
      if (ready?.status === 200) break;
      if (waited > 60_000 || api.child.exitCode !== null) throw new Error('the API did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    // ---- fixtures, not measured
    const bearer = (email: string) => ({
      Authorization: `Bearer ${issuer.mintIdToken({ sub: `sub-${email}`, email, givenName: 'Soak', familyName: 'Run' })}`,
    });
    const setup = async (method: string, route: string, email: string, body?: unknown, org?: string) => {
      const answer = await client.request('setup', method, route, {
        headers: { ...bearer(email), ...(org === undefined ? {} : { 'X-Organisation-Id': org }) },
        body,
      });
      if (answer.status !== 200 && answer.status !== 201)
        throw new Error(`${method} ${route}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
      return answer.body as Record<string, unknown>;
    };
    const owner = 'owner@soak-a.example';
    const viewer = 'viewer@soak-a.example';
    const outsider = 'outsider@soak-c.example';
    const importer = 'owner@soak-imports.example';
    const orgA = String((await setup('POST', '/api/v1/organisations', owner, { name: 'Soak A' }))['id']);
    await setup(
      'POST',
      `/api/v1/organisations/${orgA}/members`,
      owner,
      { email: viewer, role: 'viewer' },
      orgA,
    );
    await setup('GET', '/api/v1/me', viewer);
    await setup('POST', '/api/v1/organisations', outsider, { name: 'Soak C' });
    const asOwner = { ...bearer(owner), 'X-Organisation-Id': orgA };

    const ingestTicks = Math.ceil(durationS * 0.5 * rateScale) + 1;
    const records = generateProspects({
      count: SEED_RECORDS + ingestTicks * INGEST_BATCH,
      seed,
      repeatShare: 0.2,
    });
    for (let start = 0; start < SEED_RECORDS; start += 1000)
      await setup('POST', '/api/v1/ingest', owner, { records: records.slice(start, start + 1000) }, orgA);
    const companyIds = (
      (await setup('GET', `/api/v1/companies?limit=${PATCHED_COMPANIES}`, owner, undefined, orgA))[
        'items'
      ] as {
        id: string;
      }[]
    ).map((company) => company.id);
    const personId = (
      (await setup('GET', '/api/v1/people?limit=1', owner, undefined, orgA))['items'] as { id: string }[]
    )[0]?.id;
    const campaignId = String(
      (await setup('POST', '/api/v1/campaigns', owner, { name: 'Soak' }, orgA))['id'],
    );
    await setup(
      'POST',
      `/api/v1/campaigns/${campaignId}/enrolments`,
      owner,
      { people: [{ personId }] },
      orgA,
    );
    const enrolmentId = String(
      (
        (await setup('GET', `/api/v1/campaigns/${campaignId}/enrolments`, owner, undefined, orgA))[
          'items'
        ] as {
          id: string;
        }[]
      )[0]?.id,
    );
    const message = await setup(
      'POST',
      `/api/v1/campaigns/${campaignId}/enrolments/${enrolmentId}/messages`,
      owner,
      { subject: 'Soak', sentAt: new Date(Date.now() - 3_600_000).toISOString() },
      orgA,
    );
    const pixelPath = String((message['pixel'] as { path: string }).path);
    const csv = await (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of frenchImportCsv(importRows, seed)) chunks.push(chunk);
      return Buffer.concat(chunks);
    })();
    const clean: CleanRows = await prepareCleanRows(scratch, importRows, seed, randomUUID());
    say(
      `fixtures: organisation A with ${fixed(SEED_RECORDS)} ingested records, a viewer, an outsider's organisation, ` +
        `a campaign with one sent message; import file ${fixed(importRows)} rows (${fixed(csv.length / 2 ** 20, 1)} MiB, ` +
        `${fixed(clean.companies)} companies, ${fixed(clean.people)} people, ${fixed(clean.positions)} positions once clean)`,
    );

    // ---- traffic
    const ingested: ProspectRecord[] = records.slice(0, SEED_RECORDS);
    const failedBatches: { key: string; records: ProspectRecord[] }[] = [];
    const patches = { ok: 0, uncertain: new Set<string>(), last: new Map<string, string>() };
    let patchCounter = 0;
    let ingestCounter = 0;
    let pixel200 = 0;
    const imports: { id: string; organisationId: string; status: string; seconds: number }[] = [];
    const randomCompany = (n: number) => companyIds[n % companyIds.length] as string;
    let tick = 0;

    const classes: { name: string; perSecond: number; fire: () => Promise<unknown> }[] = [
      {
        name: 'list companies',
        perSecond: 4,
        fire: () =>
          client.request('list companies', 'GET', '/api/v1/companies?limit=50', { headers: asOwner }),
      },
      {
        name: 'get company',
        perSecond: 2,
        fire: () =>
          client.request('get company', 'GET', `/api/v1/companies/${randomCompany((tick += 7))}`, {
            headers: asOwner,
          }),
      },
      {
        name: 'list people',
        perSecond: 2,
        fire: () => client.request('list people', 'GET', '/api/v1/people?limit=50', { headers: asOwner }),
      },
      {
        name: 'patch company',
        perSecond: 2,
        fire: async () => {
          patchCounter += 1;
          // Round robin over the companies: one company is written again only after every other one.
          const id = randomCompany(patchCounter);
          const brandName = `Soak ${patchCounter}`;
          const answer = await client.request('patch company', 'PATCH', `/api/v1/companies/${id}`, {
            headers: asOwner,
            body: { brandName },
          });
          if (answer.status === 200) {
            patches.ok += 1;
            patches.last.set(id, brandName);
          } else patches.uncertain.add(id);
        },
      },
      {
        name: 'ingest',
        perSecond: 0.5,
        fire: async () => {
          const start = SEED_RECORDS + ingestCounter * INGEST_BATCH;
          ingestCounter += 1;
          const batch = records.slice(start, start + INGEST_BATCH);
          if (batch.length === 0) return;
          const key = `soak-${seed}-${start}`;
          const answer = await client.request('ingest', 'POST', '/api/v1/ingest', {
            headers: { ...asOwner, 'Idempotency-Key': key },
            body: { records: batch },
          });
          if (answer.status === 200) ingested.push(...batch);
          else failedBatches.push({ key, records: batch });
        },
      },
      {
        name: 'pixel',
        perSecond: 20,
        fire: async () => {
          const answer = await client.request('pixel', 'GET', pixelPath);
          if (answer.status === 200) pixel200 += 1;
        },
      },
      {
        name: 'bad token',
        perSecond: 0.5,
        fire: () =>
          client.request('bad token', 'GET', '/api/v1/companies', {
            headers: { Authorization: 'Bearer not.a.token', 'X-Organisation-Id': orgA },
          }),
      },
      {
        name: 'forbidden',
        perSecond: 0.5,
        fire: () =>
          (tick += 1) % 2 === 0
            ? client.request('forbidden', 'PATCH', `/api/v1/companies/${randomCompany(tick)}`, {
                headers: { ...bearer(viewer), 'X-Organisation-Id': orgA },
                body: { brandName: 'viewer' },
              })
            : client.request('forbidden', 'GET', '/api/v1/companies', {
                headers: { ...bearer(outsider), 'X-Organisation-Id': orgA },
              }),
      },
      {
        name: 'unknown company',
        perSecond: 0.5,
        fire: () =>
          client.request('unknown company', 'GET', `/api/v1/companies/${randomUUID()}`, { headers: asOwner }),
      },
      {
        name: 'invalid patch',
        perSecond: 0.5,
        fire: () =>
          client.request('invalid patch', 'PATCH', `/api/v1/companies/${randomCompany((tick += 3))}`, {
            headers: asOwner,
            body: { siren: '123' },
          }),
      },
      {
        name: 'over limit',
        perSecond: 4,
        fire: () =>
          client.request('over limit', 'GET', '/api/v1/companies?limit=5', {
            headers: asOwner,
            address: '203.0.113.9',
          }),
      },
    ];

    const importLoop = async (until: number) => {
      let n = 0;
      while (performance.now() < until) {
        n += 1;
        const organisationId = String(
          (await setup('POST', '/api/v1/organisations', importer, { name: `Soak import ${n}` }))['id'],
        );
        const started = performance.now();
        const upload = await client.request(
          'import upload',
          'POST',
          `/api/v1/imports?mapping=auto&commit=true&fileName=soak-${n}.csv`,
          {
            headers: { ...bearer(importer), 'X-Organisation-Id': organisationId, 'Content-Type': 'text/csv' },
            raw: csv,
          },
        );
        if (upload.status !== 201) {
          imports.push({ id: '', organisationId, status: `upload ${upload.status}`, seconds: 0 });
        } else {
          const id = String((upload.body as { id: string }).id);
          let status = 'uploaded';
          while (!['committed', 'failed', 'cancelled', 'validated'].includes(status)) {
            await new Promise((resolve) => setTimeout(resolve, 2000));
            const poll = await client.request('import poll', 'GET', `/api/v1/imports/${id}`, {
              headers: { ...bearer(importer), 'X-Organisation-Id': organisationId },
            });
            if (poll.status === 200) status = String((poll.body as { status: string }).status);
          }
          imports.push({ id, organisationId, status, seconds: (performance.now() - started) / 1000 });
        }
        if (performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 20_000));
      }
    };

    // ---- run
    const bouncer = await adminConsole(services);
    const samples: Sample[] = [];
    const t0 = performance.now();
    let lastSampleAt = t0;
    const sample = async (): Promise<Sample> => {
      const metrics = await fetch(`${client.baseUrl}/metrics`, {
        headers: { Authorization: `Bearer ${metricsToken}`, 'X-Forwarded-For': spreadAddress() },
      }).then((response) => response.text());
      const pools = (await bouncer.query('SHOW POOLS')).rows as Record<string, string>[];
      const pool =
        pools.find((row) => row['database'] === db?.name && row['user'] === 'prospectflow_app') ?? {};
      const clients = (await bouncer.query('SHOW CLIENTS')).rows as Record<string, string>[];
      const workerClients = clients.filter(
        (row) => row['database'] === db?.name && row['application_name'] === 'ingest-worker',
      );
      const s: Sample = {
        t: (performance.now() - t0) / 1000,
        requestsPerS: client.windowRequests / ((performance.now() - lastSampleAt) / 1000),
        errors5xx: client.window5xx,
        api: {
          rssMb: (await memoryOf(api.pid)).rssMb,
          loop: api.loop,
          poolInUse: metricValue(metrics, 'db_pool_clients', '{state="in_use"}'),
          poolWaiting: metricValue(metrics, 'db_pool_clients', '{state="waiting"}'),
          poolTotal: metricValue(metrics, 'db_pool_clients', '{state="total"}'),
        },
        worker: {
          rssMb: (await memoryOf(worker.pid)).rssMb,
          loop: worker.loop,
          connections: workerClients.length,
          inTransaction: workerClients.filter((row) => (row['link'] ?? '') !== '').length,
          waiting: workerClients.filter((row) => row['state'] === 'waiting').length,
        },
        bouncer: {
          clActive: Number(pool['cl_active'] ?? NaN),
          clWaiting: Number(pool['cl_waiting'] ?? NaN),
          svActive: Number(pool['sv_active'] ?? NaN),
          svIdle: Number(pool['sv_idle'] ?? NaN),
          svUsed: Number(pool['sv_used'] ?? NaN),
          maxWaitS: Number(pool['maxwait'] ?? NaN) + Number(pool['maxwait_us'] ?? 0) / 1e6,
        },
      };
      client.windowRequests = 0;
      lastSampleAt = performance.now();
      client.window5xx = 0;
      return s;
    };
    const describeSample = (s: Sample) =>
      `t=${fixed(s.t).padStart(4)}s ${fixed(s.requestsPerS, 1).padStart(5)} req/s 5xx ${s.errors5xx} | ` +
      `API rss ${fixed(s.api.rssMb)} MB loop p99 ${fixed(s.api.loop?.p99Ms ?? NaN, 1)} ms pool ${s.api.poolInUse}/${s.api.poolTotal} wait ${s.api.poolWaiting} | ` +
      `worker rss ${fixed(s.worker.rssMb)} MB loop p99 ${fixed(s.worker.loop?.p99Ms ?? NaN, 1)} ms conns ${s.worker.connections} in tx ${s.worker.inTransaction} | ` +
      `pgBouncer cl ${s.bouncer.clActive} wait ${s.bouncer.clWaiting} sv ${s.bouncer.svActive}/${s.bouncer.svIdle}/${s.bouncer.svUsed}`;

    say(
      `\nsoak: ${fixed(durationS)} s of traffic (${fixed(warmupS)} s warm-up), about ` +
        `${fixed(classes.reduce((sum, c) => sum + c.perSecond, 0) * rateScale, 1)} requests/s plus imports; ` +
        `samples every ${fixed(sampleS)} s (API ${api.pid}, worker ${worker.pid}; heap ceiling ` +
        `${heapMb > 0 ? `${heapMb} MB` : "Node's default"})`,
    );
    const end = t0 + durationS * 1000;
    for (const traffic of classes) {
      const stats = client.classStats(traffic.name);
      timers.push(
        setInterval(
          () => {
            // Open loop, but bounded: with 1,000 requests unanswered a timer skips its turn and counts it.
            if (client.inFlight > 1000) {
              stats.skipped += 1;
              return;
            }
            void traffic.fire();
          },
          1000 / (traffic.perSecond * rateScale),
        ),
      );
    }
    const imported = importLoop(end);
    while (performance.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(sampleS * 1000, end - performance.now())));
      const s = await sample();
      samples.push(s);
      say(describeSample(s));
    }
    for (const timer of timers) clearInterval(timer);
    for (let waited = 0; client.inFlight > 0 && waited < 60_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    say(`traffic stopped; waiting for the running import to finish`);
    await imported;
    for (const batch of failedBatches) {
      // Replayed under the same Idempotency-Key: stored once whether or not the first attempt was.
      const answer = await client.request('ingest retry', 'POST', '/api/v1/ingest', {
        headers: { ...asOwner, 'Idempotency-Key': batch.key },
        body: { records: batch.records },
      });
      if (answer.status === 200) ingested.push(...batch.records);
    }
    const finalMetrics = await fetch(`${client.baseUrl}/metrics`, {
      headers: { Authorization: `Bearer ${metricsToken}`, 'X-Forwarded-For': spreadAddress() },
    }).then((response) => response.text());
    const dropped = [
      ...finalMetrics.matchAll(/^tracking_pixel_opens_dropped_total\{[^}]*\} (\d+)$/gm),
    ].reduce((sum, match) => sum + Number(match[1]), 0);
    await bouncer.end();
    // SIGTERM drains the API and flushes the pixel recorder; the worker releases nothing (it is idle).
    await api.stop();
    await worker.stop();

    // ---- traffic summary
    const allStats = [...client.stats.entries()];
    let unexpected = 0;
    let total5xx = 0;
    const trafficRows = allStats.map(([name, stats]) => {
      const expected = EXPECTED[name] ?? [];
      let wrong = 0;
      for (const [status, n] of stats.statuses) {
        if (!expected.includes(status)) wrong += n;
        if (Number(status) >= 500) total5xx += n;
      }
      unexpected += wrong;
      return [
        name,
        fixed(stats.sent),
        [...stats.statuses.entries()].map(([status, n]) => `${status}×${n}`).join(' '),
        fixed(wrong),
        stats.latencies.length === 0 ? '' : fixed(percentile(stats.latencies, 50), 1),
        stats.latencies.length === 0 ? '' : fixed(percentile(stats.latencies, 99), 1),
        fixed(stats.skipped),
      ];
    });
    say('\ntraffic (latency in ms, from the client, on the same 2 cores)');
    say(table([['class', 'sent', 'statuses', 'unexpected', 'p50', 'p99', 'skipped'], ...trafficRows]));
    const seen = (status: string) =>
      allStats.some(([, stats]) => (stats.statuses.get(status) ?? 0) > 0) ? 1 : 0;
    const refusals = ['401', '403', '404', '422', '429'];
    const refusalsSeen = refusals.reduce((sum, status) => sum + seen(status), 0);

    // ---- rows: stored against sent
    const checks: [string, number, number][] = [];
    const expectedA = expectedFromRecords(ingested);
    const storedA = await storedRows(db, orgA);
    // The campaign fixture adds nothing to the CRM tables; organisation A holds the ingested records only.
    checks.push(['A companies (ingest)', expectedA.companies, storedA.companies]);
    checks.push(['A people (ingest)', expectedA.people, storedA.people]);
    checks.push(['A positions (ingest)', expectedA.positions, storedA.positions]);
    const patchAudit = await count(
      db,
      `SELECT count(*) AS n FROM audit.audit_log WHERE organisation_id = $1 AND table_name = 'companies'
          AND operation = 'UPDATE' AND new_values->>'brand_name' LIKE 'Soak %'`,
      [orgA],
    );
    checks.push(['company PATCH audit entries (200 answers)', patches.ok, patchAudit]);
    const brandNames = await withAdmin(db.adminUrl, async (admin) => {
      const { rows } = await admin.query<{ id: string; brand_name: string | null }>(
        'SELECT id, brand_name FROM crm.companies WHERE organisation_id = $1 AND id = ANY($2::uuid[])',
        [orgA, [...patches.last.keys()]],
      );
      return new Map(rows.map((row) => [row.id, row.brand_name]));
    });
    const checkable = [...patches.last.entries()].filter(([id]) => !patches.uncertain.has(id));
    checks.push([
      'companies holding their last PATCH',
      checkable.length,
      checkable.filter(([id, value]) => brandNames.get(id) === value).length,
    ]);
    const opens = await count(
      db,
      'SELECT coalesce(sum(total_opens), 0) AS n FROM tracking.message_open_stats WHERE organisation_id = $1',
      [orgA],
    );
    checks.push(['pixel opens stored (200 answers − dropped)', pixel200 - dropped, opens]);
    for (const run of imports) {
      const stored = await storedRows(db, run.organisationId);
      const label = `import ${run.id.slice(0, 8)} (${run.status}, ${fixed(run.seconds, 1)} s)`;
      checks.push([`${label} companies`, clean.companies, stored.companies]);
      checks.push([`${label} people`, clean.people, stored.people]);
      checks.push([`${label} positions`, clean.positions, stored.positions]);
    }
    const rowErrors = checks.reduce((sum, [, expected, stored]) => sum + Math.abs(expected - stored), 0);
    say('\nrows stored against what was sent (superuser counts after the API and the worker stopped)');
    say(
      table([
        ['check', 'expected', 'stored', ''],
        ...checks.map(([name, expected, stored]) => [
          name,
          fixed(expected),
          fixed(stored),
          expected === stored ? 'ok' : 'MISMATCH',
        ]),
      ]),
    );
    if (failedBatches.length > 0)
      say(`ingest batches replayed with their Idempotency-Key: ${failedBatches.length}`);
    say(`pixel opens dropped by the recorder (counted, not stored): ${dropped}`);

    // ---- start, middle, end
    const measured = samples.filter((s) => s.t > warmupS);
    if (measured.length < 3)
      throw new Error('too few samples after the warm-up: run longer or sample more often');
    const third = (i: number) => {
      const k = Math.max(1, Math.floor(measured.length / 10));
      const start = i === 0 ? 0 : i === 1 ? Math.floor(measured.length / 2 - k / 2) : measured.length - k;
      return measured.slice(start, start + k);
    };
    type Series = { name: string; unit: string; of: (s: Sample) => number; flat: 'memory' | 'pool' | null };
    const series: Series[] = [
      { name: 'API RSS', unit: 'MB', of: (s) => s.api.rssMb, flat: 'memory' },
      { name: 'worker RSS', unit: 'MB', of: (s) => s.worker.rssMb, flat: 'memory' },
      { name: 'API event-loop delay p99', unit: 'ms', of: (s) => s.api.loop?.p99Ms ?? NaN, flat: null },
      { name: 'worker event-loop delay p99', unit: 'ms', of: (s) => s.worker.loop?.p99Ms ?? NaN, flat: null },
      {
        name: 'API pool in use + waiting',
        unit: 'conns',
        of: (s) => s.api.poolInUse + s.api.poolWaiting,
        flat: 'pool',
      },
      { name: 'API pool open', unit: 'conns', of: (s) => s.api.poolTotal, flat: null },
      {
        name: 'worker in transaction + waiting',
        unit: 'conns',
        of: (s) => s.worker.inTransaction + s.worker.waiting,
        flat: 'pool',
      },
      { name: 'worker connections', unit: 'conns', of: (s) => s.worker.connections, flat: null },
      {
        name: 'pgBouncer cl_waiting + sv_active',
        unit: 'conns',
        of: (s) => s.bouncer.clWaiting + s.bouncer.svActive,
        flat: 'pool',
      },
      {
        name: 'pgBouncer server connections',
        unit: 'conns',
        of: (s) => s.bouncer.svActive + s.bouncer.svIdle + s.bouncer.svUsed,
        flat: null,
      },
      { name: 'requests/s', unit: 'req/s', of: (s) => s.requestsPerS, flat: null },
    ];
    const rise = (x: Series) =>
      trendRise(
        measured.map((s) => s.t),
        measured.map(x.of),
      );
    const flatLimit = (x: Series) =>
      x.flat === 'memory' ? MEMORY_FLAT_SHARE * median(measured.map(x.of)) : POOL_FLAT_CONNECTIONS;
    say(
      `\nstart, middle and end: medians of the first, middle and last tenth of the ${measured.length} samples after ` +
        `the warm-up (t ${fixed(measured[0]?.t ?? 0)} to ${fixed(measured.at(-1)?.t ?? 0)} s); rise = least-squares trend ` +
        `across that window; flat = rise ≤ 10% of the median (memory) or ≤ ${POOL_FLAT_CONNECTIONS} connections (pools)`,
    );
    say(
      table([
        ['figure', 'unit', 'start', 'middle', 'end', 'max', 'rise', 'flat'],
        ...series.map((x) => {
          const m = (i: number) => fixed(median(third(i).map(x.of)), x.unit === 'ms' ? 1 : 0);
          const r = rise(x);
          return [
            x.name,
            x.unit,
            m(0),
            m(1),
            m(2),
            fixed(Math.max(...measured.map(x.of)), x.unit === 'ms' ? 1 : 0),
            `${r >= 0 ? '+' : ''}${fixed(r, 1)}`,
            x.flat === null ? '' : r <= flatLimit(x) ? 'yes' : 'NO',
          ];
        }),
      ]),
    );
    const riseOf = (name: string) => rise(series.find((x) => x.name === name) as Series);
    const riseShare = (name: string) => {
      const x = series.find((s) => s.name === name) as Series;
      return (100 * rise(x)) / median(measured.map(x.of));
    };
    const endOf = (name: string) => median(third(2).map((series.find((x) => x.name === name) as Series).of));
    const requests = allStats.reduce((sum, [, stats]) => sum + stats.sent, 0);
    say(
      `\n${fixed(requests)} requests, ${total5xx} answered 5xx, ${unexpected} unexpected answers; ` +
        `refusals seen: ${refusals.filter((status) => seen(status)).join(', ')}; ${imports.length} imports; ` +
        `${rowErrors} rows lost or duplicated`,
    );
    reportResult('soak', [
      figure('http_5xx', total5xx, 'count', { op: '<=', value: 0 }),
      figure('unexpected_answers', unexpected, 'count', { op: '<=', value: 0 }),
      figure('rows_lost_or_duplicated', rowErrors, 'count', { op: '<=', value: 0 }),
      figure('refusal_statuses_seen', refusalsSeen, 'count', { op: '>=', value: refusals.length }),
      figure('api_rss_rise_pct', riseShare('API RSS'), '%', { op: '<=', value: 100 * MEMORY_FLAT_SHARE }),
      figure('worker_rss_rise_pct', riseShare('worker RSS'), '%', { op: '<=', value: 100 * MEMORY_FLAT_SHARE }),
      figure('api_pool_rise', riseOf('API pool in use + waiting'), 'conns', { op: '<=', value: POOL_FLAT_CONNECTIONS }),
      figure('worker_pool_rise', riseOf('worker in transaction + waiting'), 'conns', { op: '<=', value: POOL_FLAT_CONNECTIONS }),
      figure('pgbouncer_pool_rise', riseOf('pgBouncer cl_waiting + sv_active'), 'conns', { op: '<=', value: POOL_FLAT_CONNECTIONS }),
      figure('api_rss_end_mb', endOf('API RSS'), 'MB'),
      figure('worker_rss_end_mb', endOf('worker RSS'), 'MB'),
      figure('api_loop_delay_p99_end_ms', endOf('API event-loop delay p99'), 'ms'),
      figure('requests', requests, 'count'),
      figure('imports', imports.length, 'count'),
      figure('duration_s', durationS, 's'),
    ]); // prettier-ignore
  } finally {
    for (const timer of timers) clearInterval(timer);
    for (const proc of procs) await proc.stop();
    await db?.drop();
    await rm(scratch, { recursive: true, force: true });
    await services.close();
  }
}

await main();
