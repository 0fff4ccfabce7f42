import type { Pool } from 'pg';
import { Gauge } from 'prom-client';
import { TransactionConflictError, withTransaction } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logger/logger.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import { classifyOpen, type OpenVerdict } from './classify.js';
import { PIXEL_TOKEN } from './pixel-token.js';
import { VisitorKeys } from './visitor-key.js';

interface PendingOpen {
  token: string;
  visitor: string;
  verdict: OpenVerdict;
  openedAt: Date;
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
  #buffer: PendingOpen[] = [];
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null;
  #closed = false;
  #lastError = '';

  constructor(options: PixelRecorderOptions) {
    this.#options = options;
    this.#keys = new VisitorKeys(options.visitorSecret);
    const buffer = () => this.#buffer.length;
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
    return this.#buffer.length;
  }

  /** Takes one pixel hit; returns at once, whatever happens to the open later. */
  record(token: string, ip: string, userAgent: string | undefined, openedAt = new Date()): void {
    const { metrics, bufferMax, batchMax } = this.#options;
    if (!PIXEL_TOKEN.test(token)) {
      metrics.pixelOpensIgnored.inc({ reason: 'malformed_token' });
      return;
    }
    if (this.#closed) {
      metrics.pixelOpensDropped.inc({ reason: 'shutting_down' });
      return;
    }
    if (this.#buffer.length >= bufferMax) {
      metrics.pixelOpensDropped.inc({ reason: 'buffer_full' });
      return;
    }
    this.#buffer.push({
      token,
      visitor: this.#keys.keyOf(token, ip, userAgent ?? ''),
      verdict: classifyOpen(userAgent, ip),
      openedAt,
    });
    if (this.#buffer.length >= batchMax && this.#flushing === null) void this.flush();
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
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#options.batchMax);
      if (!(await this.#write(batch))) return;
    }
  }

  async #write(batch: PendingOpen[]): Promise<boolean> {
    const { metrics, pool, statementTimeoutMs, scannerWindowSeconds } = this.#options;
    const end = metrics.pixelFlushDuration.startTimer();
    const values = [
      batch.map((open) => open.token),
      batch.map((open) => open.visitor),
      batch.map((open) => open.verdict),
      batch.map((open) => open.openedAt.toISOString()),
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
        if (batch.length > recorded)
          metrics.pixelOpensIgnored.inc({ reason: 'unknown_token' }, batch.length - recorded);
        end({ outcome: 'written' });
        if (this.#lastError !== '') this.#options.logger.info('pixel recorder writes again');
        this.#lastError = '';
        return true;
      } catch (error) {
        // A deadlock between two instances' batches rolled everything back: one retry is safe.
        if (error instanceof TransactionConflictError && attempt === 1) continue;
        end({ outcome: 'failed' });
        metrics.pixelOpensDropped.inc({ reason: 'database_error' }, batch.length);
        const message = error instanceof Error ? error.message : String(error);
        if (message !== this.#lastError) {
          this.#options.logger.warn(
            { err: { message, name: error instanceof Error ? error.name : 'Error' }, dropped: batch.length },
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
    if (this.#buffer.length > 0) {
      this.#options.metrics.pixelOpensDropped.inc({ reason: 'shutting_down' }, this.#buffer.length);
      this.#buffer = [];
    }
  }
}
