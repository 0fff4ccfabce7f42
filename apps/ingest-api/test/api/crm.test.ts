import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';
import { createOrganisation, type TestOrganisation } from '../support/organisation.js';

let api: TestApi;
let org: TestOrganisation;
let admin: pg.Client;

const http = () => request(api.service.app);

async function ingest(records: unknown[], requestId?: string) {
  const req = http().post('/api/v1/ingest').set(org.as('member'));
  if (requestId) req.set('X-Request-Id', requestId);
  const res = await req.send({ records }).expect(200);
  expect(res.body.totals.rejected).toBe(0);
  return res.body.results as {
    company: { id: string } | null;
    person: { id: string } | null;
    position: { id: string } | null;
  }[];
}

const auditRows = async (rowId: string) =>
  (
    await admin.query(
      `SELECT operation, old_values, new_values, user_id, correlation_id FROM audit.audit_log
        WHERE organisation_id = $1 AND row_id = $2 ORDER BY id`,
      [org.id, rowId],
    )
  ).rows;

beforeAll(async () => {
  api = await startTestApi();
  admin = new pg.Client({ connectionString: api.db.adminUrl });
  await admin.connect();
  org = await createOrganisation(api, 'crm');
});
afterAll(async () => {
  await admin.end();
  await api.close();
});

describe('CRM lists', () => {
  it('filters by SIREN, NAF code, domain, accent-insensitive name prefix and update time', async () => {
    const [societe, other] = await ingest([
      {
        company: {
          siren: '552032534',
          name: 'Société Générale des Tests',
          nafCode: '6201Z',
          domain: 'sgt.fr',
        },
      },
      { company: { siren: '652014051', name: 'Autre 100%_sûr', nafCode: '70.22Z', domain: 'autre.fr' } },
    ]);
    const ids = async (query: string) =>
      (await http().get(`/api/v1/companies?${query}`).set(org.as('viewer')).expect(200)).body.items.map(
        (c: { id: string }) => c.id,
      );
    expect(await ids('siren=552032534')).toEqual([societe?.company?.id]);
    expect(await ids('nafCode=62.01z')).toEqual([societe?.company?.id]);
    expect(await ids('nafCode=7022Z')).toEqual([other?.company?.id]);
    expect(await ids('domain=SGT.fr')).toEqual([societe?.company?.id]);
    expect(await ids('q=societe%20GEN')).toEqual([societe?.company?.id]);
    expect(await ids('q=autre%20100%25_')).toEqual([other?.company?.id]);
    expect(await ids('q=100%25')).toEqual([]);
    expect(
      await ids(`updatedSince=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`),
    ).toEqual([]);

    for (const bad of [
      'bogus=1',
      'siren=12345',
      'nafCode=6201',
      'limit=0',
      'limit=201',
      'updatedSince=yesterday',
    ]) {
      const res = await http().get(`/api/v1/companies?${bad}`).set(org.as('viewer')).expect(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const cursor = await http().get('/api/v1/companies?cursor=abc').set(org.as('viewer')).expect(400);
    expect(cursor.body.code).toBe('invalid_cursor');
  });

  it('filters people and positions', async () => {
    const [record] = await ingest([
      {
        company: { domain: 'filtre.fr', name: 'Filtre' },
        person: { firstName: 'Hélène', lastName: 'Müller' },
        position: { email: 'helene@filtre.fr', emailStatus: 'catch-all' },
      },
    ]);
    const companyId = record?.company?.id;
    const people = await http()
      .get(`/api/v1/people?companyId=${companyId}`)
      .set(org.as('viewer'))
      .expect(200);
    expect(people.body.items.map((p: { id: string }) => p.id)).toEqual([record?.person?.id]);
    const byName = await http().get('/api/v1/people?q=helene').set(org.as('viewer')).expect(200);
    expect(byName.body.items.map((p: { id: string }) => p.id)).toEqual([record?.person?.id]);
    const byLast = await http().get('/api/v1/people?q=MULL').set(org.as('viewer')).expect(200);
    expect(byLast.body.items.map((p: { id: string }) => p.id)).toEqual([record?.person?.id]);
    const positions = await http()
      .get(`/api/v1/positions?companyId=${companyId}&emailStatus=catch_all`)
      .set(org.as('viewer'))
      .expect(200);
    expect(positions.body.items.map((p: { id: string }) => p.id)).toEqual([record?.position?.id]);
    await http().get('/api/v1/positions?emailStatus=maybe').set(org.as('viewer')).expect(422);
  });

  it('walks every page without skipping or repeating a row while rows are inserted and deleted', async () => {
    const created = await ingest(
      Array.from({ length: 40 }, (_, i) => ({ company: { domain: `walk-${i}.fr`, name: `Walk ${i}` } })),
    );
    const all = new Set(
      (await admin.query('SELECT id FROM crm.companies WHERE organisation_id = $1', [org.id])).rows.map(
        (row: { id: string }) => row.id,
      ),
    );
    expect(created).toHaveLength(40);
    const seen: string[] = [];
    const deleted = new Set<string>();
    let cursor: string | null = null;
    let round = 0;
    do {
      const res: request.Response = await http()
        .get(`/api/v1/companies?limit=7${cursor ? `&cursor=${cursor}` : ''}`)
        .set(org.as('viewer'))
        .expect(200);
      seen.push(...res.body.items.map((c: { id: string }) => c.id));
      cursor = res.body.nextCursor;
      round += 1;
      // Between pages: new companies arrive, and one not yet seen is deleted.
      await ingest([0, 1, 2].map((i) => ({ company: { domain: `late-${round}-${i}.fr`, name: 'Late' } })));
      const victim = [...all].find((id) => !seen.includes(id) && !deleted.has(id));
      if (victim) {
        await http().delete(`/api/v1/companies/${victim}`).set(org.as('admin')).expect(204);
        deleted.add(victim);
      }
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of all) if (!deleted.has(id)) expect(seen).toContain(id);
  });
});

describe('CRM records', () => {
  it('reads a record with its ETag, and PATCH honours If-Match', async () => {
    const [record] = await ingest([{ company: { siren: '380129866', name: 'Orange' } }]);
    const id = record?.company?.id as string;
    const read = await http().get(`/api/v1/companies/${id}`).set(org.as('viewer')).expect(200);
    const etag = read.headers['etag'] as string;

    const changed = await http()
      .patch(`/api/v1/companies/${id}`)
      .set(org.as('member'))
      .set('If-Match', etag)
      .send({ brandName: 'Orange Business' })
      .expect(200);
    expect(changed.body.brandName).toBe('Orange Business');
    expect(changed.headers['etag']).not.toBe(etag);

    const stale = await http()
      .patch(`/api/v1/companies/${id}`)
      .set(org.as('member'))
      .set('If-Match', etag)
      .send({ brandName: 'Perdu' })
      .expect(412);
    expect(stale.body.code).toBe('precondition_failed');
    await http().patch(`/api/v1/companies/${id}`).set(org.as('member')).send({ hqCity: 'Paris' }).expect(200);
    const final = await http().get(`/api/v1/companies/${id}`).set(org.as('viewer')).expect(200);
    expect(final.body).toMatchObject({ brandName: 'Orange Business', hqCity: 'Paris' });
  });

  it('checks PATCH values with the ingest rules', async () => {
    const [record] = await ingest([{ company: { siren: '775670417', name: 'LVMH' } }]);
    const id = record?.company?.id as string;
    const res = await http()
      .patch(`/api/v1/companies/${id}`)
      .set(org.as('member'))
      .send({ siren: '775670418', mainPhone: '12', name: null, nafCode: '99.99Z', bogus: 1 })
      .expect(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.bogus']);
    const fields = await http()
      .patch(`/api/v1/companies/${id}`)
      .set(org.as('member'))
      .send({ siren: '775670418', mainPhone: '12', name: null, nafCode: '99.99Z' })
      .expect(422);
    expect(fields.body.errors.map((e: { path: string; code: string }) => [e.path, e.code])).toEqual([
      ['body.siren', 'invalid_siren_checksum'],
      ['body.name', 'required'],
      ['body.nafCode', 'unknown_naf'],
      ['body.mainPhone', expect.stringMatching(/phone/)],
    ]);
    await http()
      .patch(`/api/v1/companies/${id}`)
      .set(org.as('member'))
      .send({ name: 'Lone \ud800 surrogate' })
      .expect(422);
    const unchanged = await admin.query('SELECT siren, name FROM crm.companies WHERE id = $1', [id]);
    expect(unchanged.rows[0]).toEqual({ siren: '775670417', name: 'LVMH' });
  });

  it('answers 409 naming the record that already holds a unique value', async () => {
    const [a, b, x, y] = await ingest([
      { company: { siren: '383474814', name: 'Airbus' } },
      { company: { domain: 'sans-siren.fr', name: 'Sans SIREN' } },
      { person: { firstName: 'X', linkedinUrl: 'linkedin.com/in/x-unique' } },
      { person: { firstName: 'Y', linkedinUrl: 'linkedin.com/in/y-unique' } },
    ]);
    const res = await http()
      .patch(`/api/v1/companies/${b?.company?.id}`)
      .set(org.as('member'))
      .send({ siren: '383474814' })
      .expect(409);
    expect(res.body).toMatchObject({ code: 'duplicate_siren', conflictingId: a?.company?.id });
    const person = await http()
      .patch(`/api/v1/people/${y?.person?.id}`)
      .set(org.as('member'))
      .send({ linkedinUrl: 'https://www.linkedin.com/in/x-unique/' })
      .expect(409);
    expect(person.body).toMatchObject({ code: 'duplicate_linkedinUrl', conflictingId: x?.person?.id });
  });

  it('audits a PATCH of one field with exactly that field, the user and the request id; a no-op writes none', async () => {
    const [record] = await ingest(
      [{ person: { firstName: 'Ada', lastName: 'Lovelace', linkedinUrl: 'linkedin.com/in/ada' } }],
      'req-ingest-1',
    );
    const id = record?.person?.id as string;
    expect(await auditRows(id)).toEqual([
      expect.objectContaining({
        operation: 'INSERT',
        user_id: org.userId('member'),
        correlation_id: 'req-ingest-1',
      }),
    ]);
    const before = await http().get(`/api/v1/people/${id}`).set(org.as('viewer')).expect(200);
    await http()
      .patch(`/api/v1/people/${id}`)
      .set(org.as('admin'))
      .set('X-Request-Id', 'req-patch-1')
      .send({ lastName: 'King' })
      .expect(200);
    const rows = await auditRows(id);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual({
      operation: 'UPDATE',
      old_values: { last_name: 'Lovelace' },
      new_values: { last_name: 'King' },
      user_id: org.userId('admin'),
      correlation_id: 'req-patch-1',
    });

    const noop = await http()
      .patch(`/api/v1/people/${id}`)
      .set(org.as('admin'))
      .send({ lastName: 'King', firstName: 'Ada' })
      .expect(200);
    expect(await auditRows(id)).toHaveLength(2);
    const after = await http().get(`/api/v1/people/${id}`).set(org.as('viewer')).expect(200);
    expect(noop.headers['etag']).toBe(after.headers['etag']);
    expect(after.headers['etag']).not.toBe(before.headers['etag']);
  });

  it('deletes a company with its positions (admin only); viewers cannot write', async () => {
    const [record] = await ingest([
      {
        company: { domain: 'supprime.fr', name: 'Supprimée' },
        person: { firstName: 'Z', lastName: 'Z' },
        position: { email: 'z@supprime.fr' },
      },
    ]);
    const companyId = record?.company?.id as string;
    await http()
      .patch(`/api/v1/companies/${companyId}`)
      .set(org.as('viewer'))
      .send({ name: 'X' })
      .expect(403);
    await http().delete(`/api/v1/companies/${companyId}`).set(org.as('member')).expect(403);
    await http().delete(`/api/v1/companies/${companyId}`).set(org.as('admin')).expect(204);
    await http().get(`/api/v1/companies/${companyId}`).set(org.as('viewer')).expect(404);
    await http().get(`/api/v1/positions/${record?.position?.id}`).set(org.as('viewer')).expect(404);
    const person = await http().get(`/api/v1/people/${record?.person?.id}`).set(org.as('viewer')).expect(200);
    expect(person.body.positions).toEqual([]);
    await http().delete(`/api/v1/companies/${companyId}`).set(org.as('admin')).expect(404);
  });

  it('reads a position with its person and company', async () => {
    const [record] = await ingest([
      {
        company: { domain: 'lien.fr', name: 'Lien' },
        person: { firstName: 'L', lastName: 'L' },
        position: { email: 'l@lien.fr', jobTitle: 'CEO' },
      },
    ]);
    const res = await http()
      .get(`/api/v1/positions/${record?.position?.id}`)
      .set(org.as('viewer'))
      .expect(200);
    expect(res.body).toMatchObject({
      jobTitle: 'CEO',
      person: { id: record?.person?.id },
      company: { id: record?.company?.id, name: 'Lien' },
    });
    await http().get('/api/v1/positions/not-a-uuid').set(org.as('viewer')).expect(422);
  });
});
