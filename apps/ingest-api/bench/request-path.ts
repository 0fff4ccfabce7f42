// Request-path benchmark (issue 8 §7, SPEC §10): an authenticated, organisation-scoped
// GET /api/v1/companies?limit=50 through pgBouncer against a bare Express + pg handler running the same SQL
// without auth, session or RLS, in the same run, with autocannon, a warm-up and interleaved rounds. Target: the
// API at least 70% of the bare throughput. Run: pnpm --filter @prospectflow/ingest-api bench:request-path
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { withAdmin } from '@prospectflow/test-harness';
import { createOrganisation, startBenchApi, type BenchApi } from './lib/api.js';
import { backendPids, findPid, measureCpu } from './lib/cpu.js';
import { load, type LoadResult } from './lib/load.js';
import { describeMachine } from './lib/machine.js';
import { generateProspects } from './lib/prospects.js';
import { startServerProcess, type ServerProcess } from './lib/server-process.js';
import { BYPASS_ROLE, startBenchServices } from './lib/services.js';
import { figure, reportResult } from './lib/report.js';
import { fixed, median, table, verdict } from './lib/stats.js';

const HELP = `Usage: pnpm --filter @prospectflow/ingest-api bench:request-path [-- options]

  --companies N     companies seeded (through POST /ingest) before measuring (default 3000)
  --connections N   autocannon connections (default 32)
  --duration S      seconds of each measured run (default 10)
  --warmup S        seconds of warm-up of each server, not counted (default 5)
  --rounds N        interleaved rounds; medians are reported (default 7)
  --no-tenant-tx    leave out the diagnostic variant (bare handler with the API's tenant transaction)
  --cpu-prof DIR    write a CPU profile of the API process to DIR (also measured; read it with
                    bench/lib/profile-summary.ts)
  --help            this text

Variants, each a server in a child process of its own:
  api        the API as built by buildRuntime: auth (JWT), Redis session and rate limits, organisation scope,
             tenant transaction as prospectflow_app through pgBouncer with RLS
  bare       express + pg, one statement as a BYPASSRLS role through the same pgBouncer, no auth, session,
             RLS or transaction (the tenant predicate written out in the SQL)
  bare-tx    express + pg, the repository's query in the API's tenant transaction (withScope) as
             prospectflow_app through pgBouncer with RLS, no auth or session: the database shape alone`;

const TARGET = 0.7;

const { values: args } = parseArgs({
  // pnpm passes the `--` that separates its options from the script's on.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    companies: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '7' },
    'no-tenant-tx': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const say = (line = '') => process.stdout.write(`${line}\n`);
const connections = Number(args.connections);
const durationSeconds = Number(args.duration);
const rounds = Number(args.rounds);

type Variant = 'api' | 'bare' | 'bare-tx';
interface Target {
  variant: Variant;
  server: ServerProcess;
  url: string;
  headers: Record<string, string>;
  /** The database role its queries run as, to find its PostgreSQL backends. */
  role: string;
}

/** CPU milliseconds per successful request, by process group. */
interface CpuPerRequest {
  node: number;
  postgres: number;
  pgbouncer: number;
  /** The shared redis-server: what other users of it do meanwhile is counted too, in every variant alike. */
  redis: number;
}
interface Measured extends LoadResult {
  cpu: CpuPerRequest;
}
const totalCpu = (cpu: CpuPerRequest) => cpu.node + cpu.postgres + cpu.pgbouncer + cpu.redis;

async function seed(api: BenchApi, owner: string, organisationId: string, count: number): Promise<void> {
  const records = generateProspects({ count, seed: 7 });
  for (let start = 0; start < records.length; start += 1000) {
    await api.call(
      'POST',
      '/api/v1/ingest',
      owner,
      { records: records.slice(start, start + 1000) },
      organisationId,
    );
  }
}

async function sameAnswer(targets: readonly Target[]): Promise<void> {
  const ids = await Promise.all(
    targets.map(async (target) => {
      const response = await fetch(target.url, { headers: target.headers });
      if (response.status !== 200) throw new Error(`${target.variant} answered ${response.status}`);
      const body = (await response.json()) as { items: { id: string }[] };
      return body.items.map((item) => item.id).join(',');
    }),
  );
  if (new Set(ids).size !== 1 || ids[0] === '')
    throw new Error('the variants do not answer with the same page');
}

async function main(): Promise<void> {
  const services = await startBenchServices();
  const started: { stop(): Promise<void> }[] = [];
  try {
    say(await describeMachine(services));
    const db = await services.createDatabase();
    started.push({ stop: () => db.drop() });
    const cpuProfileDir = args['cpu-prof'] === undefined ? undefined : path.resolve(args['cpu-prof']);
    if (cpuProfileDir !== undefined) await mkdir(cpuProfileDir, { recursive: true });
    let api = await startBenchApi(services, db);
    started.unshift({ stop: () => api.close() });
    const owner = 'owner@bench-request-path.example';
    const organisationId = await createOrganisation(api, owner, 'Bench request path');
    // Another tenant with rows of its own, so that the tenant predicate and RLS have something to keep out.
    const neighbour = 'owner@bench-neighbour.example';
    const neighbourId = await createOrganisation(api, neighbour, 'Bench neighbour');
    await seed(api, owner, organisationId, Number(args.companies));
    await seed(api, neighbour, neighbourId, 1000);
    // Statistics as autovacuum would leave them, taken now rather than by autoanalyze in the middle of a round.
    await withAdmin(db.adminUrl, (admin) => admin.query('ANALYZE'));
    const userId = (await api.call<{ user: { id: string } }>('GET', '/api/v1/me', owner)).user.id;
    if (cpuProfileDir !== undefined) {
      // A fresh API process for the measured part, so that its profile holds no seeding.
      await api.close();
      api = await startBenchApi(services, db, { cpuProfileDir });
    }

    const route = '/api/v1/companies?limit=50';
    const targets: Target[] = [
      {
        variant: 'api',
        server: api.server,
        url: `${api.server.url}${route}`,
        headers: { Authorization: `Bearer ${api.token(owner)}`, 'X-Organisation-Id': organisationId },
        role: 'prospectflow_app',
      },
    ];
    const bareUrl = await services.bypassRlsUrl(db, [
      'USAGE ON SCHEMA crm',
      'SELECT ON crm.companies',
      'EXECUTE ON FUNCTION crm.search_key(text)',
    ]);
    const bare = await startServerProcess({
      kind: 'bare',
      databaseUrl: bareUrl,
      poolMax: 10,
      organisationId,
    });
    started.unshift(bare);
    targets.push({
      variant: 'bare',
      server: bare,
      url: `${bare.url}${route}`,
      headers: {},
      role: BYPASS_ROLE,
    });
    if (!args['no-tenant-tx']) {
      const tenant = await startServerProcess({
        kind: 'bare-tenant',
        databaseUrl: db.appUrl,
        poolMax: 10,
        organisationId,
        userId,
      });
      started.unshift(tenant);
      targets.push({
        variant: 'bare-tx',
        server: tenant,
        url: `${tenant.url}${route}`,
        headers: {},
        role: 'prospectflow_app',
      });
    }
    await sameAnswer(targets);
    say(
      `data: ${fixed(Number(args.companies))} companies in the measured organisation, 1,000 in another; ` +
        `every variant answers the same 50 rows`,
    );
    say(
      `load: autocannon, ${connections} connections, ${args.warmup} s warm-up per server, ${rounds} rounds of ` +
        `${durationSeconds} s per variant, order alternating each round; the API logs at warn\n`,
    );

    for (const target of targets) {
      await load({
        url: target.url,
        headers: target.headers,
        connections,
        durationSeconds: Number(args.warmup),
      });
    }
    const bouncerPid = await findPid(`pgbouncer-${services.bouncer.port}/`);
    const redisPid = await findPid(`redis-server ${new URL(services.redisUrl).host}`);
    const measure = async (target: Target): Promise<Measured> => {
      const node = await measureCpu(async () => [target.server.pid]);
      const postgres = await measureCpu(() => backendPids(services.adminUrl, db.name, target.role));
      const pgbouncer = await measureCpu(async () => (bouncerPid === null ? [] : [bouncerPid]));
      const redis = await measureCpu(async () => (redisPid === null ? [] : [redisPid]));
      const result = await load({ url: target.url, headers: target.headers, connections, durationSeconds });
      const served = result.requestsPerSecond * durationSeconds;
      return {
        ...result,
        cpu: {
          node: (await node()) / served,
          postgres: (await postgres()) / served,
          pgbouncer: (await pgbouncer()) / served,
          redis: (await redis()) / served,
        },
      };
    };
    const results = new Map<Variant, Measured[]>(targets.map((target) => [target.variant, []]));
    for (let round = 1; round <= rounds; round += 1) {
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      const line: string[] = [];
      for (const target of order) {
        const result = await measure(target);
        if (result.failures > 0) throw new Error(`${target.variant}: ${result.failures} failed requests`);
        results.get(target.variant)?.push(result);
        line.push(
          `${target.variant} ${fixed(result.requestsPerSecond)} req/s p99 ${result.p99Ms} ms ` +
            `cpu ${totalCpu(result.cpu).toFixed(2)} ms/req`,
        );
      }
      say(`round ${round}: ${line.join(' | ')}`);
    }

    const of = (variant: Variant) => results.get(variant) ?? [];
    const rate = (variant: Variant) => median(of(variant).map((result) => result.requestsPerSecond));
    const cpuOf = (variant: Variant, part: keyof CpuPerRequest | 'total') =>
      median(of(variant).map(({ cpu }) => (part === 'total' ? totalCpu(cpu) : cpu[part])));
    const rows = targets.map(({ variant }) => [
      variant,
      fixed(rate(variant)),
      fixed(median(of(variant).map((result) => result.p50Ms)), 1),
      fixed(median(of(variant).map((result) => result.p99Ms)), 1),
      (rate(variant) / rate('bare')).toFixed(2),
      cpuOf(variant, 'node').toFixed(2),
      cpuOf(variant, 'postgres').toFixed(2),
      cpuOf(variant, 'pgbouncer').toFixed(2),
      cpuOf(variant, 'redis').toFixed(2),
      cpuOf(variant, 'total').toFixed(2),
      (cpuOf('bare', 'total') / cpuOf(variant, 'total')).toFixed(2),
    ]);
    say(
      '\nmedians over the rounds; CPU in ms per request (server process, its PostgreSQL backends, pgBouncer, Redis)',
    );
    say(
      table([
        [
          'variant',
          'req/s',
          'p50 ms',
          'p99 ms',
          'vs bare',
          'node',
          'postgres',
          'pgbouncer',
          'redis',
          'cpu',
          'bare/cpu',
        ],
        ...rows,
      ]),
    );
    const perRound = of('api').map(
      (result, i) => result.requestsPerSecond / (of('bare')[i]?.requestsPerSecond ?? NaN),
    );
    say(`\nAPI / bare per round: ${perRound.map((ratio) => ratio.toFixed(2)).join(' ')}`);
    say(`API / bare (medians): ${verdict(rate('api') / rate('bare'), TARGET)}`);
    say(
      'CPU per request, bare / API (medians; the load generator not counted): ' +
        verdict(cpuOf('bare', 'total') / cpuOf('api', 'total'), TARGET),
    );
    reportResult('request-path', [
      figure('api_vs_bare_requests', rate('api') / rate('bare'), 'ratio', { op: '>=', value: TARGET }),
      figure('api_requests_per_s', rate('api'), 'req/s'),
      figure('bare_requests_per_s', rate('bare'), 'req/s'),
      figure('api_p99_ms', median(of('api').map((result) => result.p99Ms)), 'ms'),
      figure('bare_p99_ms', median(of('bare').map((result) => result.p99Ms)), 'ms'),
      figure('bare_vs_api_cpu_per_request', cpuOf('bare', 'total') / cpuOf('api', 'total'), 'ratio'),
    ]);
  } finally {
    for (const server of started) await server.stop();
    await services.close();
  }
  if (args['cpu-prof'] !== undefined) say(`CPU profile of the API process written to ${args['cpu-prof']}`);
}

await main();
