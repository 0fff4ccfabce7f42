// The pixel benchmarks' servers (pixel-server.ts: the API's pixel; pixel-bare.ts: a bare Node server), each
// started in a process of its own; it prints one JSON line of what it is (port, pid) once it listens.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The user agent of the load: a desktop Chrome, classified human. */
export const AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/141.0 Safari/537.36';

export interface Started {
  child: ChildProcessWithoutNullStreams;
  info: Record<string, string | number>;
}

export function startPixelServer(file: string): Promise<Started> {
  // PIXEL_BENCH_NODE_OPTIONS adds flags to the servers' node, e.g. --cpu-prof to profile them.
  const extra = (process.env['PIXEL_BENCH_NODE_OPTIONS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...extra, '--import', 'tsx', fileURLToPath(new URL(`../${file}`, import.meta.url))],
    {
      env: { ...process.env, LOG_LEVEL: 'silent' },
    },
  );
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n')[0];
      if (buffered.includes('\n') && line) {
        child.stdout.off('data', onData);
        resolve({ child, info: JSON.parse(line) as Record<string, string | number> });
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}
