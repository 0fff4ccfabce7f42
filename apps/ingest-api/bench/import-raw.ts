import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import type { TestDatabase } from '@prospectflow/test-harness';
import type { ColumnValue, EntityValues } from '../src/components/crm/crm-record.js';
import { validateRow } from '../src/components/imports/import-rows.js';
import { suggestMapping } from '../src/components/imports/parse/mapping.js';
import { copyLine } from '../src/platform/db/copy.js';
import { IMPORT_HEADERS, importRows } from './import-data.js';

/**
 * The baseline of the import benchmark: the rows an import keeps (valid, one company per SIREN, one person
 * per e-mail, one position per person and company), prepared as COPY text before the clock starts, then
 * copied into crm.companies, crm.people and crm.positions of a database of its own, as the owner, in one
 * transaction, with every index and trigger the import meets (the audit triggers included). PostgreSQL refuses
 * COPY into a table whose row-level security applies, so for this one measurement the three tables are
 * altered to NO FORCE ROW LEVEL SECURITY in that database: the owner then bypasses the policies.
 */

// The columns the merge writes (crm-merge.repository.ts), in its order.
const COLUMNS = {
  company: [
    'pharow_company_id', 'siren', 'hq_siret', 'name', 'brand_name', 'naf_code', 'naf_nomenclature', 'activity',
    'employee_range', 'annual_revenue_eur', 'main_phone', 'generic_email', 'website_url', 'domain',
    'linkedin_url', 'hq_address', 'hq_postal_code', 'hq_city', 'hq_country',
  ],
  person: ['first_name', 'last_name', 'salutation', 'linkedin_url', 'mobile_phone'],
  position: ['job_title', 'email', 'email_status', 'email_reliability', 'source', 'source_list'],
} as const; // prettier-ignore

export interface CleanRows {
  dir: string;
  rows: number;
  invalid: number;
  companies: number;
  people: number;
  positions: number;
}

class LineFile {
  readonly #stream: WriteStream;
  #buffer: string[] = [];
  #length = 0;
  constructor(file: string) {
    this.#stream = createWriteStream(file);
  }
  async write(line: string): Promise<void> {
    this.#buffer.push(line);
    this.#length += line.length;
    if (this.#length > 1 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const ok = this.#stream.write(this.#buffer.join(''));
    this.#buffer = [];
    this.#length = 0;
    if (!ok) await once(this.#stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.#stream.end();
    await once(this.#stream, 'finish');
  }
}

const field = (value: ColumnValue | undefined): string | number | null =>
  value === undefined || value === null ? null : value;
const valuesOf = (entity: EntityValues | null, columns: readonly string[]) =>
  columns.map((column) =>
    column === 'hq_country' ? (field(entity?.[column]) ?? 'FR') : field(entity?.[column]),
  );

/**
 * Validates the generated rows as the import does (the suggested mapping, `validateRow`) and writes the kept
 * rows as COPY text to three files in `dir`. The organisation id goes into every line.
 */
export async function prepareCleanRows(
  dir: string,
  rows: number,
  seed: number,
  organisationId: string,
): Promise<CleanRows> {
  const headers = [...IMPORT_HEADERS];
  const fields = suggestMapping(headers, null).columns.map((column) => column.field);
  const next = importRows(seed);
  const files = {
    company: new LineFile(path.join(dir, 'companies.copy')),
    person: new LineFile(path.join(dir, 'people.copy')),
    position: new LineFile(path.join(dir, 'positions.copy')),
  };
  const companyIds = new Map<string, string>();
  const personIds = new Map<string, string>();
  const pairs = new Set<string>();
  let invalid = 0;
  for (let rowNumber = 1; rowNumber <= rows; rowNumber += 1) {
    const { valid } = validateRow({ rowNumber, cells: next().cells }, headers, fields);
    if (valid === null) {
      invalid += 1;
      continue;
    }
    const { record, companyKey, personKey } = valid;
    if (companyKey === null || personKey === null) throw new Error(`row ${rowNumber} has no natural key`);
    let companyId = companyIds.get(companyKey);
    if (companyId === undefined) {
      companyId = randomUUID();
      companyIds.set(companyKey, companyId);
      await files.company.write(
        copyLine([organisationId, companyId, ...valuesOf(record.company, COLUMNS.company)]),
      );
    }
    let personId = personIds.get(personKey);
    if (personId === undefined) {
      personId = randomUUID();
      personIds.set(personKey, personId);
      await files.person.write(
        copyLine([organisationId, personId, ...valuesOf(record.person, COLUMNS.person)]),
      );
    }
    const pair = `${personId}/${companyId}`;
    if (!pairs.has(pair)) {
      pairs.add(pair);
      await files.position.write(
        copyLine([
          organisationId,
          randomUUID(),
          personId,
          companyId,
          ...valuesOf(record.position, COLUMNS.position),
        ]),
      );
    }
  }
  await Promise.all(Object.values(files).map((file) => file.close()));
  return {
    dir,
    rows,
    invalid,
    companies: companyIds.size,
    people: personIds.size,
    positions: pairs.size,
  };
}

/** Creates the organisation the clean rows belong to (as the superuser: a fixture, not measured). */
export async function createRawOrganisation(db: TestDatabase, organisationId: string): Promise<void> {
  const admin = new pg.Client({ connectionString: db.adminUrl });
  await admin.connect();
  try {
    // An organisation has exactly one owner (a deferred check): both go in one transaction.
    await admin.query('BEGIN');
    const user = await admin.query<{ user_id: string }>('SELECT user_id FROM iam.sync_user($1, $2, $3, $4)', [
      `sub-bench-raw-${organisationId}`,
      `raw-${organisationId.slice(0, 8)}@bench-import.example`,
      'Bench',
      'Raw',
    ]);
    await admin.query('INSERT INTO iam.organisations (id, name, slug) VALUES ($1, $2, $3)', [
      organisationId,
      'Bench raw COPY',
      `bench-raw-${organisationId.slice(0, 8)}`,
    ]);
    await admin.query(
      "INSERT INTO iam.organisation_users (organisation_id, user_id, role, status) VALUES ($1, $2, 'owner', 'active')",
      [organisationId, user.rows[0]?.user_id],
    );
    await admin.query('COMMIT');
  } finally {
    await admin.end();
  }
}

/**
 * The timed part: one transaction of three COPY statements and its COMMIT, as the owner, straight to
 * PostgreSQL. Returns the seconds.
 */
export async function copyCleanRows(db: TestDatabase, clean: CleanRows): Promise<number> {
  const owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  try {
    for (const table of ['crm.companies', 'crm.people', 'crm.positions'])
      await owner.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
    const copy = async (table: string, columns: readonly string[], file: string) => {
      const stream = owner.query(
        copyFrom(`COPY ${table} (organisation_id, id, ${columns.join(', ')}) FROM STDIN`),
      );
      await pipeline(createReadStream(path.join(clean.dir, file), { highWaterMark: 1 << 20 }), stream);
    };
    const started = performance.now();
    await owner.query('BEGIN');
    await copy('crm.companies', COLUMNS.company, 'companies.copy');
    await copy('crm.people', COLUMNS.person, 'people.copy');
    await copy('crm.positions', ['person_id', 'company_id', ...COLUMNS.position], 'positions.copy');
    await owner.query('COMMIT');
    return (performance.now() - started) / 1000;
  } finally {
    await owner.end();
  }
}
