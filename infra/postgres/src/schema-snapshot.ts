import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MIGRATIONS_TABLE } from './migrate.js';

const run = promisify(execFile);

export const schemaSnapshotPath = fileURLToPath(new URL('../schema.sql', import.meta.url));

/**
 * Dumps the schema of a migrated database in a stable form: no owners (they depend on who migrated), no
 * dump-time headers or pg_dump's per-run `\restrict` keys, no migration bookkeeping table.
 */
export async function dumpSchema(databaseUrl: string): Promise<string> {
  const { stdout } = await run(
    'pg_dump',
    ['--schema-only', '--no-owner', `--exclude-table=public.${MIGRATIONS_TABLE}*`, '--dbname', databaseUrl],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return normaliseDump(stdout);
}

export function normaliseDump(dump: string): string {
  const lines = dump
    .split('\n')
    .filter(
      (line) =>
        !line.startsWith('-- Dumped from') &&
        !line.startsWith('-- Dumped by') &&
        !line.startsWith('\\restrict') &&
        !line.startsWith('\\unrestrict') &&
        !/^SET \w+ = /.test(line) &&
        !line.startsWith('SELECT pg_catalog.set_config('),
    );
  return (
    lines
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim() + '\n'
  );
}

export async function writeSchemaSnapshot(databaseUrl: string): Promise<string> {
  const schema = await dumpSchema(databaseUrl);
  await writeFile(schemaSnapshotPath, schema);
  return schemaSnapshotPath;
}

/** Returns null when the committed snapshot matches the database, else a short description of the first difference. */
export async function compareSchemaSnapshot(databaseUrl: string): Promise<string | null> {
  const [actual, committed] = await Promise.all([
    dumpSchema(databaseUrl),
    readFile(schemaSnapshotPath, 'utf8').catch(() => ''),
  ]);
  if (actual === committed) return null;
  const a = actual.split('\n');
  const c = committed.split('\n');
  const at = a.findIndex((line, i) => line !== c[i]);
  const lineNo = at === -1 ? Math.min(a.length, c.length) : at;
  return `schema.sql differs from the migrated schema at line ${lineNo + 1}:\n  committed: ${c[lineNo] ?? '<end of file>'}\n  migrated:  ${a[lineNo] ?? '<end of file>'}`;
}
