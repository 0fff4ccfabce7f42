import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, withAdmin, type TestDatabase } from '@prospectflow/test-harness';
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

const checkScripts = ['validation-tests.sql', 'rls-audit.sql'];

// Superusers bypass row-level security even when it is forced: the scripts must then check under
// prospectflow_app (or stop), never report a false isolation failure or a true pass that proves nothing.
describe.each(checkScripts)('%s', (file) => {
  it.each([
    ['the owner', () => db.ownerUrl, 'prospectflow_owner'],
    ['a superuser', () => db.adminUrl, 'prospectflow_app'],
    ['the application role', () => db.appDirectUrl, 'prospectflow_app'],
  ])('passes on a freshly migrated database run by %s, and leaves no trace', async (_who, url, checkedAs) => {
    const before = await snapshot(db.adminUrl);
    const result = await psqlFile(url(), file);
    expect(result.output).not.toMatch(/ERROR/);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(
      new RegExp(`(checks run|runs) as ${checkedAs} \\(row-level security applies`),
    );
    expect(result.output).toMatch(
      new RegExp(`(passed|no findings on \\d+ tables), as ${checkedAs}|passed as ${checkedAs}`),
    );
    expect(await snapshot(db.adminUrl)).toBe(before);
  });
});

describe('run by a role that bypasses row-level security and cannot become prospectflow_app', () => {
  const role = `pf_bypass_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    await withAdmin(db.adminUrl, (admin) => admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER BYPASSRLS`));
  });
  afterAll(async () => {
    await withAdmin(db.adminUrl, (admin) => admin.query(`DROP ROLE IF EXISTS ${role}`));
  });

  it.each(checkScripts)('%s stops at once and names the roles to use', async (file) => {
    const url = new URL(db.ownerUrl);
    url.username = role;
    const result = await psqlFile(url.toString(), file);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      new RegExp(
        `ERROR: {2}${file.replace('.sql', '')}: role ${role} bypasses row-level security \\(superuser or BYPASSRLS\\) and may not SET ROLE prospectflow_app`,
      ),
    );
    expect(result.output).toMatch(
      /HINT: {2}Run it as the schema owner .* as prospectflow_app, or as a superuser/,
    );
    // Stopped before any check ran: nothing listed, and no second error.
    expect(result.output).not.toMatch(/findings|Tables of the domain schemas|may not insert/);
    expect(result.output.match(/ERROR:/g)).toHaveLength(1);
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
