import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';
import { campaignWithSentMessages, organisationWith } from './campaigns-fixtures.js';

// tracking.record_opens writes a batch of opens in two statements (migration 20261202190000000): the opens
// with their pixels and messages, looked up by index, then the counts, where the batch is joined with itself.
// The planner takes each step of a batch for one row; joined by nested loops, 10,000 new readers cost 4 to 5 s
// a call. The test reads the plan PostgreSQL actually ran (auto_explain, sent to this session as notices).

let api: TestApi;
let tokens: string[];

beforeAll(async () => {
  api = await startTestApi();
  const created = await organisationWith(api, 'Opens Org', 'opens-owner@example.test');
  const owner = created.users['opens-owner@example.test']!;
  ({ tokens } = await campaignWithSentMessages(api, created.id, owner, 3));
});
afterAll(async () => {
  await api.close();
});

describe('tracking.record_opens', () => {
  it('joins a batch with itself by hash join, never by nested loop, and counts every new reader once', async () => {
    const client = new pg.Client({ connectionString: api.db.adminUrl });
    const plans: string[] = [];
    client.on('notice', (notice) => plans.push(notice.message ?? ''));
    await client.connect();
    try {
      await client.query(`LOAD 'auto_explain'`);
      await client.query(`SET auto_explain.log_min_duration = 0`);
      await client.query(`SET auto_explain.log_nested_statements = on`);
      await client.query(`SET auto_explain.log_level = notice`);
      // Several calls in one session: PL/pgSQL plans the first five with the arrays' values, then may keep a
      // generic plan that knows nothing of their sizes, which is where nested loops came from.
      const n = 600;
      const calls = 8;
      const batch = Array.from({ length: n }, (_, i) => tokens[i % tokens.length] as string);
      for (let call = 0; call < calls; call += 1) {
        plans.length = 0;
        const { rows } = await client.query<{ recorded: number }>(
          `SELECT tracking.record_opens($1::text[], $2::text[], $3::text[], $4::timestamptz[], 10) AS recorded`,
          [
            batch,
            batch.map((_, i) => `reader-${call}-${i}`),
            batch.map(() => 'human'),
            batch.map(() => '2026-01-02T00:00:00Z'),
          ],
        );
        expect(rows[0]?.recorded).toBe(n);
        const counting = plans.filter((plan) => /Insert on pixel_opens/.test(plan));
        expect(counting, `call ${call + 1}`).toHaveLength(1);
        expect(counting[0], `call ${call + 1}`).not.toMatch(/Nested Loop/);
        expect(counting[0], `call ${call + 1}`).toMatch(/Hash (Right |Left )?Join/);
      }
      // Every reader is new and counted once: 200 unique opens a call on each of the three messages.
      const stats = await client.query<{ unique_opens: number; total_opens: number }>(
        `SELECT s.unique_opens, s.total_opens FROM tracking.message_open_stats s
           JOIN tracking.pixels p ON p.organisation_id = s.organisation_id AND p.message_id = s.message_id
          WHERE p.token = ANY($1::text[]) ORDER BY p.token`,
        [tokens],
      );
      expect(stats.rows).toEqual(
        tokens.map(() => ({ unique_opens: (calls * n) / 3, total_opens: (calls * n) / 3 })),
      );
    } finally {
      await client.end();
    }
  });
});
