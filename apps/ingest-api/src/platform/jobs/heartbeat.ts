import { writeFile } from 'node:fs/promises';
import type { Logger } from '../logger/logger.js';

/**
 * Touches a file at most once per `everyMs` while the worker's queue answers. A worker has no HTTP port, so
 * its container health check reads the file's age instead: a stale file means the worker is stuck or cannot
 * reach the database, which a process that merely exists would not show.
 */
export function fileHeartbeat(file: string, logger: Logger, everyMs = 5000, now = Date.now): () => void {
  let last = 0;
  let writing = false;
  return () => {
    const at = now();
    if (writing || at - last < everyMs) return;
    last = at;
    writing = true;
    writeFile(file, `${new Date(at).toISOString()}\n`)
      .catch((error: unknown) => logger.warn({ err: error, file }, 'worker heartbeat file not written'))
      .finally(() => {
        writing = false;
      });
  };
}
