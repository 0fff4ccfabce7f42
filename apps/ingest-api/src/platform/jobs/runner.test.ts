import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../logger/logger.js';
import { JobRunner, sleep, type ClaimedJob } from './runner.js';

describe('the runner’s poll wait', () => {
  it('leaves no abort listener behind on its long-lived signal once the time is up', async () => {
    const stop = new AbortController();
    for (let i = 0; i < 20; i += 1) await sleep(1, stop.signal);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('ends at once, without rejecting, when the signal aborts', async () => {
    const stop = new AbortController();
    const waiting = sleep(60_000, stop.signal);
    stop.abort();
    // Within the test's own timeout, far below the minute it would otherwise wait.
    await expect(waiting).resolves.toBeUndefined();
  });
});

describe('the lease of a running job', () => {
  const logger = () => {
    const warnings: string[] = [];
    const log = {
      info: () => undefined,
      warn: (...args: unknown[]) => warnings.push(String(args.at(-1))),
      error: () => undefined,
      child: () => log,
    };
    return { log: log as unknown as Logger, warnings };
  };
  const job: ClaimedJob = { id: 'job-1', organisationId: 'org-1', kind: 'work', attempt: 1 } as ClaimedJob;

  it('a renewal answered after the job ended (it waited on the job’s own row lock) is not a lost lease', async () => {
    const { log, warnings } = logger();
    let finishJob = () => undefined as void;
    const renewals: ((held: boolean) => void)[] = [];
    let claimed = false;
    const runner = new JobRunner({
      queue: {
        claim: async () => (claimed ? null : ((claimed = true), job)),
        // Blocked until the job is over, then "no longer yours": what a commit holding the row lock causes.
        renew: () => new Promise<boolean>((resolve) => renewals.push(resolve)),
        release: async () => undefined,
      },
      handlers: { work: () => new Promise<void>((resolve) => (finishJob = resolve)) },
      logger: log,
      leaseSeconds: 0.3,
      pollIntervalMs: 10,
      maxPollIntervalMs: 10,
    });
    runner.start();
    await vi.waitFor(() => expect(renewals.length).toBeGreaterThan(0), { timeout: 5_000 });
    finishJob();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const answer of renewals) answer(false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await runner.stop();
    expect(warnings.filter((w) => w.includes('lease lost'))).toEqual([]);
  });

  it('a renewal that fails while the job runs aborts it', async () => {
    const { log, warnings } = logger();
    let signal: AbortSignal | null = null;
    let claimed = false;
    const runner = new JobRunner({
      queue: {
        claim: async () => (claimed ? null : ((claimed = true), job)),
        renew: async () => false,
        release: async () => undefined,
      },
      handlers: {
        work: (_job, context) =>
          new Promise<void>((resolve) => {
            signal = context.signal;
            context.signal.addEventListener('abort', () => resolve(), { once: true });
          }),
      },
      logger: log,
      leaseSeconds: 0.3,
      pollIntervalMs: 10,
      maxPollIntervalMs: 10,
    });
    runner.start();
    await vi.waitFor(() => expect(warnings.some((w) => w.includes('lease lost'))).toBe(true), {
      timeout: 5_000,
    });
    expect((signal as AbortSignal | null)?.aborted).toBe(true);
    await runner.stop();
  });
});
