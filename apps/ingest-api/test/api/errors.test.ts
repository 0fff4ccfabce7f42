import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';

let api: TestApi;
let bearer: { Authorization: string };
let organisationId: string;

beforeAll(async () => {
  api = await startTestApi({ BODY_LIMIT_BYTES: '2048' });
  bearer = { Authorization: `Bearer ${api.token('errors@example.test')}` };
  organisationId = (
    await request(api.service.app)
      .post('/api/v1/organisations')
      .set(bearer)
      .send({ name: 'Errors Inc' })
      .expect(201)
  ).body.id;
});
afterAll(async () => {
  await api.close();
});

interface Case {
  name: string;
  status: number;
  code: string;
  send: (agent: ReturnType<typeof request>) => request.Test;
}

const cases: Case[] = [
  {
    name: 'malformed JSON',
    status: 400,
    code: 'malformed_json',
    send: (r) =>
      r.post('/api/v1/organisations').set('Content-Type', 'application/json').send('{"name": "x",'),
  },
  {
    name: 'body too large',
    status: 413,
    code: 'body_too_large',
    send: (r) => r.post('/api/v1/organisations').send({ name: 'x'.repeat(4096) }),
  },
  {
    name: 'wrong media type',
    status: 415,
    code: 'unsupported_media_type',
    send: (r) => r.post('/api/v1/organisations').set('Content-Type', 'text/plain').send('name=x'),
  },
  { name: 'unknown route', status: 404, code: 'not_found', send: (r) => r.get('/api/v1/nothing-here') },
  { name: 'unknown public route', status: 404, code: 'not_found', send: (r) => r.get('/admin.php') },
  {
    name: 'method not allowed',
    status: 405,
    code: 'method_not_allowed',
    send: (r) => r.delete('/api/v1/me'),
  },
  {
    name: 'validation',
    status: 422,
    code: 'validation_failed',
    send: (r) => r.post('/api/v1/organisations').send({ name: '' }),
  },
  {
    name: 'unknown field',
    status: 422,
    code: 'validation_failed',
    send: (r) => r.post('/api/v1/organisations').send({ name: 'ok', plan: 'enterprise' }),
  },
  { name: 'missing token', status: 401, code: 'missing_token', send: (r) => r.get('/api/v1/me') },
  {
    name: 'garbage token',
    status: 401,
    code: 'malformed_token',
    send: (r) => r.get('/api/v1/me').set('Authorization', 'Bearer garbage'),
  },
  {
    name: 'malformed organisation id',
    status: 400,
    code: 'invalid_organisation_id',
    send: (r) => r.get('/api/v1/organisations/not-a-uuid'),
  },
  {
    name: 'organisation header contradicting the path',
    status: 400,
    code: 'organisation_mismatch',
    send: (r) =>
      r
        .get(`/api/v1/organisations/${organisationId}`)
        .set('X-Organisation-Id', '00000000-0000-4000-8000-000000000000'),
  },
  {
    name: 'not a member',
    status: 403,
    code: 'not_a_member',
    send: (r) => r.get('/api/v1/organisations/00000000-0000-4000-8000-000000000000'),
  },
];

describe('every error path answers problem+json with the request id', () => {
  it.each(cases)('$name → $status $code', async ({ status, code, send }) => {
    const agent = request(api.service.app);
    let test = send(agent).set('X-Request-Id', `req-${code}`);
    if (code !== 'missing_token' && code !== 'malformed_token') test = test.set(bearer);
    const res = await test;
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-request-id']).toBe(`req-${code}`);
    expect(res.body).toMatchObject({
      status,
      code,
      requestId: `req-${code}`,
      title: expect.any(String),
      detail: expect.any(String),
    });
    expect(res.body.type).toMatch(/^https:\/\/prospectflow\.dev\/problems\//);
    expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
  });

  it('lists each invalid field with its path', async () => {
    const res = await request(api.service.app)
      .post('/api/v1/organisations')
      .set(bearer)
      .send({ name: '', slug: 'Not A Slug' })
      .expect(422);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.name', 'body.slug']);
  });

  it('answers 405 with Allow, and 409 for a duplicate invitation', async () => {
    const res = await request(api.service.app)
      .put(`/api/v1/organisations/${organisationId}/members`)
      .set(bearer)
      .send({})
      .expect(405);
    expect(res.headers['allow']).toBe('GET, POST');
    await request(api.service.app)
      .post(`/api/v1/organisations/${organisationId}/members`)
      .set(bearer)
      .send({ email: 'dup@example.test' })
      .expect(201);
    const dup = await request(api.service.app)
      .post(`/api/v1/organisations/${organisationId}/members`)
      .set(bearer)
      .send({ email: 'dup@example.test' })
      .expect(409);
    expect(dup.body.code).toBe('already_member');
  });

  it('generates a request id when the offered one is not sane, and the server stays healthy', async () => {
    const res = await request(api.service.app)
      .get('/api/v1/nothing')
      .set('X-Request-Id', 'bad id with spaces <script>');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await request(api.service.app).get('/health/live').expect(200);
    const ready = await request(api.service.app).get('/health/ready').expect(200);
    expect(ready.body.status).not.toBe('unhealthy');
  });
});
