// One entry point for every benchmark of the repository: `pnpm bench` runs them all, `pnpm bench <name> …` some.
// Each benchmark runs as a child process of its own (it provisions PostgreSQL, pgBouncer and Redis the way the
// tests do), its output streams through, and its BENCH_RESULT line (bench/lib/report.ts) is collected; then a
// summary with every figure, its target and whether it is met, and the results block of doc/performance.md is
// rewritten between its markers with the machine, the date and the commit.
import { execFileSync, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  describeTarget,
  formatValue,
  parseResultLine,
  type BenchFigure,
  type BenchResult,
} from './lib/report.js';
import { table } from './lib/stats.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const DOC = fileURLToPath(new URL('../../../doc/performance.md', import.meta.url));
const DOC_START = '<!-- bench:results:start -->';
const DOC_END = '<!-- bench:results:end -->';

interface BenchDefinition {
  name: string;
  what: string;
  /** Node arguments after `--import tsx`, and the directory they run in. */
  args: string[];
  cwd: string;
  /** Smaller inputs for trying the machinery out (`--quick`); such runs never write the doc. */
  quickArgs: string[];
  quickEnv?: Record<string, string>;
  /** Left out of a bare `pnpm bench`. */
  onlyByName?: boolean;
}

const BENCHES: readonly BenchDefinition[] = [
  {
    name: 'audit-cost',
    what: 'audit trigger cost on a 100,000-row insert (infra/postgres/bench/audit-trigger.sql)',
    args: ['bench/audit-cost.ts'],
    cwd: APP_DIR,
    quickArgs: ['--rounds', '1'],
  },
  {
    name: 'request-path',
    what: 'GET /companies?limit=50 through the API against a bare Express + pg handler',
    args: ['bench/request-path.ts'],
    cwd: APP_DIR,
    quickArgs: ['--companies', '1000', '--duration', '3', '--warmup', '1', '--rounds', '2', '--no-tenant-tx'],
  },
  {
    name: 'ingest',
    what: 'POST /ingest batches against a raw INSERT ... SELECT FROM unnest',
    args: ['bench/ingest.ts'],
    cwd: APP_DIR,
    quickArgs: ['--records', '4000', '--rounds', '1'],
  },
  {
    name: 'pixel',
    what: 'the tracking pixel at 1,000 requests/s and at peak, against a bare Node server',
    args: [
      'tools/test-harness/src/cli.ts',
      '--',
      '--config',
      'apps/ingest-api/bench/vitest.config.ts',
      'pixel-bench',
    ],
    cwd: REPO_DIR,
    quickArgs: [],
    quickEnv: { PIXEL_BENCH_SECONDS: '10', PIXEL_BENCH_PEAK_SECONDS: '3' },
  },
  {
    name: 'record-opens',
    what: 'tracking.record_opens per open with 1,000 and 10,000 new readers a call (linear in the batch)',
    args: [
      'tools/test-harness/src/cli.ts',
      '--',
      '--config',
      'apps/ingest-api/bench/vitest.config.ts',
      'record-opens',
    ],
    cwd: REPO_DIR,
    quickArgs: [],
    quickEnv: { RECORD_OPENS_ROUNDS: '1' },
  },
  {
    name: 'import',
    what: 'CSV import of 1,000,000 rows end to end against a raw COPY, peak RSS, 100,000-row XLSX',
    args: ['bench/import.ts'],
    cwd: APP_DIR,
    quickArgs: ['--rows', '20000', '--small-rows', '5000', '--xlsx-rows', '5000'],
  },
  {
    name: 'soak',
    what: 'mixed traffic at a steady rate for 10 minutes: 5xx, memory, pools, rows lost or duplicated',
    args: ['bench/soak.ts'],
    cwd: APP_DIR,
    quickArgs: ['--duration', '60s'],
    onlyByName: true,
  },
];

const HELP = `Usage: pnpm bench [name ...] [--quick] [--no-doc] [bench options]

  (no name)   every benchmark but the soak: ${BENCHES.filter((b) => !b.onlyByName)
    .map((b) => b.name)
    .join(', ')}
  name        one or more of: ${BENCHES.map((b) => b.name).join(', ')}
  --quick     small inputs, to try the machinery out (never written to the doc)
  --no-doc    do not rewrite the results block of doc/performance.md
  --list      the benchmarks and what each measures
  --help      this text

Options the runner does not know (e.g. pnpm bench soak --duration 60s) go to the one benchmark named; such a
run is not written to the doc either, since its figures are not those of the documented inputs. Every
benchmark starts what the tests start (a migrated template database, a private pgBouncer in transaction mode,
the shared Redis). Exit code 1 when a benchmark fails; targets not met are reported, not an error.`;

interface Outcome {
  bench: BenchDefinition;
  /** HEAD when it started (others commit to this tree meanwhile), "+ work tree" when tracked files differed. */
  commit: string;
  exitCode: number;
  result: BenchResult | null;
  seconds: number;
  startedAt: Date;
  loadAverage: number;
}

function parseCommandLine(argv: readonly string[]): {
  benches: BenchDefinition[];
  forwarded: string[];
  quick: boolean;
  doc: boolean;
} {
  const names: string[] = [];
  const forwarded: string[] = [];
  let quick = false;
  let doc = true;
  for (const arg of argv) {
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${HELP}\n`);
      process.exit(0);
    }
    if (arg === '--list') {
      process.stdout.write(`${table(BENCHES.map((b) => [b.name, b.what]))}\n`);
      process.exit(0);
    }
    if (arg === '--quick') quick = true;
    else if (arg === '--no-doc') doc = false;
    else if (forwarded.length === 0 && !arg.startsWith('-')) names.push(arg);
    else forwarded.push(arg);
  }
  const unknown = names.filter((name) => !BENCHES.some((b) => b.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark: ${unknown.join(', ')} (pnpm bench --list)\n`);
    process.exit(2);
  }
  const benches =
    names.length === 0 ? BENCHES.filter((b) => !b.onlyByName) : BENCHES.filter((b) => names.includes(b.name));
  if (forwarded.length > 0 && benches.length !== 1) {
    process.stderr.write(`options ${forwarded.join(' ')} need exactly one benchmark named\n`);
    process.exit(2);
  }
  return { benches, forwarded, quick, doc: doc && !quick && forwarded.length === 0 };
}

async function runBench(bench: BenchDefinition, extra: string[], quick: boolean): Promise<Outcome> {
  const startedAt = new Date();
  const loadAverage = os.loadavg()[0] ?? 0;
  const commit = currentCommit();
  const args = ['--import', 'tsx', ...bench.args, ...(quick ? bench.quickArgs : []), ...extra];
  process.stdout.write(`\n=== ${bench.name}: ${bench.what}\n=== node ${args.join(' ')}\n\n`);
  const child = spawn(process.execPath, args, {
    cwd: bench.cwd,
    env: { ...process.env, ...(quick ? bench.quickEnv : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let result: BenchResult | null = null;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    process.stdout.write(`${line}\n`);
    result = parseResultLine(line) ?? result;
  });
  // Ctrl-C reaches the whole foreground process group; the child stops its own services.
  const exitCode = await new Promise<number>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 0 : 1))),
  );
  return {
    bench,
    commit,
    exitCode,
    result,
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    startedAt,
    loadAverage,
  };
}

const verdictOf = (f: BenchFigure) => (f.met === null ? '' : f.met ? 'met' : 'NOT met');
const valueOf = (f: BenchFigure) =>
  `${formatValue(f.value, f.unit)}${f.unit === 'ratio' || f.unit === 'count' ? '' : ` ${f.unit}`}`;

function summaryRows(outcome: Outcome): string[][] {
  const { bench, result, exitCode } = outcome;
  if (exitCode !== 0) return [[bench.name, `failed (exit code ${exitCode})`, '', '', '']];
  if (result === null) return [[bench.name, 'no result', '', '', '']];
  return (result as BenchResult).figures.map((f) => [
    bench.name,
    f.name,
    valueOf(f),
    describeTarget(f.target, f.unit),
    verdictOf(f),
  ]);
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function currentCommit(): string {
  const head = git(['rev-parse', '--short', 'HEAD']);
  return git(['status', '--porcelain', '--untracked-files=no']) === '' ? head : `${head} + work tree`;
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** Rows of the doc's table for one outcome; the date, commit, machine and load on its first row. */
function docRows(outcome: Outcome): string[] {
  const when = `${outcome.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const context = [when, outcome.commit, machine(), outcome.loadAverage.toFixed(1)];
  return summaryRows(outcome).map(
    (row, i) => `| ${[...row, ...(i === 0 ? context : ['', '', '', ''])].map(cell).join(' | ')} |`,
  );
}

/**
 * Rewrites the table between the markers: the rows of the benchmarks just run are replaced, the others kept, so
 * that `pnpm bench pixel` does not erase the import's figures.
 */
function rewriteBlock(doc: string, outcomes: readonly Outcome[]): string {
  const start = doc.indexOf(DOC_START);
  const end = doc.indexOf(DOC_END);
  if (start < 0 || end < start) throw new Error(`doc/performance.md has no ${DOC_START} … ${DOC_END} block`);
  const previous = doc
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| bench |') && !line.startsWith('|---'));
  const rows = BENCHES.flatMap((bench) => {
    const outcome = outcomes.find((o) => o.bench === bench);
    return outcome === undefined
      ? previous.filter((line) => line.startsWith(`| ${bench.name} |`))
      : docRows(outcome);
  });
  const block = [
    DOC_START,
    '<!-- Written by `pnpm bench` (apps/ingest-api/bench/run.ts): rows of the benchmarks run are replaced. -->',
    '| bench | figure | value | target | met | date | commit | machine | load |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  return `${doc.slice(0, start)}${block}${doc.slice(end)}`;
}

async function main(): Promise<void> {
  const { benches, forwarded, quick, doc } = parseCommandLine(process.argv.slice(2));
  const outcomes: Outcome[] = [];
  for (const bench of benches) outcomes.push(await runBench(bench, forwarded, quick));

  const commit = currentCommit();
  process.stdout.write(
    `\n=== summary: ${machine()}, commit ${commit}, ${new Date().toISOString()}\n` +
      `${table([['bench', 'figure', 'value', 'target', 'met'], ...outcomes.flatMap(summaryRows)])}\n` +
      outcomes.map((o) => `${o.bench.name}: ${Math.round(o.seconds)} s`).join(', ') +
      '\n',
  );
  const notMet = outcomes.flatMap((o) => o.result?.figures.filter((f) => f.met === false) ?? []).length;
  if (notMet > 0) process.stdout.write(`${notMet} figure(s) miss their target\n`);
  if (doc) {
    const text = await readFile(DOC, 'utf8');
    await writeFile(DOC, rewriteBlock(text, outcomes));
    process.stdout.write(`doc/performance.md: results block rewritten\n`);
  } else {
    process.stdout.write('doc/performance.md left as it is (--quick, --no-doc or bench options given)\n');
  }
  process.exit(outcomes.some((o) => o.exitCode !== 0) ? 1 : 0);
}

await main();
