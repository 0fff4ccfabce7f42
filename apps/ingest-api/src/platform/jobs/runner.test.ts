import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from './runner.js';

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
