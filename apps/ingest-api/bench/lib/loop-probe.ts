// Loaded into a benchmarked process with `node --import tsx --import bench/lib/loop-probe.ts <entry>`, it
// leaves the entry as production runs it and prints, every PF_LOOP_PROBE_MS, one line on stdout with the
// process's event-loop delay since the previous line and its resident set:
//   PF_LOOP_PROBE {"p50Ms":0.9,"p99Ms":3.1,"maxMs":12.4,"rssMb":118.2,"heapUsedMb":41.0}
import { monitorEventLoopDelay } from 'node:perf_hooks';

const intervalMs = Number(process.env['PF_LOOP_PROBE_MS'] ?? 5000);
// 1 ms resolution: the delay is measured by a timer of this period, so coarser hides short stalls.
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
setInterval(() => {
  const memory = process.memoryUsage();
  const sample = {
    p50Ms: delay.percentile(50) / 1e6,
    p99Ms: delay.percentile(99) / 1e6,
    maxMs: delay.max / 1e6,
    rssMb: memory.rss / 2 ** 20,
    heapUsedMb: memory.heapUsed / 2 ** 20,
  };
  delay.reset();
  process.stdout.write(`PF_LOOP_PROBE ${JSON.stringify(sample)}\n`);
}, intervalMs).unref();
