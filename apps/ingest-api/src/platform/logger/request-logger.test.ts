import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { requestLogger } from './request-logger.js';

function appAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  const logger = createLogger({ level, destination });
  let fieldCalls = 0;
  const app = express();
  app.use(
    requestLogger({
      logger,
      fields: () => {
        fieldCalls += 1;
        return { requestId: 'req-1', userId: 'user-1' };
      },
    }),
  );
  const router = express.Router();
  router.get('/ok', (_req, res) => res.json({ ok: true }));
  router.get('/missing', (_req, res) => res.status(404).json({}));
  router.get('/broken', (_req, res) => res.status(500).json({}));
  app.use('/api', router);
  return { app, lines, fieldCalls: () => fieldCalls };
}

describe('requestLogger', () => {
  it('builds nothing for a request whose line the level drops', async () => {
    const { app, lines, fieldCalls } = appAt('warn');
    await request(app).get('/api/ok?secret=1').expect(200);
    expect(lines).toEqual([]);
    expect(fieldCalls()).toBe(0);
  });

  it('writes a 4xx at warn with the fields, the method and the path as it arrived, without its query', async () => {
    const { app, lines } = appAt('warn');
    await request(app).get('/api/missing?token=abc').expect(404);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      msg: 'request completed',
      requestId: 'req-1',
      userId: 'user-1',
      req: { method: 'GET', url: '/api/missing' },
      res: { statusCode: 404 },
    });
    expect(lines[0]?.['responseTime']).toEqual(expect.any(Number));
  });

  it('writes a 5xx at error with an err, and a success at info when info is on', async () => {
    const { app, lines } = appAt('info');
    await request(app).get('/api/broken').expect(500);
    await request(app).get('/api/ok').expect(200);
    expect(lines.map((line) => [line['level'], line['msg']])).toEqual([
      ['error', 'request errored'],
      ['info', 'request completed'],
    ]);
    expect(lines[0]?.['err']).toMatchObject({ message: 'failed with status code 500' });
  });
});
