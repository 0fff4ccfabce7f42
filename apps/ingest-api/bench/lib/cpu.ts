import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';

// CPU time by process from /proc (Linux): on cores shared with other work, the CPU a request costs each process
// is steadier than the requests per second it gets, and on saturated cores throughput follows from it.

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system CPU milliseconds a process has used so far (0 once it is gone). */
export async function cpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** The pid of the process whose command line contains `needle` (e.g. a pgBouncer's private config path). */
export async function findPid(needle: string): Promise<number | null> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (cmdline.includes(needle)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** The server processes (PostgreSQL backends) of one database and role, as pg_stat_activity lists them. */
export async function backendPids(adminUrl: string, database: string, role: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND usename = $2',
      [database, role],
    );
    return rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

/** CPU milliseconds used by a set of processes between `start()` and `stop()`; processes may come and go. */
export async function measureCpu(pids: () => Promise<number[]>): Promise<() => Promise<number>> {
  const before = new Map<number, number>();
  for (const pid of await pids()) before.set(pid, await cpuMs(pid));
  return async () => {
    let total = 0;
    const seen = new Set([...before.keys(), ...(await pids())]);
    for (const pid of seen) total += Math.max(0, (await cpuMs(pid)) - (before.get(pid) ?? 0));
    return total;
  };
}
