import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  harnessEnv,
  withCredentials,
  type TestDatabase,
} from '@prospectflow/test-harness';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  return client;
}

describe('pgBouncer from infra/postgres/pgbouncer', () => {
  it('lets the application role in and runs it in transaction mode', async () => {
    const client = await connect(db.appUrl);
    try {
      const { rows } = await client.query<{ who: string; superuser: string }>(
        "SELECT current_user AS who, current_setting('is_superuser') AS superuser",
      );
      expect(rows[0]).toEqual({ who: 'prospectflow_app', superuser: 'off' });
    } finally {
      await client.end();
    }
    const admin = await connect(
      withCredentials(db.appUrl, {
        user: 'pgbouncer_admin',
        password: harnessEnv().pgbouncerAdminPassword,
        database: 'pgbouncer',
      }),
    );
    try {
      const { rows } = await admin.query<{ key: string; value: string }>('SHOW CONFIG');
      const config = Object.fromEntries(rows.map((row) => [row.key, row.value]));
      expect(config['pool_mode']).toBe('transaction');
      expect(config['auth_type']).toBe('scram-sha-256');
    } finally {
      await admin.end();
    }
  });

  it('refuses a superuser and a wrong password', async () => {
    await expect(
      connect(withCredentials(db.appUrl, { user: 'postgres', password: 'anything' })),
    ).rejects.toThrow();
    await expect(connect(withCredentials(db.appUrl, { password: 'not-the-password' }))).rejects.toThrow(
      /password|SASL|auth/i,
    );
  });
});
