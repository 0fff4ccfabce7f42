import type { Pool } from 'pg';
import { Gauge } from 'prom-client';
import { TransactionConflictError, withTransaction } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logger/logger.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import { classifyOpen, type OpenVerdict } from './classify.js';
import { PIXEL_TOKEN } from './pixel-token.js';
import { VisitorKeys } from './visitor-key.js';

/**
 * Opens waiting for their batch write, one array per column, in the shape the batch call takes them. At peak up
 * to `bufferMax` opens wait as long as a flush interval, long enough to outlive young-generation collections;
 * columns hold them without an object and a Date per open, and a batch is four splices instead of four maps.
 */
interface PendingOpens {
  tokens: string[];
  visitors: string[];
  verdicts: OpenVerdict[];
  /** Milliseconds since the epoch. */
  openedAt: number[];
}

const noOpens = (): PendingOpens => ({ tokens: [], visitors: [], verdicts: [], openedAt: [] });

/**
 * The ISO 8601 text of each time. At load many opens share a millisecond, and neighbours in a batch are in
 * arrival order, so a repeated time reuses the text before it instead of formatting a Date again.
 */
function isoTexts(millis: readonly number[]): string[] {
  let last = Number.NaN;
  let text = '';
  return millis.map((ms) => {
    if (ms !== last) {
      last = ms;
      text = new Date(ms).toISOString();
    }
    return text;
  });
}

export interface PixelRecorderOptions {
  pool: Pool;
  metrics: Metrics;
  logger: Logger;
  visitorSecret: string | null;
  /** Opens held in memory at most; beyond that an open is dropped and counted. */
  bufferMax: number;
  /** Opens per database call. */
  batchMax: number;
  flushIntervalMs: number;
  scannerWindowSeconds: number;
  statementTimeoutMs: number;
}

/**
 * The pixel's bounded in-process recorder. `record()` is synchronous and never touches the database: it
 * classifies the open, derives the visitor key (the address and agent go no further) and appends to a buffer.
 * A timer (and a full batch) writes the buffer in batches through one SECURITY DEFINER call each
 * (`tracking.record_opens`), one batch at a time. When the buffer is full, or the database fails a batch, the
 * opens are dropped and counted in `tracking_pixel_opens_dropped_total`: at most once, never retried into
 * duplicates. `close()` writes what is left (the server's graceful shutdown calls it before the pool closes).
 */
export class PixelRecorder {
  readonly #options: PixelRecorderOptions;
  readonly #keys: VisitorKeys;
  #buffer: PendingOpens = noOpens();
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null;
  #closed = false;
  #lastError = '';

  constructor(options: PixelRecorderOptions) {
    this.#options = options;
    this.#keys = new VisitorKeys(options.visitorSecret);
    const buffer = () => this.#buffer.tokens.length;
    new Gauge({
      name: 'tracking_pixel_buffer_opens',
      help: 'Pixel opens waiting in the recorder for their batch write',
      registers: [options.metrics.registry],
      collect() {
        this.set(buffer());
      },
    });
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.#timer.unref();
  }

  /** Opens waiting to be written. */
  get pending(): number {
    return this.#buffer.tokens.length;
  }

  /**
   * Takes one pixel hit; returns at once, whatever happens to the open later.
   *
   * @param openedAt milliseconds since the epoch
   */
  record(token: string, ip: string, userAgent: string | undefined, openedAt = Date.now()): void {
    const { metrics, bufferMax, batchMax } = this.#options;
    if (!PIXEL_TOKEN.test(token)) {
      metrics.pixelOpensIgnored.inc({ reason: 'malformed_token' });
      return;
    }
    if (this.#closed) {
      metrics.pixelOpensDropped.inc({ reason: 'shutting_down' });
      return;
    }
    const buffer = this.#buffer;
    if (buffer.tokens.length >= bufferMax) {
      metrics.pixelOpensDropped.inc({ reason: 'buffer_full' });
      return;
    }
    buffer.tokens.push(token);
    buffer.visitors.push(this.#keys.keyOf(token, ip, userAgent ?? ''));
    buffer.verdicts.push(classifyOpen(userAgent, ip));
    buffer.openedAt.push(openedAt);
    if (buffer.tokens.length >= batchMax && this.#flushing === null) void this.flush();
  }

  /**
   * Writes everything buffered so far, batch by batch; resolves when done. A failed batch is dropped and
   * counted, and the rest waits for the next flush. Never rejects.
   */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    const { batchMax } = this.#options;
    while (this.#buffer.tokens.length > 0) {
      const buffer = this.#buffer;
      const batch: PendingOpens = {
        tokens: buffer.tokens.splice(0, batchMax),
        visitors: buffer.visitors.splice(0, batchMax),
        verdicts: buffer.verdicts.splice(0, batchMax),
        openedAt: buffer.openedAt.splice(0, batchMax),
      };
      if (!(await this.#write(batch))) return;
    }
  }

  async #write(batch: PendingOpens): Promise<boolean> {
    const { metrics, pool, statementTimeoutMs, scannerWindowSeconds } = this.#options;
    const end = metrics.pixelFlushDuration.startTimer();
    const size = batch.tokens.length;
    const values = [
      batch.tokens,
      batch.visitors,
      batch.verdicts,
      isoTexts(batch.openedAt),
      scannerWindowSeconds,
    ];
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { recorded } = await withTransaction(pool, { statementTimeoutMs }, (sql) =>
          sql.one<{ recorded: number }>(
            'SELECT tracking.record_opens($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5) AS recorded',
            values,
          ),
        );
        metrics.pixelOpensRecorded.inc(recorded);
        if (size > recorded) metrics.pixelOpensIgnored.inc({ reason: 'unknown_token' }, size - recorded);
        end({ outcome: 'written' });
        if (this.#lastError !== '') this.#options.logger.info('pixel recorder writes again');
        this.#lastError = '';
        return true;
      } catch (error) {
        // A deadlock between two instances' batches rolled everything back: one retry is safe.
        if (error instanceof TransactionConflictError && attempt === 1) continue;
        end({ outcome: 'failed' });
        metrics.pixelOpensDropped.inc({ reason: 'database_error' }, size);
        const message = error instanceof Error ? error.message : String(error);
        if (message !== this.#lastError) {
          this.#options.logger.warn(
            { err: { message, name: error instanceof Error ? error.name : 'Error' }, dropped: size },
            'pixel recorder could not write a batch; its opens are dropped and counted',
          );
        }
        this.#lastError = message;
        return false;
      }
    }
  }

  /** Stops the timer, refuses new opens and writes what is buffered (once; opens a failed write leaves are counted as dropped). */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#closed = true;
    await this.#flushing;
    await this.flush();
    if (this.#buffer.tokens.length > 0) {
      this.#options.metrics.pixelOpensDropped.inc({ reason: 'shutting_down' }, this.#buffer.tokens.length);
      this.#buffer = noOpens();
    }
  }
}
