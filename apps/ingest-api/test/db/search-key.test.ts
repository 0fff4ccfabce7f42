import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@prospectflow/test-harness';

// crm.search_key folds names for the accent- and case-insensitive search indexes, and runs for every name
// written to crm.companies and crm.people. Migration 20261202180000000 made it inlinable (no SET clause,
// every name schema-qualified).

let db: TestDatabase;
let admin: pg.Client;

const plan = async (client: pg.Client, statement: string): Promise<string> =>
  (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (VERBOSE, COSTS OFF) ${statement}`)).rows
    .map((row) => row['QUERY PLAN'])
    .join('\n');

beforeAll(async () => {
  db = await createTestDatabase();
  admin = new pg.Client({ connectionString: db.adminUrl });
  await admin.connect();
});
afterAll(async () => {
  await admin.end();
  await db.drop();
});

describe('crm.search_key', () => {
  it('folds case and accents', async () => {
    const { rows } = await admin.query<{ key: string }>(
      `SELECT crm.search_key(v) AS key FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n`,
      [['Société Générale', 'ÉLODIE', 'Françoise-Hélène', 'Müller']],
    );
    expect(rows.map((row) => row.key)).toEqual(['societe generale', 'elodie', 'francoise-helene', 'muller']);
  });

  it('is inlined: no SET clause, the body in the plan instead of a call', async () => {
    const { rows } = await admin.query<{ proconfig: string[] | null }>(
      `SELECT proconfig FROM pg_proc WHERE oid = 'crm.search_key(text)'::regprocedure`,
    );
    expect(rows[0]?.proconfig).toBeNull();
    const text = await plan(admin, 'SELECT crm.search_key(name) FROM crm.companies');
    expect(text).toMatch(/lower\(regexp_replace\("?normalize"?\(name/);
    expect(text).not.toMatch(/search_key/);
  });

  it('still matches the search indexes built on it', async () => {
    await admin.query('BEGIN');
    try {
      await admin.query('SET LOCAL enable_seqscan = off');
      await admin.query('SET LOCAL enable_bitmapscan = off');
      const companies = await plan(
        admin,
        `SELECT id FROM crm.companies WHERE organisation_id = gen_random_uuid()
            AND crm.search_key(name) LIKE 'societe%'`,
      );
      expect(companies).toMatch(/Index (Only )?Scan using companies_name_search_idx/);
      const people = await plan(
        admin,
        `SELECT id FROM crm.people WHERE organisation_id = gen_random_uuid()
            AND crm.search_key(last_name) LIKE 'muller%'`,
      );
      expect(people).toMatch(/Index (Only )?Scan using people_last_name_search_idx/);
    } finally {
      await admin.query('ROLLBACK');
    }
  });
});
