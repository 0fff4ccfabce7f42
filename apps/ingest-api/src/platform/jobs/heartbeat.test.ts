import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger/logger.js';
import { fileHeartbeat } from './heartbeat.js';
import { JobRunner, type ClaimedJob, type JobQueue } from './runner.js';

const logger = createLogger({ level: 'silent' });
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pf-heartbeat-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const until = async (condition: () => Promise<boolean>, timeoutMs = 2000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

describe('fileHeartbeat', () => {
  it('writes the file, then at most once per interval', async () => {
    const file = path.join(dir, 'worker-heartbeat');
    let clock = 1_000_000;
    const beat = fileHeartbeat(file, logger, 5000, () => clock);
    beat();
    await until(() => exists(file));
    const first = await readFile(file, 'utf8');
    expect(new Date(first.trim()).getTime()).toBe(1_000_000);

    clock += 1000;
    beat();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readFile(file, 'utf8')).toBe(first);

    clock += 5000;
    beat();
    await until(async () => (await readFile(file, 'utf8')) !== first);
  });

  it('logs and carries on when the file cannot be written', async () => {
    const beat = fileHeartbeat(path.join(dir, 'missing', 'heartbeat'), logger);
    expect(() => beat()).not.toThrow();
  });
});

describe('JobRunner onAlive', () => {
  const idleQueue = (claim: JobQueue['claim']): JobQueue => ({
    claim,
    renew: async () => true,
    release: async () => undefined,
  });
  const options = { handlers: {}, logger, leaseSeconds: 30, pollIntervalMs: 10, maxPollIntervalMs: 20 };

  it('beats after every claim the queue answers, even an empty one', async () => {
    let beats = 0;
    const runner = new JobRunner({ ...options, queue: idleQueue(async () => null), onAlive: () => beats++ });
    runner.start();
    await until(async () => beats >= 3);
    await runner.stop();
  });

  it('does not beat while the queue is unreachable', async () => {
    let beats = 0;
    let claims = 0;
    const queue = idleQueue(async (): Promise<ClaimedJob | null> => {
      claims++;
      throw new Error('connection refused');
    });
    const runner = new JobRunner({ ...options, queue, onAlive: () => beats++ });
    runner.start();
    await until(async () => claims >= 3);
    await runner.stop();
    expect(beats).toBe(0);
  });
});
