import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@prospectflow/test-harness';
import {
  compareErd,
  compareSchemaSnapshot,
  migrate,
  PoolerConnectionError,
  assertDirectConnection,
} from '../src/index.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function schemaNames(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE nspname IN ('iam', 'crm', 'outreach', 'tracking', 'audit') ORDER BY 1",
    );
    return rows.map((row) => row.nspname);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  it('match the committed schema.sql snapshot', async () => {
    const difference = await compareSchemaSnapshot(db.ownerUrl);
    expect(difference, difference ?? '').toBeNull();
  });

  it('match the generated diagrams of doc/erd.md', async () => {
    const difference = await compareErd(db.ownerUrl);
    expect(difference, difference ?? '').toBeNull();
  });

  it('go down to zero and up again, ending at the same schema', async () => {
    const down = await migrate({ databaseUrl: db.ownerUrl, direction: 'down', count: Infinity });
    expect(down.length).toBeGreaterThanOrEqual(6);
    expect(await schemaNames(db.ownerUrl)).toEqual([]);

    const up = await migrate({ databaseUrl: db.ownerUrl, direction: 'up' });
    expect(up.map((m) => m.name)).toEqual(down.map((m) => m.name).reverse());
    expect(await schemaNames(db.ownerUrl)).toEqual(['audit', 'crm', 'iam', 'outreach', 'tracking']);
    expect(await compareSchemaSnapshot(db.ownerUrl)).toBeNull();
  });

  it('refuse a connection through pgBouncer', async () => {
    await expect(assertDirectConnection(db.appUrl)).rejects.toBeInstanceOf(PoolerConnectionError);
    await expect(migrate({ databaseUrl: db.appUrl, direction: 'up' })).rejects.toThrow(/not pgBouncer/);
  });
});
