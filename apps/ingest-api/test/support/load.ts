import { expect } from 'vitest';

/** What one request of a load came to: an HTTP answer, or a transport error before any answer. */
export interface Outcome {
  /** 0 when no HTTP answer came (connection refused or reset). */
  status: number;
  /** The problem code of an error answer, when it has one. */
  code?: string;
  contentType?: string;
  retryAfter?: string;
  /** The raw body text (for the check that no internals leak). */
  text?: string;
  /** The transport error code (ECONNREFUSED, ECONNRESET...) when status is 0. */
  error?: string;
  /** What the caller was doing (a label of its own, e.g. the phase of the fault). */
  label?: string;
}

/**
 * Concurrent request loops that run until stopped: each worker calls `step` again as soon as the previous call
 * settled, and every outcome is kept, so a test can start a fault in the middle and judge every answer after.
 */
export class Load {
  readonly outcomes: Outcome[] = [];
  #running = true;
  readonly #loops: Promise<void>[];

  /**
   * @param pauseMs between two calls of one loop: requests refused at once (a dependency down) would otherwise
   *   spin the loops as fast as the shared cores allow.
   */
  constructor(
    workers: number,
    step: (worker: number, iteration: number) => Promise<Outcome | Outcome[]>,
    pauseMs = 10,
  ) {
    this.#loops = Array.from({ length: workers }, async (_, worker) => {
      for (let iteration = 0; this.#running; iteration += 1) {
        const outcome = await step(worker, iteration);
        this.outcomes.push(...(Array.isArray(outcome) ? outcome : [outcome]));
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    });
  }

  /** Lets every loop finish its current call, then resolves with all outcomes. */
  async stop(): Promise<Outcome[]> {
    this.#running = false;
    await Promise.all(this.#loops);
    return this.outcomes;
  }
}

/** A supertest (or fetch-like) answer as an Outcome. */
export function outcomeOf(
  res: { status: number; headers: Record<string, string | string[] | undefined>; text?: string },
  label?: string,
): Outcome {
  const contentType = String(res.headers['content-type'] ?? '');
  let code: string | undefined;
  if (contentType.includes('json') && res.text) {
    try {
      const parsed = JSON.parse(res.text) as { code?: unknown };
      if (typeof parsed.code === 'string') code = parsed.code;
    } catch {
      // Not JSON after all: the assertions below say so.
    }
  }
  const retryAfter = res.headers['retry-after'];
  return {
    status: res.status,
    contentType,
    ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
    ...(code === undefined ? {} : { code }),
    ...(res.text === undefined ? {} : { text: res.text }),
    ...(label === undefined ? {} : { label }),
  };
}

/** Words that only an internal error would put in an answer: driver messages, addresses, stack frames. */
const INTERNALS =
  /ECONN|EPIPE|terminat|pgbouncer|server conn|redis:\/\/|postgres(ql)?:\/\/|127\.0\.0\.1|\bat .+\.(ts|js):\d+|stack|SQLSTATE|syntax error/i;

/**
 * Every answer is one of the allowed statuses; every error answer is problem+json with an allowed code, a
 * Retry-After when it is a 503, and nothing of the failure's internals.
 */
export function expectCleanOutcomes(
  outcomes: readonly Outcome[],
  allowed: { statuses: readonly number[]; codes: readonly string[] },
): void {
  const unexpected = outcomes.filter((outcome) => !allowed.statuses.includes(outcome.status));
  expect(
    unexpected.slice(0, 5),
    `${unexpected.length} answers outside ${allowed.statuses.join(', ')}`,
  ).toEqual([]);
  for (const outcome of outcomes.filter((o) => o.status >= 400)) {
    expect(outcome.contentType, outcome.text).toMatch(/^application\/problem\+json/);
    expect(allowed.codes, outcome.text).toContain(outcome.code);
    expect(outcome.text ?? '').not.toMatch(INTERNALS);
    if (outcome.status === 503) expect(Number(outcome.retryAfter), outcome.text).toBeGreaterThan(0);
  }
}

export const countBy = (outcomes: readonly Outcome[], status: number) =>
  outcomes.filter((outcome) => outcome.status === status).length;
