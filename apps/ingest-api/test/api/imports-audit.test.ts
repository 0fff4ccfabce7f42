import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';
import { runImportJob, uploadFile, waitForImport } from '../support/imports.js';
import { createOrganisation, type TestOrganisation } from '../support/organisation.js';
import { sirenOf } from '../support/siren.js';

// The summary audit mode of the import commit (ADR 0062): one entry per row written, without values, the
// values being in crm.import_changes; full entries everywhere else.

let api: TestApi;
let org: TestOrganisation;
let admin: pg.Client;

const http = () => request(api.service.app);
const MAPPING = {
  SIREN: 'company.siren',
  'Raison sociale': 'company.name',
  'E-mail': 'position.email',
  Nom: 'person.lastName',
};
const file = (rows: string[]) => Buffer.from(`SIREN;Raison sociale;E-mail;Nom\r\n${rows.join('\r\n')}\r\n`);

async function commit(body: Buffer): Promise<string> {
  const uploaded = await uploadFile(api, org, body).expect(201);
  const id: string = uploaded.body.id;
  await http()
    .put(`/api/v1/imports/${id}/mapping`)
    .set(org.as('member'))
    .send({ mapping: MAPPING })
    .expect(200);
  expect((await runImportJob(api, org, id, 'validate')).status).toBe('validated');
  expect((await runImportJob(api, org, id, 'commit')).status).toBe('committed');
  return id;
}

const entries = async (where: string, values: unknown[]) =>
  (
    await admin.query<{
      table_name: string;
      operation: string;
      row_id: string;
      old_values: unknown;
      new_values: Record<string, unknown> | null;
    }>(
      `SELECT table_name, operation, row_id, old_values, new_values FROM audit.audit_log
        WHERE organisation_id = $1 AND ${where} ORDER BY id`,
      [org.id, ...values],
    )
  ).rows;

beforeAll(async () => {
  api = await startTestApi({ WORKER_IN_PROCESS: 'true', WORKER_POLL_INTERVAL_MS: '20' });
  admin = new pg.Client({ connectionString: api.db.adminUrl });
  await admin.connect();
  org = await createOrganisation(api, 'imp-audit');
});
afterAll(async () => {
  await admin.end();
  await api.close();
});

describe('the audit of an import commit', () => {
  let first: string;

  it('has one entry per created row, without values: the values are the row itself', async () => {
    first = await commit(file(['552032534;Danone;elodie.martin@danone.fr;Martin']));
    const audited = await entries('import_id = $2', [first]);
    expect(audited.map((e) => `${e.table_name}/${e.operation}`).sort()).toEqual([
      'companies/INSERT',
      'people/INSERT',
      'positions/INSERT',
    ]);
    for (const entry of audited) expect([entry.old_values, entry.new_values]).toEqual([null, null]);
    const company = audited.find((e) => e.table_name === 'companies');
    const changes = await admin.query(
      'SELECT operation, new_values FROM crm.import_changes WHERE import_id = $1 AND row_id = $2',
      [first, company?.row_id],
    );
    // Not copied into crm.import_changes either: the undo finds the row by this entry, the values are the row.
    expect(changes.rows).toEqual([]);
    const stored = await admin.query('SELECT siren, name FROM crm.companies WHERE id = $1', [
      company?.row_id,
    ]);
    expect(stored.rows).toEqual([{ siren: '552032534', name: 'Danone' }]);
  });

  it('has one entry per updated row, the changed fields in crm.import_changes', async () => {
    const second = await commit(file(['552032534;Danone SA;elodie.martin@danone.fr;Martin']));
    const audited = await entries('import_id = $2', [second]);
    expect(audited.map((e) => `${e.table_name}/${e.operation}/${String(e.new_values)}`)).toEqual([
      'companies/UPDATE/null',
    ]);
    const changes = await admin.query(
      'SELECT operation, old_values, new_values FROM crm.import_changes WHERE import_id = $1',
      [second],
    );
    expect(changes.rows).toEqual([
      { operation: 'updated', old_values: { name: 'Danone' }, new_values: { name: 'Danone SA' } },
    ]);
  });

  it('keeps full entries for the undo, for JSON ingest, and without an import id', async () => {
    await http().post(`/api/v1/imports/${first}/revert`).set(org.as('admin')).expect(202);
    await waitForImport(api, org, first, (b) => b.status === 'reverted' || b.status === 'failed');
    const deleted = await entries("import_id = $2 AND operation = 'DELETE'", [first]);
    expect(deleted.length).toBeGreaterThan(0);
    for (const entry of deleted) expect(entry.old_values).not.toBeNull();

    await http()
      .post('/api/v1/ingest')
      .set(org.as('member'))
      .send({ records: [{ company: { siren: '652014051', name: 'Carrefour' } }] })
      .expect(200);
    const ingested = await entries(
      "import_id IS NULL AND table_name = 'companies' AND operation = 'INSERT'",
      [],
    );
    expect(ingested.at(-1)?.new_values).toMatchObject({ siren: '652014051', name: 'Carrefour' });

    // The database's own guard: summary without app.import_id writes full entries.
    await admin.query('BEGIN');
    await admin.query("SELECT set_config('app.audit_mode', 'summary', true)");
    await admin.query('INSERT INTO crm.companies (organisation_id, name, siren) VALUES ($1, $2, $3)', [
      org.id,
      'Orange',
      '380129866',
    ]);
    await admin.query('COMMIT');
    const direct = await entries("table_name = 'companies' AND new_values ->> 'siren' = $2", ['380129866']);
    expect(direct).toHaveLength(1);
  });

  it('undoes a row created in one chunk and changed by a later one by deleting it, not restoring it', async () => {
    // Chunks are 5,000 rows: row 5,002 changes the company row 2 created, in the same commit.
    const rows = Array.from({ length: 5001 }, (_, i) => {
      const siren = sirenOf(100_000 + i);
      return `${siren};Société ${i};contact${i}@exemple${i}.fr;Nom${i}`;
    });
    rows.push(`${sirenOf(100_000)};Société 0 renommée;contact0@exemple0.fr;Nom0`);
    const id = await commit(file(rows));
    const changed = await admin.query(
      'SELECT table_name, operation FROM crm.import_changes WHERE import_id = $1',
      [id],
    );
    expect(changed.rows).toEqual([{ table_name: 'companies', operation: 'updated' }]);
    await http().post(`/api/v1/imports/${id}/revert`).set(org.as('admin')).expect(202);
    const reverted = await waitForImport(
      api,
      org,
      id,
      (b) => b.status === 'reverted' || b.status === 'failed',
    );
    expect(reverted['revertReport']).toMatchObject({
      restoredRows: 0,
      deleted: { companies: 5001, people: 5001, positions: 5001 },
      conflictCount: 0,
    });
    const left = await admin.query(
      "SELECT count(*)::int AS n FROM crm.companies WHERE organisation_id = $1 AND name LIKE 'Société %'",
      [org.id],
    );
    expect(left.rows[0].n).toBe(0);
  }, 60_000);
});
