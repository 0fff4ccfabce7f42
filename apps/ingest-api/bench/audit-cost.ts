// Audit trail cost on bulk writes (SPEC §3.5, ADR 0004): runs infra/postgres/bench/audit-trigger.sql with psql
// as the owner role on a fresh database cloned from the migrated template, several rounds, and reports the
// medians of its three timings (100,000 rows in one INSERT ... SELECT: no audit, the installed statement-level
// audit, a row-level equivalent). Run: pnpm bench audit-cost [-- --rounds N]
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { describeMachine } from './lib/machine.js';
import { figure, reportResult } from './lib/report.js';
import { startBenchServices } from './lib/services.js';
import { fixed, median, table } from './lib/stats.js';

const HELP = `Usage: tsx bench/audit-cost.ts [options]

  --rounds N   runs of the SQL script; medians are reported (default 3)
  --help       this text

Each run inserts 100,000 companies in one statement three times (installed statement-level audit, row-level
audit trigger, no audit) in one transaction that is rolled back. Needs psql on the PATH.`;

const SCRIPT = fileURLToPath(new URL('../../../infra/postgres/bench/audit-trigger.sql', import.meta.url));
const run = promisify(execFile);
const say = (line = '') => process.stdout.write(`${line}\n`);

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    rounds: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  say(HELP);
  process.exit(0);
}

type Variant = 'statement' | 'row' | 'none';
const LABELS: Record<string, Variant> = {
  'statement-level audit (installed):': 'statement',
  'row-level audit:': 'row',
  'no audit:': 'none',
};

/** The script's timings by variant: each `\echo` label is followed by psql's `Time: N ms` line. */
function timings(output: string): Record<Variant, number> {
  const found: Partial<Record<Variant, number>> = {};
  let current: Variant | null = null;
  for (const line of output.split('\n')) {
    const label = LABELS[line.trim()];
    if (label !== undefined) current = label;
    const time = /^Time: ([\d.]+) ms/.exec(line.trim());
    if (time && current !== null) {
      found[current] = Number(time[1]) / 1000;
      current = null;
    }
  }
  if (found.statement === undefined || found.row === undefined || found.none === undefined)
    throw new Error(`audit-trigger.sql printed no timing for every variant:\n${output}`);
  return found as Record<Variant, number>;
}

async function main(): Promise<void> {
  const services = await startBenchServices();
  try {
    say(await describeMachine(services));
    const rounds = Number(args.rounds);
    const results: Record<Variant, number>[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      const db = await services.createDatabase();
      try {
        const { stdout } = await run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-f', SCRIPT, db.ownerUrl]);
        const result = timings(stdout);
        results.push(result);
        say(
          `round ${round}: statement-level ${fixed(result.statement, 2)} s, row-level ${fixed(result.row, 2)} s, ` +
            `no audit ${fixed(result.none, 2)} s`,
        );
      } finally {
        await db.drop();
      }
    }
    const of = (variant: Variant) => median(results.map((result) => result[variant]));
    say(
      `\nmedians over ${rounds} rounds, 100,000 rows in one INSERT ... SELECT into crm.companies (owner, RLS on)`,
    );
    say(
      table([
        ['variant', 'seconds', 'vs no audit'],
        ...(['none', 'statement', 'row'] as const).map((variant) => [
          variant,
          fixed(of(variant), 2),
          (of(variant) / of('none')).toFixed(2),
        ]),
      ]),
    );
    reportResult('audit-cost', [
      // ADR 0004 chose the installed statement-level design because it costs less than a row-level trigger.
      figure('statement_vs_row_level', of('statement') / of('row'), 'ratio', { op: '<', value: 1 }),
      figure('statement_level_vs_no_audit', of('statement') / of('none'), 'ratio'),
      figure('row_level_vs_no_audit', of('row') / of('none'), 'ratio'),
      figure('no_audit_s', of('none'), 's'),
      figure('statement_level_s', of('statement'), 's'),
    ]);
  } finally {
    await services.close();
  }
}

await main();
