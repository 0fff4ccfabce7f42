import pg from 'pg';
import { compareSchemaSnapshot, writeSchemaSnapshot } from './schema-snapshot.js';
import { checkDistributionKeys, formatDistributionReport } from './distribution-keys.js';
import { compareErd, writeErd } from './erd.js';
import { migrate } from './migrate.js';

const usage = `usage: cli.ts <up|down|schema> [options]
  up [N]            apply pending migrations (all, or N)
  down [N|all]      revert the last migration (or N, or all)
  schema [--check]  rewrite infra/postgres/schema.sql from the database (or check it is current)
  erd [--check]     rewrite the generated diagrams of doc/erd.md from the database (or check they are current)
  distribution      check every tenant table's keys include organisation_id (what Citus needs); exit 1 on findings
Reads DATABASE_MIGRATION_URL: the owner role over a direct connection (never pgBouncer).`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const [command, arg] = process.argv.slice(2);
// The CLI is the process boundary, so it reads its own environment.
const databaseUrl = process.env['DATABASE_MIGRATION_URL'];
if (command === undefined || command === '--help' || command === '-h') {
  process.stdout.write(`${usage}\n`);
  process.exit(command === undefined ? 1 : 0);
}
if (!databaseUrl) fail('DATABASE_MIGRATION_URL is not set (owner role, direct connection to PostgreSQL).');
const allowPortMapping = process.env['DATABASE_MIGRATION_ALLOW_PORT_MAPPING'] === 'true';
const log = (line: string) => process.stdout.write(`${line}\n`);

function parseCount(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === 'all') return Infinity;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`count must be a positive integer or "all", got "${value}"`);
  return n;
}

try {
  switch (command) {
    case 'up':
    case 'down': {
      const count = parseCount(arg, command === 'up' ? Infinity : 1);
      const done = await migrate({ databaseUrl, direction: command, count, allowPortMapping, log });
      log(
        done.length === 0
          ? 'No migrations to run.'
          : `${command === 'up' ? 'Applied' : 'Reverted'} ${done.length}: ${done.map((m) => m.name).join(', ')}`,
      );
      break;
    }
    case 'schema': {
      if (arg === '--check') {
        const difference = await compareSchemaSnapshot(databaseUrl);
        if (difference !== null)
          fail(
            `${difference}\nRun \`pnpm db:schema\` against a freshly migrated database and commit the result.`,
          );
        log('schema.sql is current.');
      } else {
        log(`Wrote ${await writeSchemaSnapshot(databaseUrl)}`);
      }
      break;
    }
    case 'erd': {
      if (arg === '--check') {
        const difference = await compareErd(databaseUrl);
        if (difference !== null)
          fail(
            `${difference}\nRun \`pnpm db:erd\` against a freshly migrated database (or \`pnpm db:schema:refresh\`).`,
          );
        log('doc/erd.md is current.');
      } else {
        log(`Wrote ${await writeErd(databaseUrl)}`);
      }
      break;
    }
    case 'distribution': {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const report = await checkDistributionKeys(client);
        process.stdout.write(formatDistributionReport(report));
        if (report.findings.length > 0) process.exitCode = 1;
      } finally {
        await client.end();
      }
      break;
    }
    default:
      fail(usage);
  }
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
