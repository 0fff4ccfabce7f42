// What the baseline of the import benchmark pays for: the raw COPY of the same clean rows (bench/import-raw.ts)
// into crm.companies, crm.people and crm.positions as they are, and then with one cost taken away at a time in
// a database of its own (the audit triggers disabled; the crm.search_key expression indexes dropped; every
// index but the primary keys dropped). Variants alternate over rounds, each on a fresh database.
// Run: pnpm --filter @prospectflow/ingest-api exec tsx bench/import-copy-costs.ts [-- --rows N --rounds N]
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { copyCleanRows, createRawOrganisation, prepareCleanRows } from './import-raw.js';
import { describeMachine } from './lib/machine.js';
import { startBenchServices } from './lib/services.js';
import { fixed, median, table } from './lib/stats.js';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    rows: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
  },
});
const rows = Number(args.rows);
const rounds = Number(args.rounds);
const say = (line = '') => process.stdout.write(`${line}\n`);

const VARIANTS: Record<string, string[]> = {
  'as migrated': [],
  'no audit triggers': [
    'ALTER TABLE crm.companies DISABLE TRIGGER audit_insert',
    'ALTER TABLE crm.people DISABLE TRIGGER audit_insert',
    'ALTER TABLE crm.positions DISABLE TRIGGER audit_insert',
  ],
  'no search_key indexes': [
    'DROP INDEX crm.companies_name_search_idx',
    'DROP INDEX crm.people_first_name_search_idx',
    'DROP INDEX crm.people_last_name_search_idx',
  ],
  'primary keys only, no triggers': [
    `DO $$ DECLARE i record; BEGIN
       FOR i IN SELECT n.nspname, c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE x.indrelid IN ('crm.companies'::regclass, 'crm.people'::regclass, 'crm.positions'::regclass)
                   AND NOT x.indisprimary
       LOOP EXECUTE format('DROP INDEX %I.%I', i.nspname, i.relname); END LOOP; END $$`,
    'ALTER TABLE crm.companies DISABLE TRIGGER USER',
    'ALTER TABLE crm.people DISABLE TRIGGER USER',
    'ALTER TABLE crm.positions DISABLE TRIGGER USER',
  ],
};

const services = await startBenchServices();
const dir = await mkdtemp(path.join(os.tmpdir(), 'pf-bench-copy-'));
try {
  say(await describeMachine(services));
  const organisationId = randomUUID();
  const clean = await prepareCleanRows(dir, rows, Number(args.seed), organisationId);
  say(
    `clean rows of ${fixed(rows)} generated rows: ${fixed(clean.companies)} companies, ${fixed(clean.people)} people, ` +
      `${fixed(clean.positions)} positions; ${rounds} rounds, fresh database each\n`,
  );
  const seconds = new Map<string, number[]>(Object.keys(VARIANTS).map((name) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    const names = Object.keys(VARIANTS);
    for (const name of names.map((_, i) => names[(i + round) % names.length] as string)) {
      const db = await services.createDatabase();
      try {
        await createRawOrganisation(db, organisationId);
        const admin = new pg.Client({ connectionString: db.adminUrl });
        await admin.connect();
        for (const statement of VARIANTS[name] ?? []) await admin.query(statement);
        await admin.end();
        const s = await copyCleanRows(db, clean);
        seconds.get(name)?.push(s);
        say(`round ${round + 1} ${name.padEnd(32)} ${fixed(s, 2)} s`);
      } finally {
        await db.drop();
      }
    }
  }
  const base = median(seconds.get('as migrated') ?? []);
  say('');
  say(
    table([
      ['variant', 'median s', 'clean rows/s', 'share of the as-migrated time'],
      ...[...seconds.entries()].map(([name, list]) => [
        name,
        fixed(median(list), 2),
        fixed(clean.positions / median(list)),
        `${fixed((100 * median(list)) / base)}%`,
      ]),
    ]),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
  await services.close();
}
