// Diagnostic for the pixel benchmark: where the CPU of one pixel hit goes at peak load, per process. Starts the
// same two servers as pixel-bench.ts (the API, the bare Node server), drives each with autocannon for
// PIXEL_CPU_SECONDS (10) per round, PIXEL_CPU_ROUNDS (3) rounds alternating, and reads from /proc the CPU each
// process used: the server, the database's backends, the harness's pgBouncer, and this process (the load
// generator). On 2 shared cores requests/s swings with whatever else runs; CPU per request is steadier, and with
// the cores saturated the throughput follows from it. Run with
//   pnpm exec tsx tools/test-harness/src/cli.ts -- --config apps/ingest-api/bench/vitest.config.ts pixel-cpu
import os from 'node:os';
import { harnessEnv } from '@prospectflow/test-harness';
import autocannon from 'autocannon';
import { expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { backendPids, findPid, measureCpu } from './lib/cpu.js';
import { AGENT, startPixelServer } from './lib/pixel-servers.js';

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SECONDS = setting('PIXEL_CPU_SECONDS', 10);
const ROUNDS = setting('PIXEL_CPU_ROUNDS', 3);
const CONNECTIONS = setting('PIXEL_BENCH_CONNECTIONS', 32);

/** User and system CPU milliseconds of a process so far (USER_HZ 100). */
async function userAndSystemMs(pid: number): Promise<{ user: number; system: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

/** The API's recorder counters (opens written, opens dropped) from its /metrics; zeros for the bare server. */
async function recorderCounters(port: number | string): Promise<{ recorded: number; dropped: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = (pattern: RegExp) => [...text.matchAll(pattern)].reduce((total, m) => total + Number(m[1]), 0);
  return {
    recorded: sum(/^tracking_pixel_opens_recorded_total (\d+)$/gm),
    dropped: sum(/^tracking_pixel_opens_dropped_total\{[^}]*\} (\d+)$/gm),
  };
}

interface Round {
  rps: number;
  served: number;
  /** CPU microseconds per request, by process. */
  server: number;
  /** Of which in the kernel. */
  serverSystem: number;
  postgres: number;
  pgbouncer: number;
  generator: number;
  /** Opens the API's recorder wrote and dropped during the round. */
  recorded: number;
  dropped: number;
}

it(
  'measures CPU per pixel hit, by process',
  async () => {
    const api = await startPixelServer('pixel-server.ts');
    const bare = await startPixelServer('pixel-bare.ts');
    const path = String(api.info['path']);
    const adminUrl = String(api.info['adminUrl']);
    const database = new URL(adminUrl).pathname.slice(1);
    const bouncerPid = await findPid(`pgbouncer-${harnessEnv().pgbouncerPort}/`);
    const targets = {
      api: { url: `http://127.0.0.1:${api.info['port']}${path}`, pid: api.child.pid ?? 0, counted: true },
      bare: { url: `http://127.0.0.1:${bare.info['port']}${path}`, pid: bare.child.pid ?? 0, counted: false },
    };
    const run = async (name: keyof typeof targets): Promise<Round> => {
      const target = targets[name];
      const server = await measureCpu(async () => [target.pid]);
      const postgres = await measureCpu(() => backendPids(adminUrl, database, 'prospectflow_app'));
      const pgbouncer = await measureCpu(async () => (bouncerPid === null ? [] : [bouncerPid]));
      const countersBefore = target.counted ? await recorderCounters(api.info['port'] ?? 0) : null;
      const serverBefore = await userAndSystemMs(target.pid);
      const before = process.cpuUsage();
      const result = await autocannon({
        url: target.url,
        connections: CONNECTIONS,
        duration: SECONDS,
        headers: { 'user-agent': AGENT, 'x-forwarded-for': '198.51.100.7' },
      });
      const generator = process.cpuUsage(before);
      const serverAfter = await userAndSystemMs(target.pid);
      const served = result.requests.total;
      const countersAfter = target.counted ? await recorderCounters(api.info['port'] ?? 0) : null;
      const perRequest = (ms: number) => (1000 * ms) / served;
      return {
        rps: result.requests.average,
        served,
        server: perRequest(await server()),
        serverSystem: perRequest(serverAfter.system - serverBefore.system),
        postgres: perRequest(await postgres()),
        pgbouncer: perRequest(await pgbouncer()),
        generator: (generator.user + generator.system) / served,
        recorded: (countersAfter?.recorded ?? 0) - (countersBefore?.recorded ?? 0),
        dropped: (countersAfter?.dropped ?? 0) - (countersBefore?.dropped ?? 0),
      };
    };
    const load = os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ');
    try {
      await run('bare');
      await run('api');
      const rounds: { name: string; round: Round }[] = [];
      for (let i = 0; i < ROUNDS; i += 1)
        for (const name of i % 2 === 0 ? (['bare', 'api'] as const) : (['api', 'bare'] as const))
          rounds.push({ name, round: await run(name) });
      const lines = [
        `pixel CPU per request: load average before ${load}, ${CONNECTIONS} connections, ${SECONDS} s rounds`,
        '| server | requests/s | served | server µs/req | of which system | postgres µs/req | pgbouncer µs/req | generator µs/req | opens written | opens dropped |',
        '|---|---|---|---|---|---|---|---|---|---|',
        ...rounds.map(
          ({ name, round: r }) =>
            `| ${name} | ${r.rps.toFixed(0)} | ${r.served} | ${r.server.toFixed(1)} | ${r.serverSystem.toFixed(1)} | ${r.postgres.toFixed(1)} | ${r.pgbouncer.toFixed(1)} | ${r.generator.toFixed(1)} | ${r.recorded} | ${r.dropped} |`,
        ),
      ];
      process.stdout.write(`\n${lines.join('\n')}\n\n`);
      expect(rounds.length).toBeGreaterThan(0);
    } finally {
      // The API flushes, drops its database once told to, and exits (writing its profile if asked for one).
      const exited = new Promise((resolve) => api.child.once('exit', resolve));
      api.child.kill('SIGTERM');
      api.child.stdin.write('done\n');
      bare.child.kill('SIGTERM');
      await exited;
    }
  },
  30 * 60_000,
);
