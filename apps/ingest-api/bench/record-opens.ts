// What tracking.record_opens (the pixel recorder's one database call per batch of opens) costs per open as
// batches grow: 1,000 and 10,000 opens by readers it has not seen, on one message and spread over 200, medians
// of several rounds in one session (so PL/pgSQL's cached plans are the ones measured). The baseline is the
// 1,000-open batch of the same run: a call linear in its batch costs the same per open at ten times the size
// (the function was quadratic until migration 20261202190000000). Run through the test harness:
//   pnpm exec tsx tools/test-harness/src/cli.ts -- --config apps/ingest-api/bench/vitest.config.ts record-opens
// or `pnpm bench record-opens`.
import pg from 'pg';
import { expect, it } from 'vitest';
import { campaignWithSentMessages, organisationWith } from '../test/api/campaigns-fixtures.js';
import { startTestApi } from '../test/support/app.js';
import { figure, reportResult } from './lib/report.js';
import { median } from './lib/stats.js';

const ROUNDS = Number(process.env['RECORD_OPENS_ROUNDS'] ?? 5);
const MESSAGES = 200;
const say = (line = '') => process.stdout.write(`${line}\n`);

it(
  'tracking.record_opens per open, 1,000 against 10,000 new readers a call',
  async () => {
    const api = await startTestApi();
    const client = new pg.Client({ connectionString: api.db.appUrl });
    try {
      const created = await organisationWith(api, 'Bench opens', 'bench-opens@example.test');
      const owner = created.users['bench-opens@example.test']!;
      const { tokens } = await campaignWithSentMessages(api, created.id, owner, MESSAGES);

      // As the application role, straight to PostgreSQL: the recorder's call without the pool around it.
      await client.connect();
      let call = 0;
      const perOpen = async (size: number, messages: number): Promise<number> => {
        call += 1;
        const batch = Array.from({ length: size }, (_, i) => tokens[i % messages] as string);
        const started = process.hrtime.bigint();
        const { rows } = await client.query<{ n: number }>(
          'SELECT tracking.record_opens($1::text[], $2::text[], $3::text[], $4::timestamptz[], 10) AS n',
          [
            batch,
            batch.map((_, i) => `reader-${call}-${i}`),
            batch.map(() => 'human'),
            batch.map(() => '2026-01-02T00:00:00Z'),
          ],
        );
        expect(rows[0]?.n).toBe(size);
        return Number(process.hrtime.bigint() - started) / 1000 / size;
      };
      const cases = [
        { name: 'one_message', messages: 1 },
        { name: 'messages_200', messages: MESSAGES },
      ];
      const results = new Map<string, { small: number[]; large: number[] }>();
      for (const c of cases) results.set(c.name, { small: [], large: [] });
      for (let round = 1; round <= ROUNDS; round += 1) {
        for (const c of cases) {
          const entry = results.get(c.name)!;
          entry.small.push(await perOpen(1_000, c.messages));
          entry.large.push(await perOpen(10_000, c.messages));
          say(
            `round ${round} ${c.name.padEnd(13)} 1,000 opens: ${entry.small.at(-1)!.toFixed(1)} µs/open   ` +
              `10,000 opens: ${entry.large.at(-1)!.toFixed(1)} µs/open`,
          );
        }
      }
      const figures = cases.flatMap((c) => {
        const entry = results.get(c.name)!;
        const small = median(entry.small);
        const large = median(entry.large);
        return [
          figure(`${c.name}_10k_vs_1k_per_open`, large / small, 'ratio', { op: '<=', value: 1.5 }),
          figure(`${c.name}_per_open_1k_us`, small, 'µs'),
          figure(`${c.name}_per_open_10k_us`, large, 'µs'),
        ];
      });
      say();
      for (const f of figures) say(`${f.name.padEnd(34)} ${f.value.toFixed(2)} ${f.unit}`);
      reportResult('record-opens', figures);
    } finally {
      await client.end().catch(() => undefined);
      await api.close();
    }
  },
  30 * 60_000,
);
