import express, { type Express } from 'express';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiRoutes, type AccessMiddlewares } from '../../src/platform/http/api-routes.js';
import { errorHandler, notFound } from '../../src/platform/http/error-handler.js';
import { requestId } from '../../src/platform/http/request-id.js';
import { createLogger } from '../../src/platform/logger/logger.js';

// The 500 fallback of the one error handler: an error nobody maps becomes the generic problem, with nothing of
// it (message, stack, file path, driver fields) in the body, and is logged whole. The failing routes go through
// the real route registry, so Express 5's forwarding of a rejected handler is part of what is tested.

const SECRET = 'secret-3f1c detail from /work/main/apps/ingest-api/src/components/thing.service.ts:42';

const throwers: Record<string, () => unknown> = {
  'a plain Error': () => new Error(SECRET),
  'a TypeError from a bug': () => new TypeError(`Cannot read properties of undefined (reading '${SECRET}')`),
  'a raw driver error with SQLSTATE and row data': () =>
    Object.assign(new Error(`duplicate key ${SECRET}`), {
      code: '23505',
      detail: `Key (email)=(${SECRET}) already exists.`,
      table: 'users',
      constraint: 'users_email_key',
    }),
  'an error claiming a client status': () => Object.assign(new Error(SECRET), { status: 400, expose: true }),
  'a thrown string': () => SECRET,
  'a thrown object': () => ({ message: SECRET, stack: SECRET }),
};

let app: Express;
const logLines: Record<string, unknown>[] = [];

beforeAll(() => {
  const routes = new ApiRoutes('/boom');
  for (const [name, make] of Object.entries(throwers)) {
    routes.add({
      method: 'get',
      path: `/${encodeURIComponent(name.replace(/ /g, '-'))}`,
      operationId: name,
      summary: name,
      tags: ['test'],
      access: 'public',
      responses: { 200: { description: 'never' } },
      handler: async () => {
        throw make();
      },
    });
  }
  const none: AccessMiddlewares = {
    user: [],
    organisation: [],
    requireRole: () => (_req, _res, next) => next(),
    rateLimit: () => (_req, _res, next) => next(),
  };
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  app = express();
  app.use(requestId());
  const router = express.Router();
  routes.mount(router, none, { jsonLimitBytes: 1024 });
  app.use('/boom', router);
  app.use(notFound(() => []));
  app.use(errorHandler({ logger, mappers: [() => null] }));
});

describe('an unmapped error in a route', () => {
  it.each(Object.keys(throwers))('%s → 500 internal_error, nothing of it in the body', async (name) => {
    const path = `/boom/${encodeURIComponent(name.replace(/ /g, '-'))}`;
    const res = await request(app).get(path).set('X-Request-Id', 'req-boom');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual({
      type: 'https://prospectflow.dev/problems/internal_error',
      title: 'Internal server error',
      status: 500,
      detail: 'An unexpected error occurred.',
      instance: path,
      requestId: 'req-boom',
      code: 'internal_error',
    });
    expect(res.text).not.toMatch(
      /secret-3f1c|\/work\/|\.ts:\d+|at \w+ \(|node_modules|23505|users_email_key/,
    );
  });

  it('logs the error with its stack and the request id, at error level', async () => {
    logLines.length = 0;
    await request(app).get('/boom/a-plain-Error').set('X-Request-Id', 'req-logged').expect(500);
    const entry = logLines.find((line) => line['requestId'] === 'req-logged');
    expect(entry).toMatchObject({ level: 'error', err: { message: SECRET } });
    expect((entry?.['err'] as { stack?: string } | undefined)?.stack).toMatch(/internal-error\.test\.ts/);
  });
});
