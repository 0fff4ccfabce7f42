import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';
import { createOrganisation, type TestOrganisation } from '../support/organisation.js';

let api: TestApi;
let acme: TestOrganisation;
let globex: TestOrganisation;
let admin: pg.Client;

const http = () => request(api.service.app);
const ingest = (
  org: TestOrganisation,
  records: unknown[],
  query = '',
  headers: Record<string, string> = {},
) => http().post(`/api/v1/ingest${query}`).set(org.as('member')).set(headers).send({ records });

/** Rows as the superuser sees them (no RLS), for assertions only. */
const count = async (table: string, organisationId: string) =>
  Number(
    (await admin.query(`SELECT count(*) FROM ${table} WHERE organisation_id = $1`, [organisationId])).rows[0]
      .count,
  );

// Published SIRENs of real French companies (Luhn-valid).
const DANONE = '552032534';
const CARREFOUR = '652014051';
const ORANGE = '380129866';

const pharowRecord = (n: number, siren: string, email: string) => ({
  company: {
    pharowCompanyId: `ph-${siren}`,
    companyName: `Société ${n}`,
    companySiren: siren,
    companyNafSector: '62.01Z - Programmation informatique',
    companyUrl: `https://www.societe-${n}.fr/?utm_source=pharow`,
    companyMainPhone: '01 23 45 67 89',
    companyAnnualRevenueEuros: '1 200 000 €',
    companyEmployeeRangeCorrected: '50-99',
  },
  person: {
    personFirstName: 'Élodie',
    personLastName: `Martin ${n}`,
    personSalutation: 'Mme',
    personLinkedinUrl: `https://fr.linkedin.com/in/elodie-martin-${n}/`,
    personMobilePhone: '06 12 34 56 78',
  },
  position: {
    positionJobTitle: 'Directrice commerciale',
    positionEmail: email,
    positionEmailStatus: 'valid',
    positionEmailReliability: '87%',
  },
});

beforeAll(async () => {
  api = await startTestApi({ INGEST_MAX_RECORDS: '50' });
  admin = new pg.Client({ connectionString: api.db.adminUrl });
  await admin.connect();
  acme = await createOrganisation(api, 'acme');
  globex = await createOrganisation(api, 'globex');
});
afterAll(async () => {
  await admin.end();
  await api.close();
});

describe('POST /api/v1/ingest', () => {
  it('stores a Pharow batch, normalised, and lists it back', async () => {
    const res = await ingest(acme, [
      pharowRecord(1, DANONE, 'elodie.martin1@societe-1.fr'),
      pharowRecord(2, CARREFOUR, 'elodie.martin2@societe-2.fr'),
    ]).expect(200);
    expect(res.body.totals).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 0 });
    expect(res.body.results.map((r: { index: number; outcome: string }) => [r.index, r.outcome])).toEqual([
      [0, 'created'],
      [1, 'created'],
    ]);
    const first = res.body.results[0];
    expect(first.company.outcome).toBe('created');
    expect(first.changed).toEqual(
      expect.arrayContaining(['company.siren', 'person.lastName', 'position.email']),
    );

    const company = await http()
      .get(`/api/v1/companies/${first.company.id}`)
      .set(acme.as('viewer'))
      .expect(200);
    expect(company.body).toMatchObject({
      siren: DANONE,
      vatNumber: 'FR27552032534',
      name: 'Société 1',
      nafCode: '62.01Z',
      nafNomenclature: 'NAF_REV2',
      websiteUrl: expect.not.stringContaining('utm_source'),
      domain: 'societe-1.fr',
      mainPhone: '+33123456789',
      annualRevenueEur: 1200000,
      employeeRange: '50-99',
    });
    expect(company.headers['etag']).toMatch(/^"\d+"$/);
    expect(company.body.positions).toHaveLength(1);
    expect(company.body.positions[0]).toMatchObject({
      email: 'elodie.martin1@societe-1.fr',
      emailStatus: 'valid',
      emailReliability: 87,
      jobTitle: 'Directrice commerciale',
      person: {
        firstName: 'Élodie',
        salutation: 'mrs',
        mobilePhone: '+33612345678',
        linkedinUrl: 'https://www.linkedin.com/in/elodie-martin-1',
      },
    });
    const list = await http().get(`/api/v1/companies?siren=${CARREFOUR}`).set(acme.as('viewer')).expect(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([res.body.results[1].company.id]);
    const people = await http()
      .get('/api/v1/people?email=ELODIE.MARTIN2@societe-2.fr')
      .set(acme.as('viewer'))
      .expect(200);
    expect(people.body.items).toHaveLength(1);
  });

  it('accepts the API field names as well as the Pharow ones', async () => {
    const res = await ingest(acme, [
      {
        company: { siren: ORANGE, name: 'Orange', websiteUrl: 'orange.com', nafCode: '6110Z' },
        person: { firstName: 'Paul', lastName: 'Durand' },
        position: { email: 'paul.durand@orange.com', jobTitle: 'CTO' },
      },
    ]).expect(200);
    expect(res.body.results[0]).toMatchObject({ outcome: 'created', problems: [] });
    const company = await http()
      .get(`/api/v1/companies/${res.body.results[0].company.id}`)
      .set(acme.as('viewer'))
      .expect(200);
    expect(company.body).toMatchObject({ domain: 'orange.com', nafCode: '61.10Z' });
  });

  it('answers unchanged for the same batch twice and writes no audit row', async () => {
    const batch = [pharowRecord(3, '542051180', 'elodie.martin3@societe-3.fr')];
    await ingest(acme, batch).expect(200);
    const auditBefore = await count('audit.audit_log', acme.id);
    const companiesBefore = await admin.query(
      'SELECT id, updated_at FROM crm.companies WHERE organisation_id = $1 ORDER BY id',
      [acme.id],
    );
    const again = await ingest(acme, batch).expect(200);
    expect(again.body.totals).toEqual({ created: 0, updated: 0, unchanged: 1, rejected: 0 });
    expect(again.body.results[0]).toMatchObject({
      outcome: 'unchanged',
      changed: [],
      company: { outcome: 'unchanged' },
      person: { outcome: 'unchanged' },
      position: { outcome: 'unchanged' },
    });
    expect(await count('audit.audit_log', acme.id)).toBe(auditBefore);
    const companiesAfter = await admin.query(
      'SELECT id, updated_at FROM crm.companies WHERE organisation_id = $1 ORDER BY id',
      [acme.id],
    );
    expect(companiesAfter.rows).toEqual(companiesBefore.rows);
  });

  it('matches by SIREN, by domain and by Pharow id, and fills without erasing', async () => {
    const base = await ingest(acme, [
      { company: { siren: '542065479', name: 'Par SIREN', activity: 'Conseil' } },
      { company: { domain: 'par-domaine.fr', name: 'Par domaine' } },
      { company: { pharowCompanyId: 'ph-only-1', name: 'Par Pharow' } },
    ]).expect(200);
    const [bySiren, byDomain, byPharow] = base.body.results.map(
      (r: { company: { id: string } }) => r.company.id,
    );
    const update = await ingest(acme, [
      { company: { siren: '542 065 479', brandName: 'Marque', activity: '' } },
      { company: { websiteUrl: 'http://WWW.Par-Domaine.fr/contact', siren: '444608442' } },
      { company: { pharowCompanyId: 'ph-only-1', hqCity: 'Lyon' } },
    ]).expect(200);
    expect(update.body.results.map((r: { company: { id: string; outcome: string } }) => r.company)).toEqual([
      { id: bySiren, outcome: 'updated' },
      { id: byDomain, outcome: 'updated' },
      { id: byPharow, outcome: 'updated' },
    ]);
    expect(update.body.results[0].changed).toEqual(['company.brandName']);
    const kept = await http().get(`/api/v1/companies/${bySiren}`).set(acme.as('viewer')).expect(200);
    expect(kept.body).toMatchObject({ activity: 'Conseil', brandName: 'Marque' });
    const enriched = await http().get(`/api/v1/companies/${byDomain}`).set(acme.as('viewer')).expect(200);
    expect(enriched.body).toMatchObject({ siren: '444608442', domain: 'par-domaine.fr' });
  });

  it('makes one company of two records for it in one batch', async () => {
    const res = await ingest(acme, [
      {
        company: { siren: '552120222', name: 'Une' },
        person: { firstName: 'A', linkedinUrl: 'linkedin.com/in/a-une' },
      },
      {
        company: { siren: '552120222', hqCity: 'Paris' },
        person: { firstName: 'B', linkedinUrl: 'linkedin.com/in/b-une' },
      },
      { company: { domain: 'une.fr', siren: '552120222' } },
    ]).expect(200);
    const ids = new Set(res.body.results.map((r: { company: { id: string } }) => r.company.id));
    expect(ids.size).toBe(1);
    const rows = await admin.query(
      'SELECT name, hq_city, domain FROM crm.companies WHERE organisation_id = $1 AND siren = $2',
      [acme.id, '552120222'],
    );
    expect(rows.rows).toEqual([{ name: 'Une', hq_city: 'Paris', domain: 'une.fr' }]);
  });

  it('rejects invalid records with coded problems and stores the valid ones', async () => {
    const before = await count('crm.companies', acme.id);
    const res = await ingest(acme, [
      { company: { siren: '552032535', name: 'Mauvais Luhn' } },
      { company: { siren: '775670417', name: 'LVMH', nafCode: '99.99Z' } },
      { company: { domain: 'nul.fr', name: 'Nul\u0000' } },
      { company: { domain: 'surrogate.fr', name: 'Lone \ud800' } },
      { company: { domain: 'long.fr', name: 'x'.repeat(100_000) } },
      { company: { domain: 'ok.fr', name: 'Valide', bogus: 1 } },
      { person: { firstName: 'Sans clé' } },
    ]).expect(200);
    const problems = res.body.results.map((r: { outcome: string; problems: { code: string }[] }) => [
      r.outcome,
      r.problems.map((p) => p.code),
    ]);
    expect(problems).toEqual([
      ['rejected', ['invalid_siren_checksum']],
      ['rejected', ['unknown_naf']],
      ['rejected', ['invalid_characters']],
      ['rejected', ['invalid_characters']],
      ['rejected', ['too_long']],
      ['created', ['unknown_field']],
      ['rejected', ['missing_person_key']],
    ]);
    expect(res.body.results[0].problems[0]).toMatchObject({ path: 'company.siren', severity: 'error' });
    expect(res.body.totals).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 6 });
    expect(await count('crm.companies', acme.id)).toBe(before + 1);
    await http().get('/health/live').expect(200);
  });

  it('stores nothing of an atomic batch with a rejected record and answers 422 with every problem', async () => {
    const before = await count('crm.companies', acme.id);
    const res = await ingest(
      acme,
      [
        { company: { siren: '383474814', name: 'Airbus' } },
        { company: { siren: '123456789', name: 'Faux' } },
        { company: { domain: 'x.fr' } },
      ],
      '?atomic=true',
    ).expect(422);
    expect(res.body.code).toBe('records_rejected');
    expect(res.body.errors).toEqual([
      expect.objectContaining({ path: 'records.1.company.siren', code: 'invalid_siren_checksum' }),
    ]);
    expect(await count('crm.companies', acme.id)).toBe(before);

    // A rejection found by the merge (a new company without a name) also rolls back the whole batch.
    const merged = await ingest(
      acme,
      [{ company: { siren: '383474814', name: 'Airbus' } }, { company: { domain: 'sans-nom.fr' } }],
      '?atomic=true',
    ).expect(422);
    expect(merged.body.errors).toEqual([
      expect.objectContaining({ path: 'records.1.company', code: 'missing_company_name' }),
    ]);
    expect(await count('crm.companies', acme.id)).toBe(before);
  });

  it('refuses more records than the configured limit with 413 naming it, and bad batches with 4xx', async () => {
    const many = Array.from({ length: 51 }, (_, i) => ({ company: { domain: `d${i}.fr`, name: 'D' } }));
    const res = await ingest(acme, many).expect(413);
    expect(res.body.detail).toContain('50');
    await ingest(acme, []).expect(422);
    await http().post('/api/v1/ingest').set(acme.as('member')).send({ records: 'nope' }).expect(422);
    await http()
      .post('/api/v1/ingest?atomic=maybe')
      .set(acme.as('member'))
      .send({ records: [{}] })
      .expect(422);
    await http()
      .post('/api/v1/ingest')
      .set(acme.as('member'))
      .set('Content-Type', 'application/json')
      .send('{"records": [')
      .expect(400);
  });

  it('needs the member role', async () => {
    await ingest(acme, [{ company: { domain: 'viewer.fr', name: 'V' } }])
      .set(acme.as('viewer'))
      .expect(403);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer exactly and writes nothing', async () => {
    const batch = [{ company: { domain: 'idem.fr', name: 'Idem' } }];
    const first = await ingest(acme, batch, '', { 'Idempotency-Key': 'key-1' }).expect(200);
    expect(first.headers['idempotency-replayed']).toBeUndefined();
    const audit = await count('audit.audit_log', acme.id);
    const replay = await ingest(acme, batch, '', { 'Idempotency-Key': 'key-1' }).expect(200);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.text).toBe(first.text);
    expect(await count('audit.audit_log', acme.id)).toBe(audit);

    // The same key with another body is refused; another user's key of the same name is theirs.
    const reused = await ingest(acme, [{ company: { domain: 'autre.fr', name: 'Autre' } }], '', {
      'Idempotency-Key': 'key-1',
    }).expect(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    const other = await http()
      .post('/api/v1/ingest')
      .set(acme.as('admin'))
      .set('Idempotency-Key', 'key-1')
      .send({ records: batch })
      .expect(200);
    expect(other.headers['idempotency-replayed']).toBeUndefined();
    expect(other.body.totals.unchanged).toBe(1);
  });

  it('answers 409 while the first request with the key is still running', async () => {
    // Hold the organisation's merge lock so the first request waits inside its transaction.
    const blocker = new pg.Client({ connectionString: api.db.adminUrl });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT pg_advisory_xact_lock(7301, hashtext($1))', [acme.id]);
    const batch = [{ company: { domain: 'lent.fr', name: 'Lent' } }];
    const first = ingest(acme, batch, '', { 'Idempotency-Key': 'slow-1' }).then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await ingest(acme, batch, '', { 'Idempotency-Key': 'slow-1' }).expect(409);
    expect(second.body.code).toBe('idempotency_in_progress');
    await blocker.query('COMMIT');
    await blocker.end();
    expect((await first).status).toBe(200);
    const replay = await ingest(acme, batch, '', { 'Idempotency-Key': 'slow-1' }).expect(200);
    expect(replay.headers['idempotency-replayed']).toBe('true');
  });

  it('refuses a malformed key', async () => {
    await ingest(acme, [{ company: { domain: 'k.fr', name: 'K' } }], '', {
      'Idempotency-Key': 'é'.repeat(3),
    }).expect(422);
  });
});

describe('concurrency and tenants', () => {
  it('10 concurrent overlapping batches end with no duplicate and no 500', async () => {
    const sirens = ['552032534', '652014051', '380129866', '383474814', '775670417'];
    const batches = Array.from({ length: 10 }, (_, b) =>
      sirens.map((siren, i) => ({
        company: { siren, name: `Concurrent ${i}`, hqCity: `Ville ${b}` },
        person: { firstName: 'P', lastName: `${i}` },
        position: { email: `p${i}@concurrent-${i}.fr` },
      })),
    );
    const responses = await Promise.all(batches.map((batch) => ingest(globex, batch)));
    expect(responses.map((res) => res.status)).toEqual(Array(10).fill(200));
    for (const res of responses) expect(res.body.totals.rejected).toBe(0);
    const rows = await admin.query(
      'SELECT siren, count(*)::int AS n FROM crm.companies WHERE organisation_id = $1 GROUP BY siren ORDER BY siren',
      [globex.id],
    );
    expect(rows.rows).toEqual([...sirens].sort().map((siren) => ({ siren, n: 1 })));
    expect(await count('crm.positions', globex.id)).toBe(5);
    expect(await count('crm.people', globex.id)).toBe(5);
  });

  it('never matches, shows or changes another organisation\u2019s records', async () => {
    // This SIREN exists in acme only: globex gets a new company of its own and learns nothing of acme's.
    const acmeDanone = (
      await admin.query('SELECT id FROM crm.companies WHERE organisation_id = $1 AND siren = $2', [
        acme.id,
        '542051180',
      ])
    ).rows[0].id;
    const res = await http()
      .post('/api/v1/ingest')
      .set(globex.as('member'))
      .send({ records: [{ company: { siren: '542051180', name: 'Chez Globex' } }] })
      .expect(200);
    expect(res.body.results[0]).toMatchObject({
      outcome: 'created',
      changed: ['company.siren', 'company.name'],
    });
    expect(res.body.results[0].company.id).not.toBe(acmeDanone);
    const theirs = await admin.query('SELECT organisation_id FROM crm.companies WHERE id = $1', [
      res.body.results[0].company.id,
    ]);
    expect(theirs.rows[0].organisation_id).toBe(globex.id);

    const list = await http().get('/api/v1/companies?limit=200').set(globex.as('viewer')).expect(200);
    const ids = list.body.items.map((c: { id: string }) => c.id);
    expect(ids).not.toContain(acmeDanone);
    await http().get(`/api/v1/companies/${acmeDanone}`).set(globex.as('viewer')).expect(404);
    await http()
      .patch(`/api/v1/companies/${acmeDanone}`)
      .set(globex.as('admin'))
      .send({ name: 'X' })
      .expect(404);
    await http().delete(`/api/v1/companies/${acmeDanone}`).set(globex.as('admin')).expect(404);
    const people = await http().get('/api/v1/people?limit=200').set(globex.as('viewer')).expect(200);
    const positions = await http().get('/api/v1/positions?limit=200').set(globex.as('viewer')).expect(200);
    const owners = await admin.query(
      `SELECT DISTINCT organisation_id FROM crm.people WHERE id = ANY($1::uuid[])
       UNION SELECT DISTINCT organisation_id FROM crm.positions WHERE id = ANY($2::uuid[])`,
      [
        people.body.items.map((p: { id: string }) => p.id),
        positions.body.items.map((p: { id: string }) => p.id),
      ],
    );
    expect(owners.rows).toEqual([{ organisation_id: globex.id }]);
    const stillAcme = await admin.query('SELECT name, organisation_id FROM crm.companies WHERE id = $1', [
      acmeDanone,
    ]);
    expect(stillAcme.rows[0]).toEqual({ name: 'Société 3', organisation_id: acme.id });
  });
});
