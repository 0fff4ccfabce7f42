import { withAdmin } from '@prospectflow/test-harness';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';

// Malformed text must be a 422, never stored rewritten: JSON may carry a lone surrogate ("\ud800"), which the
// driver would encode as U+FFFD, and a NUL ("\u0000"), which PostgreSQL cannot store in text at all.

let api: TestApi;
let bearer: { Authorization: string };
let organisationId: string;

const names = async (): Promise<string[]> =>
  withAdmin(api.db.adminUrl, async (admin) =>
    (await admin.query<{ name: string }>('SELECT name FROM iam.organisations ORDER BY name')).rows.map(
      (row) => row.name,
    ),
  );

beforeAll(async () => {
  api = await startTestApi();
  bearer = { Authorization: `Bearer ${api.token('text@example.test')}` };
  organisationId = (
    await request(api.service.app)
      .post('/api/v1/organisations')
      .set(bearer)
      .send({ name: 'Text Inc' })
      .expect(201)
  ).body.id;
});
afterAll(async () => {
  await api.close();
});

const malformed = [
  {
    case: 'a lone surrogate',
    json: String.raw`"Acme \ud800 Ltd"`,
    message: 'must be well-formed Unicode text (it contains a lone UTF-16 surrogate)',
  },
  {
    case: 'a NUL character',
    json: String.raw`"Acme \u0000 Ltd"`,
    message: 'must not contain the NUL character (U+0000)',
  },
];

describe('organisation names are well-formed text', () => {
  it.each(malformed)('create with $case → 422, nothing stored', async ({ json, message }) => {
    const res = await request(api.service.app)
      .post('/api/v1/organisations')
      .set(bearer)
      .set('Content-Type', 'application/json')
      .send(`{"name": ${json}}`)
      .expect(422);
    expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'body.name', message }] });
    expect(await names()).toEqual(['Text Inc']);
  });

  it.each(malformed)('rename with $case → 422, name unchanged', async ({ json, message }) => {
    const res = await request(api.service.app)
      .patch(`/api/v1/organisations/${organisationId}`)
      .set(bearer)
      .set('Content-Type', 'application/json')
      .send(`{"name": ${json}}`)
      .expect(422);
    expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'body.name', message }] });
    expect(await names()).toEqual(['Text Inc']);
  });

  it('stores a well-formed name with astral characters as sent (control)', async () => {
    const res = await request(api.service.app)
      .patch(`/api/v1/organisations/${organisationId}`)
      .set(bearer)
      .set('Content-Type', 'application/json')
      .send(String.raw`{"name": "Text \ud83d\ude00 Inc"}`)
      .expect(200);
    expect(res.body.name).toBe('Text 😀 Inc');
    expect(await names()).toEqual(['Text 😀 Inc']);
  });
});
