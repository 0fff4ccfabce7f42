import { setTimeout as delay } from 'node:timers/promises';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger/logger.js';

/** A unit of work claimed from the queue, with the lease the claim gave. */
export interface ClaimedJob {
  organisationId: string;
  id: string;
  kind: string;
  attempt: number;
}

/**
 * Where jobs come from. Under pgBouncer's transaction pooling there is no LISTEN/NOTIFY and no session
 * advisory lock, so jobs are claimed with a lease (`FOR UPDATE SKIP LOCKED` in a definer function) and polled.
 */
export interface JobQueue {
  /** The next job for this worker, leased to it, or null. */
  claim(worker: string): Promise<ClaimedJob | null>;
  /** Extends the lease; false when the job is no longer this worker's (the lease ran out and another took it). */
  renew(job: ClaimedJob, worker: string): Promise<boolean>;
  /** Gives an unfinished job back to the queue at once (graceful stop), so another worker takes it. */
  release(job: ClaimedJob, worker: string): Promise<void>;
}

export interface JobContext {
  /** Aborted when the worker stops or loses the lease: the handler's transaction must roll back. */
  signal: AbortSignal;
  worker: string;
}

export type JobHandler = (job: ClaimedJob, context: JobContext) => Promise<void>;

export interface JobRunnerOptions {
  queue: JobQueue;
  handlers: Readonly<Record<string, JobHandler>>;
  logger: Logger;
  leaseSeconds: number;
  pollIntervalMs: number;
  /** Longest wait between polls when the queue stays empty. */
  maxPollIntervalMs: number;
  /** Work run between jobs (the retention sweep); errors are logged, never fatal. */
  idle?: () => Promise<void>;
  idleEveryMs?: number;
  /**
   * Called whenever the queue answered: a claim (with or without a job) or a lease renewal that still holds.
   * A worker that stops calling it is stuck or cut off from the database (the heartbeat file's health check).
   */
  onAlive?: () => void;
}

/**
 * Waits `ms`, or less when the signal aborts; never rejects. The abort listener goes with the timer
 * (timers/promises removes it when the time is up): one added per poll and never removed piled up on the
 * runner's long-lived signal (MaxListenersExceededWarning, a slow leak).
 */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch(() => undefined);

/** Thrown into a job whose lease was lost or whose worker is stopping. */
export class JobAbortedError extends Error {
  override readonly name = 'JobAbortedError';
}

/**
 * Runs one job at a time: claim, renew the lease while the handler works, then claim the next. A handler
 * that fails leaves its job to the queue's own bookkeeping (the handler records failures as data); a worker
 * that stops aborts its job, which rolls back, and releases it.
 */
export class JobRunner {
  readonly worker = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly #options: JobRunnerOptions;
  readonly #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #current: { job: ClaimedJob; abort: AbortController } | null = null;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops polling; aborts and releases the running job. Resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#current?.abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    let wait = this.#options.pollIntervalMs;
    let lastIdle = 0;
    while (!this.#stop.signal.aborted) {
      let job: ClaimedJob | null = null;
      try {
        job = await this.#options.queue.claim(this.worker);
        this.#options.onAlive?.();
      } catch (error) {
        logger.warn({ err: error }, 'job queue unavailable; retrying');
      }
      if (job === null) {
        if (this.#options.idle && Date.now() - lastIdle > (this.#options.idleEveryMs ?? 60_000)) {
          lastIdle = Date.now();
          await this.#options
            .idle()
            .catch((error: unknown) => logger.warn({ err: error }, 'idle work failed'));
        }
        await sleep(wait, this.#stop.signal);
        wait = Math.min(wait * 2, this.#options.maxPollIntervalMs);
        continue;
      }
      wait = this.#options.pollIntervalMs;
      await this.#execute(job);
    }
  }

  async #execute(job: ClaimedJob): Promise<void> {
    const { logger, queue, leaseSeconds } = this.#options;
    const abort = new AbortController();
    this.#current = { job, abort };
    const log = logger.child({ job: job.kind, importId: job.id, organisationId: job.organisationId });
    const renewEvery = Math.max(200, (leaseSeconds * 1000) / 3);
    // A renewal can wait on the job's own row lock (a commit holds it to the end) and answer only once the
    // job has finished with it: that late "not held" is the job's own ending, not a lost lease.
    let ended = false;
    const renewal = setInterval(() => {
      queue
        .renew(job, this.worker)
        .then((held) => {
          if (ended) return;
          if (held) this.#options.onAlive?.();
          if (!held) {
            log.warn('lease lost to another worker; abandoning the job');
            abort.abort();
          }
        })
        .catch((error: unknown) => log.warn({ err: error }, 'lease renewal failed'));
    }, renewEvery);
    try {
      const handler = this.#options.handlers[job.kind];
      if (!handler) throw new Error(`no handler for job ${job.kind}`);
      log.info({ attempt: job.attempt }, 'job started');
      await handler(job, { signal: abort.signal, worker: this.worker });
      log.info('job finished');
    } catch (error) {
      if (abort.signal.aborted) log.warn('job aborted');
      else log.error({ err: error }, 'job failed');
    } finally {
      ended = true;
      clearInterval(renewal);
      this.#current = null;
    }
    if (this.#stop.signal.aborted) {
      await queue
        .release(job, this.worker)
        .catch((error: unknown) => log.warn({ err: error }, 'release failed'));
    }
  }
}
