import request from 'supertest';
import type { TestApi } from './app.js';
import type { TestOrganisation } from './organisation.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Text in Windows-1252, as French Excel saves "CSV (séparateur : point-virgule)" (give CRLF row ends). */
export function windows1252(text: string): Buffer {
  const extra: Record<string, number> = {
    '€': 0x80,
    '‚': 0x82,
    ƒ: 0x83,
    '„': 0x84,
    '…': 0x85,
    '†': 0x86,
    '‡': 0x87,
    ˆ: 0x88,
    '‰': 0x89,
    Š: 0x8a,
    '‹': 0x8b,
    Œ: 0x8c,
    Ž: 0x8e,
    '‘': 0x91,
    '’': 0x92,
    '“': 0x93,
    '”': 0x94,
    '•': 0x95,
    '–': 0x96,
    '—': 0x97,
    '˜': 0x98,
    '™': 0x99,
    š: 0x9a,
    '›': 0x9b,
    œ: 0x9c,
    ž: 0x9e,
    Ÿ: 0x9f,
  };
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const byte = extra[char] ?? (code < 0x100 && (code < 0x80 || code >= 0xa0) ? code : undefined);
    if (byte === undefined) throw new Error(`${char} has no Windows-1252 byte`);
    bytes.push(byte);
  }
  return Buffer.from(bytes);
}

export function uploadFile(
  api: TestApi,
  org: TestOrganisation,
  body: Buffer,
  options: { contentType?: string; query?: string; fileName?: string; role?: 'member' | 'admin' } = {},
) {
  return request(api.service.app)
    .post(`/api/v1/imports${options.query ?? ''}`)
    .set(org.as(options.role ?? 'member'))
    .set('Content-Type', options.contentType ?? 'text/csv')
    .set('Content-Disposition', `attachment; filename="${options.fileName ?? 'prospects.csv'}"`)
    .send(body);
}

/** Polls GET /imports/:id until the predicate holds (the worker runs in the background). */
export async function waitForImport(
  api: TestApi,
  org: TestOrganisation,
  id: string,
  until: (body: { status: string; progress: { state: string } | null }) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown> & { status: string; counts: Record<string, number> }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(api.service.app).get(`/api/v1/imports/${id}`).set(org.as('viewer')).expect(200);
    if (until(res.body)) return res.body;
    if (Date.now() > deadline)
      throw new Error(`import ${id} still ${res.body.status}: ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts an import's validate or commit job (202) and waits until it has ended (done or failed). */
export async function runImportJob(
  api: TestApi,
  org: TestOrganisation,
  id: string,
  job: 'validate' | 'commit',
  body: object = {},
) {
  await request(api.service.app)
    .post(`/api/v1/imports/${id}/${job}`)
    .set(org.as('member'))
    .send(body)
    .expect(202);
  const done = job === 'validate' ? 'validated' : 'committed';
  return waitForImport(api, org, id, (b) => b.status === done || b.status === 'failed');
}

export const settled = (body: { status: string }) =>
  ['validated', 'committed', 'reverted', 'failed', 'cancelled', 'mapped', 'uploaded'].includes(body.status);
