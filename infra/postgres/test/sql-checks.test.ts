import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@prospectflow/test-harness';
import { sqlDir } from '../src/index.js';

const run = promisify(execFile);

interface PsqlResult {
  code: number;
  output: string;
}

async function psqlFile(url: string, file: string): Promise<PsqlResult> {
  try {
    const { stdout, stderr } = await run('psql', [
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      '-f',
      path.join(sqlDir, file),
      url,
    ]);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, output: (failure.stdout ?? '') + (failure.stderr ?? '') };
  }
}

async function snapshot(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Row counts of every domain table (as the superuser, so RLS hides nothing) and the object count.
    const { rows } = await client.query<{ state: string }>(
      `SELECT string_agg(format('%s.%s=%s', schemaname, tablename,
                (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', schemaname, tablename),
                                                      false, true, '')))[1]::text), ',' ORDER BY schemaname, tablename)
              || ';objects=' || (SELECT count(*) FROM pg_class) AS state
         FROM pg_tables WHERE schemaname IN ('iam', 'crm', 'outreach', 'tracking', 'audit')`,
    );
    return rows[0]?.state ?? '';
  } finally {
    await client.end();
  }
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe.each(['validation-tests.sql', 'rls-audit.sql'])('%s', (file) => {
  it('passes on a freshly migrated database, as the owner, and leaves no trace', async () => {
    const before = await snapshot(db.adminUrl);
    const result = await psqlFile(db.ownerUrl, file);
    expect(result.output).not.toMatch(/ERROR/);
    expect(result.code).toBe(0);
    expect(await snapshot(db.adminUrl)).toBe(before);
  });
});

describe('the checks can fail', () => {
  let broken: TestDatabase;
  beforeAll(async () => {
    broken = await createTestDatabase();
    const owner = new pg.Client({ connectionString: broken.ownerUrl });
    await owner.connect();
    // A tenant table as a careless migration might write it: no RLS, a key and an index without the tenant.
    await owner.query(`CREATE TABLE crm.notes (organisation_id uuid NOT NULL, id uuid NOT NULL, body text,
                         PRIMARY KEY (id), UNIQUE (body))`);
    await owner.end();
  });
  afterAll(async () => {
    await broken.drop();
  });

  it('rls-audit names a table without row-level security and exits non-zero', async () => {
    const result = await psqlFile(broken.ownerUrl, 'rls-audit.sql');
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/crm\.notes\s*\|\s*row-level security is not enabled/);
  });

  it('validation-tests names the missing composite key, the global unique key and the missing RLS', async () => {
    const result = await psqlFile(broken.ownerUrl, 'validation-tests.sql');
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/composite keys\s*\|\s*crm\.notes/);
    expect(result.output).toMatch(/unique keys\s*\|\s*crm\.notes/);
    expect(result.output).toMatch(/row-level security\s*\|\s*crm\.notes/);
  });
});
