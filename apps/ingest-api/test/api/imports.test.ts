import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';
import { buildXlsx, cell, deflateBomb, row, styles, workbookParts } from '../fixtures/imports/workbooks.js';
import { runImportJob, uploadFile, waitForImport, windows1252, XLSX_TYPE } from '../support/imports.js';
import { createOrganisation, type TestOrganisation } from '../support/organisation.js';

let api: TestApi;
let acme: TestOrganisation;
let globex: TestOrganisation;
let admin: pg.Client;

const http = () => request(api.service.app);
const count = async (table: string, organisationId: string, where = 'true', values: unknown[] = []) =>
  Number(
    (
      await admin.query(`SELECT count(*) FROM ${table} WHERE organisation_id = $1 AND ${where}`, [
        organisationId,
        ...values,
      ])
    ).rows[0].count,
  );

const HEADER =
  "SIREN;Raison sociale;Code NAF;Site web;Prénom;Nom;E-mail;Téléphone portable;Fonction;Chiffre d'affaires";
/** A file as French Excel writes it: Windows-1252, `;`, CRLF, quoted cells with `;`, `""` and newlines. */
const FRENCH_EXCEL = windows1252(
  [
    HEADER,
    '552032534;Danone;10.51A;www.danone.fr;Élodie;Martin;elodie.martin@danone.fr;06 12 34 56 78;Directrice achats;27,6 Md€',
    '652014051;Carrefour;47.11F;carrefour.fr;Jérôme;Œuvray;jerome.oeuvray@carrefour.fr;07 81 23 45 67;Responsable d’agence;1 200 000 €',
    '552032535;Faux SIREN;62.01Z;faux.fr;Alain;Bernard;alain.bernard@faux.fr;;;',
    '552032534;Danone;10.51A;www.danone.fr;Élodie;Martin;elodie.martin@danone.fr;;;',
    '380129866;Orange;61.10Z;orange.com;Paul;"Durand; ""fils""";paul.durand@orange.com;;"Directeur\ntechnique";',
    '=HYPERLINK("http://evil.example");Piège;;piege.fr;Eve;Hacker;eve@piege.fr;;;',
  ].join('\r\n') + '\r\n',
);
const MAPPING = {
  SIREN: 'company.siren',
  'Raison sociale': 'company.name',
  'Code NAF': 'company.nafCode',
  'Site web': 'company.websiteUrl',
  Prénom: 'person.firstName',
  Nom: 'person.lastName',
  'E-mail': 'position.email',
  'Téléphone portable': 'person.mobilePhone',
  Fonction: 'position.jobTitle',
  "Chiffre d'affaires": 'company.annualRevenueEur',
};

const runJob = (org: TestOrganisation, id: string, job: 'validate' | 'commit', body: object = {}) =>
  runImportJob(api, org, id, job, body);

beforeAll(async () => {
  api = await startTestApi({
    WORKER_IN_PROCESS: 'true',
    WORKER_POLL_INTERVAL_MS: '20',
    RATE_LIMIT_IMPORTS_PER_WINDOW: '1000000',
    RATE_LIMIT_PUBLIC_PER_WINDOW: '1000000',
    RATE_LIMIT_DEFAULT_PER_WINDOW: '1000000',
  });
  admin = new pg.Client({ connectionString: api.db.adminUrl });
  await admin.connect();
  acme = await createOrganisation(api, 'imp-acme');
  globex = await createOrganisation(api, 'imp-globex');
});
afterAll(async () => {
  await admin.end();
  await api.close();
});

describe('a French Excel file, end to end', () => {
  let id: string;

  it('uploads: detects Windows-1252 and ;, reads quoted cells, previews and suggests a mapping', async () => {
    const res = await uploadFile(api, acme, FRENCH_EXCEL, { fileName: 'prospects-été.csv' }).expect(201);
    id = res.body.id;
    expect(res.headers['location']).toBe(`/api/v1/imports/${id}`);
    expect(res.body).toMatchObject({
      status: 'uploaded',
      format: 'csv',
      encoding: 'windows-1252',
      delimiter: ';',
      rowsTotal: 6,
      headers: HEADER.split(';'),
    });
    expect(res.body.preview[0]).toEqual(expect.arrayContaining(['27,6 Md€', 'Élodie']));
    expect(res.body.preview[1]).toEqual(expect.arrayContaining(['Œuvray', 'Responsable d’agence']));
    expect(res.body.preview[4]).toEqual(expect.arrayContaining(['Durand; "fils"', 'Directeur\ntechnique']));
    const suggested = Object.fromEntries(
      res.body.suggestedMapping.columns.map((c: { header: string; field: string | null }) => [
        c.header,
        c.field,
      ]),
    );
    expect(suggested).toMatchObject({
      SIREN: 'company.siren',
      'Raison sociale': 'company.name',
      'E-mail': 'position.email',
    });
    expect(await count('crm.import_rows', acme.id, 'import_id = $2', [id])).toBe(6);
  });

  it('refuses an invalid mapping with 422 listing each problem', async () => {
    const res = await http()
      .put(`/api/v1/imports/${id}/mapping`)
      .set(acme.as('member'))
      .send({ mapping: { SIREN: 'company.nope', 'Raison sociale': 'company.name', Nom: 'company.name' } })
      .expect(422);
    expect(res.body.errors.length).toBeGreaterThanOrEqual(2);
    await http().post(`/api/v1/imports/${id}/commit`).set(acme.as('member')).send({}).expect(409);
  });

  it('validates: counts valid, invalid, duplicates within the file; nothing in the CRM yet', async () => {
    await http()
      .put(`/api/v1/imports/${id}/mapping`)
      .set(acme.as('member'))
      .send({ mapping: MAPPING })
      .expect(200);
    const validated = await runJob(acme, id, 'validate');
    expect(validated.status).toBe('validated');
    expect(validated.counts).toMatchObject({ valid: 4, invalid: 2, duplicates: 1, existing: 0 });
    expect(await count('crm.companies', acme.id)).toBe(0);
  });

  it('commits in one go and records the outcome counts', async () => {
    const committed = await runJob(acme, id, 'commit');
    expect(committed.status).toBe('committed');
    expect(committed.counts).toMatchObject({ created: 4, updated: 0, unchanged: 0, rejected: 2 });
    expect(await count('crm.companies', acme.id)).toBe(3);
    expect(await count('crm.people', acme.id)).toBe(3);
    expect(await count('crm.positions', acme.id)).toBe(3);
    const danone = await admin.query(
      'SELECT name, annual_revenue_eur, domain FROM crm.companies WHERE organisation_id = $1 AND siren = $2',
      [acme.id, '552032534'],
    );
    expect(danone.rows).toEqual([{ name: 'Danone', annual_revenue_eur: '27600000000', domain: 'danone.fr' }]);
    const orange = await admin.query(
      `SELECT pe.last_name, p.job_title FROM crm.people pe JOIN crm.positions p ON p.person_id = pe.id
        WHERE pe.organisation_id = $1 AND p.email = 'paul.durand@orange.com'`,
      [acme.id],
    );
    expect(orange.rows).toEqual([{ last_name: 'Durand; "fils"', job_title: 'Directeur\ntechnique' }]);
    const audited = await count('audit.audit_log', acme.id, 'import_id = $2', [id]);
    expect(audited).toBeGreaterThanOrEqual(9);
    // Staged rows without problems are purged after the commit; those with problems stay for the error CSV.
    expect(await count('crm.import_rows', acme.id, 'import_id = $2', [id])).toBe(3);
  });

  it('exports the rejected rows as CSV that Excel opens, formulas neutralised', async () => {
    const res = await http()
      .get(`/api/v1/imports/${id}/errors?delimiter=;`)
      .set(acme.as('viewer'))
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const bytes = res.body as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text).toContain('invalid_siren_checksum');
    expect(text).toContain('duplicate_in_file');
    expect(text).toContain(';');
    // No cell of the export starts with =, +, -, @ (Excel would run it).
    for (const line of text.split(/\r?\n/)) {
      for (const cell of line.split(';')) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+\-@\t\r]/);
    }
    expect(text).toContain("'=HYPERLINK");
  });

  it('the same file again changes nothing', async () => {
    const again = await uploadFile(api, acme, FRENCH_EXCEL).expect(201);
    const auditBefore = await count('audit.audit_log', acme.id);
    await http()
      .put(`/api/v1/imports/${again.body.id}/mapping`)
      .set(acme.as('member'))
      .send({ mapping: MAPPING });
    const validated = await runJob(acme, again.body.id, 'validate');
    expect(validated.counts).toMatchObject({ valid: 4, existing: 4 });
    const committed = await runJob(acme, again.body.id, 'commit');
    expect(committed.counts).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    expect(await count('audit.audit_log', acme.id)).toBe(auditBefore);
    expect(await count('crm.companies', acme.id)).toBe(3);
  });

  it('remembers the confirmed mapping for the same headers', async () => {
    const third = await uploadFile(api, acme, FRENCH_EXCEL).expect(201);
    const remembered = third.body.suggestedMapping.columns.filter(
      (c: { reason: string }) => c.reason === 'remembered',
    );
    expect(remembered).toHaveLength(HEADER.split(';').length);
    await http().delete(`/api/v1/imports/${third.body.id}`).set(acme.as('member')).expect(204);
    expect(await count('crm.import_rows', acme.id, 'import_id = $2', [third.body.id])).toBe(0);
  });

  it('shows another organisation nothing of an import', async () => {
    for (const path of ['', '/errors']) {
      await http().get(`/api/v1/imports/${id}${path}`).set(globex.as('admin')).expect(404);
    }
    await http()
      .put(`/api/v1/imports/${id}/mapping`)
      .set(globex.as('admin'))
      .send({ mapping: MAPPING })
      .expect(404);
    await http().post(`/api/v1/imports/${id}/validate`).set(globex.as('admin')).send({}).expect(404);
    await http().post(`/api/v1/imports/${id}/revert`).set(globex.as('admin')).expect(404);
    await http().delete(`/api/v1/imports/${id}`).set(globex.as('admin')).expect(404);
    const list = await http().get('/api/v1/imports').set(globex.as('viewer')).expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(id);
  });
});

describe('undo', () => {
  it('deletes what the import created and restores what it updated, except what changed since', async () => {
    const org = await createOrganisation(api, 'imp-undo');
    await http()
      .post('/api/v1/ingest')
      .set(org.as('member'))
      .send({ records: [{ company: { siren: '380129866', name: 'Orange SA' } }] })
      .expect(200);
    const file = Buffer.from(
      'SIREN,Raison sociale,Ville\n380129866,Orange,Paris\n552032534,Danone,Paris\n652014051,Carrefour,Massy\n',
    );
    const uploaded = await uploadFile(api, org, file).expect(201);
    const id = uploaded.body.id;
    await http()
      .put(`/api/v1/imports/${id}/mapping`)
      .set(org.as('member'))
      .send({
        mapping: { SIREN: 'company.siren', 'Raison sociale': 'company.name', Ville: 'company.hqCity' },
      })
      .expect(200);
    await runJob(org, id, 'validate');
    const committed = await runJob(org, id, 'commit');
    expect(committed.counts).toMatchObject({ created: 2, updated: 1 });

    const ids = Object.fromEntries(
      (
        await admin.query('SELECT siren, id FROM crm.companies WHERE organisation_id = $1', [org.id])
      ).rows.map((row: { siren: string; id: string }) => [row.siren, row.id]),
    );
    // Edited in between: a field the import updated, and a record it created.
    await http()
      .patch(`/api/v1/companies/${ids['380129866']}`)
      .set(org.as('member'))
      .send({ name: 'Orange Business', hqCity: 'Lyon' })
      .expect(200);
    await http()
      .patch(`/api/v1/companies/${ids['652014051']}`)
      .set(org.as('member'))
      .send({ hqCity: 'Évry' })
      .expect(200);

    await http().post(`/api/v1/imports/${id}/revert`).set(org.as('member')).expect(403);
    await http().post(`/api/v1/imports/${id}/revert`).set(org.as('admin')).expect(202);
    const reverted = await waitForImport(
      api,
      org,
      id,
      (b) => b.status === 'reverted' || b.status === 'failed',
    );
    expect(reverted.status).toBe('reverted');
    expect(reverted['revertReport']).toMatchObject({
      deleted: { companies: 1, people: 0, positions: 0 },
      conflictCount: 3,
      conflicts: expect.arrayContaining([
        expect.objectContaining({ id: ids['380129866'], field: 'name', reason: 'changed_since' }),
        // Named as the API names fields, not by column.
        expect.objectContaining({ id: ids['380129866'], field: 'hqCity', reason: 'changed_since' }),
        expect.objectContaining({ id: ids['652014051'], field: null, reason: 'changed_since' }),
      ]),
    });
    const rows = (
      await admin.query(
        'SELECT siren, name, hq_city FROM crm.companies WHERE organisation_id = $1 ORDER BY siren',
        [org.id],
      )
    ).rows;
    expect(rows).toEqual([
      { siren: '380129866', name: 'Orange Business', hq_city: 'Lyon' },
      { siren: '652014051', name: 'Carrefour', hq_city: 'Évry' },
    ]);
    expect(await count('audit.audit_log', org.id, "import_id = $2 AND operation = 'DELETE'", [id])).toBe(1);

    // Idempotent: asking again changes nothing.
    const again = await http().post(`/api/v1/imports/${id}/revert`).set(org.as('admin')).expect(200);
    expect(again.body.status).toBe('reverted');
  });
});

describe('files that are not what they claim', () => {
  it.each([
    ['an empty file', Buffer.alloc(0), 'empty_file'],
    ['a header-only file', Buffer.from('SIREN;Nom\r\n'), null],
    [
      'binary garbage',
      Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x13, 0x37, 0x00, 0x00]),
      'binary_file',
    ],
  ])('%s: a clear answer and nothing staged', async (_name, body, code) => {
    const before = await count('crm.import_rows', acme.id);
    const res = await uploadFile(api, acme, body);
    if (code === null) {
      expect(res.status).toBe(201);
      expect(res.body.rowsTotal).toBe(0);
    } else {
      expect(res.status).toBe(422);
      expect(res.body.code).toBe(code);
    }
    expect(await count('crm.import_rows', acme.id)).toBe(before);
    await http().get('/health/live').expect(200);
  });

  it('ragged rows are row errors, not an aborted import', async () => {
    const res = await uploadFile(
      api,
      acme,
      Buffer.from('SIREN,Raison sociale\n552032534,Danone,extra\n652014051\n380129866,Orange\n'),
    ).expect(201);
    await http()
      .put(`/api/v1/imports/${res.body.id}/mapping`)
      .set(acme.as('member'))
      .send({ mapping: { SIREN: 'company.siren', 'Raison sociale': 'company.name' } })
      .expect(200);
    const validated = await runJob(acme, res.body.id, 'validate');
    expect(validated.counts).toMatchObject({ valid: 1, invalid: 2 });
  });
});

describe('more files through the API', () => {
  it('UTF-16 LE tab-separated with BOM (Excel "Unicode text") and UTF-8 with BOM are read right', async () => {
    const text = 'SIREN\tRaison sociale\r\n552032534\tSociété Générale\r\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const res = await uploadFile(api, acme, utf16, { contentType: 'text/tab-separated-values' }).expect(201);
    expect(res.body).toMatchObject({ encoding: 'utf-16le', delimiter: '\t', rowsTotal: 1 });
    expect(res.body.preview).toEqual([['552032534', 'Société Générale']]);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('SIREN,Nom\n552032534,Œuvre\n')]);
    const utf8 = await uploadFile(api, acme, bom).expect(201);
    expect(utf8.body).toMatchObject({ encoding: 'utf-8-bom', delimiter: ',', headers: ['SIREN', 'Nom'] });
    expect(utf8.body.preview).toEqual([['552032534', 'Œuvre']]);
  });

  it('an XLSX with formulas, dates and leading-zero identifiers, in one shot (mapping=auto&commit=true)', async () => {
    const org = await createOrganisation(api, 'imp-xlsx');
    const workbook = buildXlsx({
      sheets: [
        {
          name: 'Prospects',
          rows: [
            row(1, cell.shared('A1', 0), cell.shared('B1', 1), cell.shared('C1', 2), cell.shared('D1', 3)),
            row(
              2,
              cell.number('A2', 5880596, 1),
              cell.shared('B2', 4),
              cell.number('C2', 46023, 2),
              cell.number('D2', 6000, 3),
            ),
            row(
              3,
              cell.formulaNumber('A3', '552032530+4', 552032534),
              cell.formulaString('B3', 'UPPER("danone")', 'DANONE'),
              cell.number('C3', 46024, 2),
              cell.number('D3', 75001),
            ),
          ].join(''),
        },
      ],
      sharedStrings: ['SIREN', 'Raison sociale', 'Date', 'Code postal', 'Gedimo Holding'],
      styles: styles(
        [
          [164, '000000000'],
          [165, 'dd/mm/yyyy'],
          [166, '00000'],
        ],
        [0, 164, 165, 166],
      ),
    });
    const res = await uploadFile(api, org, workbook, {
      contentType: XLSX_TYPE,
      fileName: 'prospects.xlsx',
      query: `?mapping=${encodeURIComponent(JSON.stringify({ SIREN: 'company.siren', 'Raison sociale': 'company.name', 'Code postal': 'company.hqPostalCode', Date: null }))}&commit=true`,
    }).expect(201);
    expect(res.body).toMatchObject({ format: 'xlsx', sheet: 'Prospects', rowsTotal: 2 });
    expect(res.body.preview).toEqual([
      ['005880596', 'Gedimo Holding', '2026-01-01', '06000'],
      ['552032534', 'DANONE', '2026-01-02', '75001'],
    ]);
    const done = await waitForImport(
      api,
      org,
      res.body.id,
      (b) => b.status === 'committed' || b.status === 'failed',
    );
    expect(done.counts).toMatchObject({ created: 2, rejected: 0 });
    const rows = (
      await admin.query(
        'SELECT siren, hq_postal_code FROM crm.companies WHERE organisation_id = $1 ORDER BY siren',
        [org.id],
      )
    ).rows;
    expect(rows).toEqual([
      { siren: '005880596', hq_postal_code: '06000' },
      { siren: '552032534', hq_postal_code: '75001' },
    ]);
  });

  it('refuses an XLSX zip bomb with 422 before it costs memory, and stages nothing', async () => {
    const leading = workbookParts({ sheets: [{ name: 'S', rows: '' }] }).filter(
      ([path]) => !path.includes('sheet1'),
    );
    const bomb = deflateBomb(
      [
        {
          path: 'xl/worksheets/sheet1.xml',
          head: `<worksheet><sheetData>${row(1, cell.inline('A1', 'h'))}`,
          unit: `<row r="2">${cell.inline('A2', 'aaaaaaaaaaaaaaaaaaaa')}</row>`,
          tail: '</sheetData></worksheet>',
          inflatedBytes: 64 * 1024 * 1024,
        },
      ],
      leading,
    );
    const before = await count('crm.import_rows', acme.id);
    const res = await uploadFile(api, acme, bomb, { contentType: XLSX_TYPE, fileName: 'bomb.xlsx' }).expect(
      422,
    );
    expect(res.body.code).toBe('zip_bomb');
    expect(await count('crm.import_rows', acme.id)).toBe(before);
    await http().get('/health/live').expect(200);
  });

  it('answers 413 for a file over the size limit while streaming, and removes what was staged', async () => {
    const small = await api.another({ IMPORT_MAX_BYTES: '200000' });
    const lines = ['SIREN,Raison sociale'];
    for (let i = 0; i < 20_000; i += 1) lines.push(`552032534,Entreprise numéro ${i}`);
    const before = await count('crm.import_rows', acme.id);
    const res = await request(small.app)
      .post('/api/v1/imports')
      .set(acme.as('member'))
      .set('Content-Type', 'text/csv')
      .send(Buffer.from(lines.join('\n')))
      .expect(413);
    expect(res.body.detail).toContain('200000');
    expect(await count('crm.import_rows', acme.id)).toBe(before);
    const failed = await admin.query(
      "SELECT count(*)::int AS n FROM crm.imports WHERE organisation_id = $1 AND status = 'failed' AND rows_total > 0",
      [acme.id],
    );
    expect(failed.rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('checks and enrols a campaign: already enrolled is a duplicate, enrolled elsewhere a warning', async () => {
    const org = await createOrganisation(api, 'imp-campaign');
    const ingested = await http()
      .post('/api/v1/ingest')
      .set(org.as('member'))
      .send({
        records: [
          {
            company: { domain: 'deja.fr', name: 'Déjà' },
            person: { firstName: 'A' },
            position: { email: 'a@deja.fr' },
          },
          {
            company: { domain: 'deja.fr', name: 'Déjà' },
            person: { firstName: 'B' },
            position: { email: 'b@deja.fr' },
          },
        ],
      })
      .expect(200);
    const [a, b] = ingested.body.results.map((r: { person: { id: string } }) => r.person.id);
    const campaign = (
      await http().post('/api/v1/campaigns').set(org.as('member')).send({ name: 'Automne' }).expect(201)
    ).body.id;
    const other = (
      await http().post('/api/v1/campaigns').set(org.as('member')).send({ name: 'Été' }).expect(201)
    ).body.id;
    await http()
      .post(`/api/v1/campaigns/${campaign}/enrolments`)
      .set(org.as('member'))
      .send({ people: [{ personId: a }] })
      .expect(200);
    await http()
      .post(`/api/v1/campaigns/${other}/enrolments`)
      .set(org.as('member'))
      .send({ people: [{ personId: b }] })
      .expect(200);

    const file = Buffer.from(
      'E-mail,Prénom,Domaine,Entreprise\na@deja.fr,A,deja.fr,Déjà\nb@deja.fr,B,deja.fr,Déjà\nc@deja.fr,C,deja.fr,Déjà\n',
    );
    const uploaded = await uploadFile(api, org, file).expect(201);
    await http()
      .put(`/api/v1/imports/${uploaded.body.id}/mapping`)
      .set(org.as('member'))
      .send({
        mapping: {
          'E-mail': 'position.email',
          Prénom: 'person.firstName',
          Domaine: 'company.domain',
          Entreprise: 'company.name',
        },
      })
      .expect(200);
    const validated = await runJob(org, uploaded.body.id, 'validate', { campaignId: campaign });
    // Row 4's person is new, but its company is stored: it matches the CRM too.
    expect(validated.counts).toMatchObject({ valid: 3, existing: 3, warnings: 2 });
    const problems = (
      await admin.query(
        'SELECT row_number, code FROM crm.import_errors WHERE import_id = $1 ORDER BY row_number',
        [uploaded.body.id],
      )
    ).rows;
    expect(problems).toEqual([
      { row_number: 2, code: 'already_enrolled' },
      { row_number: 3, code: 'recently_enrolled_elsewhere' },
    ]);
    const committed = await runJob(org, uploaded.body.id, 'commit');
    expect(committed.counts).toMatchObject({ created: 1, unchanged: 2, enrolled: 2 });
    const enrolled = await admin.query(
      'SELECT count(*)::int AS n FROM outreach.campaign_enrollments WHERE organisation_id = $1 AND campaign_id = $2',
      [org.id, campaign],
    );
    expect(enrolled.rows[0].n).toBe(3);
  });
});
