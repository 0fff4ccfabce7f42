// Ingest benchmark (issue 8 §7, SPEC §10): prospect records posted as batches to POST /api/v1/ingest through
// the API and pgBouncer, sequentially and with concurrent clients, against a raw INSERT ... SELECT FROM unnest
// of the same records, already clean, into the same tables in the same run. Target: the API at least 50% of the
// raw rate. Run: pnpm --filter @prospectflow/ingest-api bench:ingest [-- --help]
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { hasErrors, validateRecord, type EntityValues } from '../src/components/crm/crm-record.js';
import { withTenantTransaction, withTransaction, type Sql } from '../src/platform/db/index.js';
import { createOrganisation, startBenchApi } from './lib/api.js';
import { describeMachine } from './lib/machine.js';
import { digest, generateProspects, type ProspectRecord } from './lib/prospects.js';
import { startBenchServices, type BenchServices } from './lib/services.js';
import { figure, reportResult } from './lib/report.js';
import { fixed, median, percentile, table, verdict } from './lib/stats.js';

const HELP = `Usage: pnpm --filter @prospectflow/ingest-api bench:ingest [-- options]

  --records N       records in all (default 100000)
  --batch N         records per batch (default 1000)
  --concurrency N   clients of the concurrent runs (default 4)
  --rounds N        interleaved rounds of the four variants; medians are reported (default 3)
  --seed N          seed of the record generator (default 42)
  --repeat-share X  share of records that repeat an earlier record's company (default 0.2)
  --cpu-prof DIR    write a CPU profile of each API process to DIR (read one with bench/lib/profile-summary.ts)
  --help            this text

Starts what the tests start (a migrated template, a private pgBouncer in transaction mode, real Redis), and
gives every variant of every round a fresh database cloned from the template. Exit code 0 whatever the figures;
1 when a run fails or stores other rows than expected.`;

const TARGET = 0.5;

const { values: args } = parseArgs({
  // pnpm passes the `--` that separates its options from the script's on.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    records: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
    'repeat-share': { type: 'string', default: '0.2' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const recordCount = Number(args.records);
const batchSize = Number(args.batch);
const concurrency = Number(args.concurrency);
const rounds = Number(args.rounds);
const say = (line = '') => process.stdout.write(`${line}\n`);

type Variant = 'api-sequential' | 'raw-sequential' | 'api-concurrent' | 'raw-concurrent';
interface Run {
  seconds: number;
  batchMs: number[];
}
interface Expected {
  companies: number;
  people: number;
  positions: number;
}

// The columns the merge writes, with the array types it stages them as (crm-merge.repository.ts).
const BIGINT = new Set(['annual_revenue_eur']);
const SMALLINT = new Set(['email_reliability']);
const CITEXT = new Set(['generic_email', 'domain', 'email']);
const COLUMNS = {
  company: [
    'pharow_company_id', 'siren', 'hq_siret', 'name', 'brand_name', 'naf_code', 'naf_nomenclature', 'activity',
    'employee_range', 'annual_revenue_eur', 'main_phone', 'generic_email', 'website_url', 'domain',
    'linkedin_url', 'hq_address', 'hq_postal_code', 'hq_city', 'hq_country',
  ],
  person: ['first_name', 'last_name', 'salutation', 'linkedin_url', 'mobile_phone'],
  position: ['job_title', 'email', 'email_status', 'email_reliability', 'source', 'source_list'],
} as const; // prettier-ignore
const typeOf = (column: string) =>
  BIGINT.has(column) ? 'bigint' : SMALLINT.has(column) ? 'smallint' : CITEXT.has(column) ? 'citext' : 'text';

function insertSql(
  table: string,
  columns: readonly string[],
  links: readonly string[],
  onConflict = '',
): string {
  const all = [...links, ...columns];
  const types = [
    '$2::uuid[]',
    ...all.map((c, i) => `$${i + 3}::${links.includes(c) ? 'uuid' : typeOf(c)}[]`),
  ];
  const select = all.map((c) => (c === 'hq_country' ? `coalesce(i.${c}, 'FR')` : `i.${c}`));
  return `INSERT INTO ${table} (organisation_id, id, ${all.join(', ')})
  SELECT $1, i.id, ${select.join(', ')} FROM unnest(${types.join(', ')}) AS i(id, ${all.join(', ')})${onConflict}`;
}
// A company that an earlier batch (perhaps one still running, in the concurrent run) inserted is skipped: the
// wait on the unique index orders the batches, and ids sorted within a batch keep them from deadlocking.
const INSERT_COMPANIES = insertSql(
  'crm.companies',
  COLUMNS.company,
  [],
  '\n  ON CONFLICT (organisation_id, siren) WHERE siren IS NOT NULL DO NOTHING',
);
const INSERT_PEOPLE = insertSql('crm.people', COLUMNS.person, []);
const INSERT_POSITIONS = insertSql('crm.positions', COLUMNS.position, ['person_id', 'company_id']);

/** One raw batch: its companies (deduplicated, by id), people and positions as one array per column. */
interface RawBatch {
  companies: unknown[][];
  people: unknown[][];
  positions: unknown[][];
}

function columnsOf(rows: readonly EntityValues[], ids: string[], columns: readonly string[]): unknown[][] {
  return [ids, ...columns.map((column) => rows.map((row) => row[column] ?? null))];
}

/** The records as the API stores them (its own rules, run before the clock starts), cut into raw batches. */
function cleanBatches(records: readonly ProspectRecord[]): { batches: RawBatch[]; expected: Expected } {
  const companyIds = new Map<string, string>();
  const batches: RawBatch[] = [];
  let people = 0;
  for (let start = 0; start < records.length; start += batchSize) {
    const companies = new Map<string, EntityValues>();
    const persons: EntityValues[] = [];
    const positions: EntityValues[] = [];
    const personIds: string[] = [];
    const links: { person: string; company: string }[] = [];
    for (const raw of records.slice(start, start + batchSize)) {
      const { record, problems } = validateRecord(raw);
      if (hasErrors(problems) || !record.company || !record.person || !record.position) {
        throw new Error(`the generator made a record the rules reject: ${JSON.stringify(problems)}`);
      }
      const siren = String(record.company['siren']);
      let companyId = companyIds.get(siren);
      if (companyId === undefined) {
        companyId = randomUUID();
        companyIds.set(siren, companyId);
      }
      companies.set(companyId, record.company);
      const personId = randomUUID();
      persons.push(record.person);
      personIds.push(personId);
      positions.push(record.position);
      links.push({ person: personId, company: companyId });
    }
    people += persons.length;
    const companyEntries = [...companies.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    batches.push({
      companies: columnsOf(
        companyEntries.map(([, row]) => row),
        companyEntries.map(([id]) => id),
        COLUMNS.company,
      ),
      people: columnsOf(persons, personIds, COLUMNS.person),
      positions: [
        positions.map(() => randomUUID()),
        links.map((link) => link.person),
        links.map((link) => link.company),
        ...COLUMNS.position.map((column) => positions.map((row) => row[column] ?? null)),
      ],
    });
  }
  return { batches, expected: { companies: companyIds.size, people, positions: people } };
}

/** Runs `work` on items with `workers` concurrent workers; the per-item milliseconds and the wall time. */
async function timed<T>(
  items: readonly T[],
  workers: number,
  work: (item: T) => Promise<void>,
): Promise<Run> {
  const batchMs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        const t0 = performance.now();
        await work(item);
        batchMs.push(performance.now() - t0);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, batchMs };
}

async function countRows(adminUrl: string, organisationId: string): Promise<Expected> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const count = async (table: string) =>
      Number(
        (await client.query(`SELECT count(*) FROM ${table} WHERE organisation_id = $1`, [organisationId]))
          .rows[0].count,
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

function checkRows(variant: Variant, rows: Expected, expected: Expected): void {
  if (
    rows.companies !== expected.companies ||
    rows.people !== expected.people ||
    rows.positions !== expected.positions
  )
    throw new Error(`${variant} stored ${JSON.stringify(rows)}, expected ${JSON.stringify(expected)}`);
}

async function runApi(
  services: BenchServices,
  bodies: readonly string[],
  workers: number,
  expected: Expected,
): Promise<Run> {
  const db = await services.createDatabase();
  const cpuProfileDir = args['cpu-prof'] === undefined ? undefined : path.resolve(args['cpu-prof']);
  if (cpuProfileDir !== undefined) await mkdir(cpuProfileDir, { recursive: true });
  const api = await startBenchApi(services, db, cpuProfileDir === undefined ? {} : { cpuProfileDir });
  try {
    const owner = 'owner@bench-ingest.example';
    const organisationId = await createOrganisation(api, owner, 'Bench ingest');
    const headers = {
      Authorization: `Bearer ${api.token(owner)}`,
      'X-Organisation-Id': organisationId,
      'Content-Type': 'application/json',
    };
    const run = await timed(bodies, workers, async (body) => {
      const response = await fetch(`${api.server.url}/api/v1/ingest`, { method: 'POST', headers, body });
      const text = await response.text();
      if (response.status !== 200)
        throw new Error(`ingest answered ${response.status}: ${text.slice(0, 300)}`);
      const { totals } = JSON.parse(text) as { totals: { rejected: number } };
      if (totals.rejected !== 0) throw new Error(`ingest rejected ${totals.rejected} records`);
    });
    checkRows(
      workers === 1 ? 'api-sequential' : 'api-concurrent',
      await countRows(db.adminUrl, organisationId),
      expected,
    );
    return run;
  } finally {
    await api.close();
    await db.drop();
  }
}

async function runRaw(
  services: BenchServices,
  batches: readonly RawBatch[],
  workers: number,
  expected: Expected,
): Promise<Run> {
  const db = await services.createDatabase();
  // The API's role and path: prospectflow_app through pgBouncer, row-level security, a tenant transaction.
  const pool = new pg.Pool({ connectionString: db.appUrl, max: workers });
  try {
    const userId = await withTransaction(pool, {}, async (sql) => {
      const row = await sql.one<{ user_id: string }>('SELECT user_id FROM iam.sync_user($1, $2, $3, $4)', [
        'sub-bench-raw',
        'owner@bench-raw.example',
        'Bench',
        'Raw',
      ]);
      return row.user_id;
    });
    const organisationId = randomUUID();
    const tenant = { organisationId, userId, correlationId: 'bench-raw' };
    await withTenantTransaction(pool, tenant, async (sql) => {
      await sql.query('INSERT INTO iam.organisations (id, name, slug) VALUES ($1, $2, $3)', [
        organisationId,
        'Bench raw',
        `bench-raw-${organisationId.slice(0, 8)}`,
      ]);
      await sql.query(
        "INSERT INTO iam.organisation_users (organisation_id, user_id, role, status) VALUES ($1, $2, 'owner', 'active')",
        [organisationId, userId],
      );
    });
    const insert = (sql: Sql, text: string, arrays: unknown[][]) =>
      sql.query(text, [organisationId, ...arrays]);
    const run = await timed(batches, workers, (batch) =>
      withTenantTransaction(pool, tenant, async (sql) => {
        await insert(sql, INSERT_COMPANIES, batch.companies);
        await insert(sql, INSERT_PEOPLE, batch.people);
        await insert(sql, INSERT_POSITIONS, batch.positions);
      }),
    );
    checkRows(
      workers === 1 ? 'raw-sequential' : 'raw-concurrent',
      await countRows(db.adminUrl, organisationId),
      expected,
    );
    return run;
  } finally {
    await pool.end();
    await db.drop();
  }
}

async function main(): Promise<void> {
  const services = await startBenchServices();
  try {
    say(await describeMachine(services));
    const t0 = performance.now();
    const records = generateProspects({
      count: recordCount,
      seed: Number(args.seed),
      repeatShare: Number(args['repeat-share']),
    });
    const bodies: string[] = [];
    for (let start = 0; start < records.length; start += batchSize)
      bodies.push(JSON.stringify({ records: records.slice(start, start + batchSize) }));
    const { batches, expected } = cleanBatches(records);
    say(
      `data: ${fixed(records.length)} records (seed ${args.seed}, digest ${digest(records)}), ${bodies.length} batches of ` +
        `${batchSize}; ${fixed(expected.companies)} distinct companies; prepared in ${fixed((performance.now() - t0) / 1000, 1)} s`,
    );
    say(
      `load: ${rounds} interleaved rounds, concurrent runs with ${concurrency} clients, each run on a fresh database\n`,
    );

    const variants: Variant[] = ['api-sequential', 'raw-sequential', 'api-concurrent', 'raw-concurrent'];
    const results = new Map<Variant, Run[]>(variants.map((variant) => [variant, []]));
    for (let round = 1; round <= rounds; round += 1) {
      // The order rotates from round to round so that no variant always runs first (or last) on a warming machine.
      const order = variants.map((_, i) => variants[(i + round - 1) % variants.length] as Variant);
      for (const variant of order) {
        const workers = variant.endsWith('concurrent') ? concurrency : 1;
        const run = variant.startsWith('api')
          ? await runApi(services, bodies, workers, expected)
          : await runRaw(services, batches, workers, expected);
        results.get(variant)?.push(run);
        say(
          `round ${round} ${variant.padEnd(15)} ${fixed(records.length / run.seconds).padStart(7)} records/s  ` +
            `batch p50 ${fixed(percentile(run.batchMs, 50))} ms  p99 ${fixed(percentile(run.batchMs, 99))} ms`,
        );
      }
    }

    const rate = (variant: Variant) =>
      median((results.get(variant) ?? []).map((run) => records.length / run.seconds));
    const batchPercentile = (variant: Variant, p: number) =>
      median((results.get(variant) ?? []).map((run) => percentile(run.batchMs, p)));
    say(
      '\nmedians over the rounds (rows stored checked after every run: ' +
        `${fixed(expected.companies)} companies, ${fixed(expected.people)} people, ${fixed(expected.positions)} positions)`,
    );
    say(
      table([
        ['variant', 'records/s', 'batch p50 ms', 'batch p99 ms'],
        ...variants.map((variant) => [
          variant,
          fixed(rate(variant)),
          fixed(batchPercentile(variant, 50)),
          fixed(batchPercentile(variant, 99)),
        ]),
      ]),
    );
    say('');
    say(
      `API / raw, sequential:              ${verdict(rate('api-sequential') / rate('raw-sequential'), TARGET)}`,
    );
    say(
      `API / raw, ${concurrency} concurrent clients:     ${verdict(rate('api-concurrent') / rate('raw-concurrent'), TARGET)}`,
    );
    reportResult('ingest', [
      figure('api_vs_raw_sequential', rate('api-sequential') / rate('raw-sequential'), 'ratio', {
        op: '>=',
        value: TARGET,
      }),
      figure('api_vs_raw_concurrent', rate('api-concurrent') / rate('raw-concurrent'), 'ratio', {
        op: '>=',
        value: TARGET,
      }),
      ...variants.map((variant) =>
        figure(`${variant.replace('-', '_')}_records_per_s`, rate(variant), 'records/s'),
      ),
      figure('api_sequential_batch_p99_ms', batchPercentile('api-sequential', 99), 'ms'),
    ]);
  } finally {
    await services.close();
  }
}

await main();
