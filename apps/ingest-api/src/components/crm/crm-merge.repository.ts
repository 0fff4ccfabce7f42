import { randomUUID } from 'node:crypto';
import type { Sql } from '../../platform/db/index.js';
import type { Entity } from './crm.fields.js';
import {
  aggregate,
  companyKeys,
  groupCompanies,
  groupPeople,
  personKeys,
  rejection,
  resolveCompany,
  resolvePerson,
  type CompanyCandidate,
  type Group,
  type MergeRecord,
  type PersonCandidate,
} from './crm-merge.plan.js';
import { fieldName, type ColumnValue, type EntityValues, type RecordProblem } from './crm-record.js';

/**
 * The one natural-key merge of prospect records into crm.companies, crm.people and crm.positions (SPEC §3.2,
 * doc/crm-merge.md), used by JSON ingest and file imports alike. Set-based: a fixed number of statements per
 * batch whatever its size, each fed by `unnest` of one array per column (no per-row round trip, no
 * 65,535-parameter ceiling), inside the caller's tenant transaction.
 */

export type Outcome = 'created' | 'updated' | 'unchanged';

export interface EntityOutcome {
  id: string;
  outcome: Outcome;
  /** API names of the fields this batch wrote (all given fields of a created entity). */
  changed: string[];
  /** The written columns' values before (null for a created row) and after: what an undo needs. */
  before: Record<string, unknown> | null;
  after: Record<string, unknown>;
}

export interface MergeResult {
  index: number;
  outcome: Outcome | 'rejected';
  company: EntityOutcome | null;
  person: EntityOutcome | null;
  position: EntityOutcome | null;
  /** Why the record was rejected (empty otherwise). */
  problems: RecordProblem[];
}

type SqlType = 'text' | 'citext' | 'bigint' | 'smallint';
interface TableSpec {
  entity: Entity;
  table: string;
  columns: readonly { name: string; type: SqlType }[];
  /** Columns whose value is fixed at insert: the link of a position to its person and company. */
  links?: readonly string[];
}

const t = (name: string, type: SqlType = 'text') => ({ name, type });

const COMPANIES: TableSpec = {
  entity: 'company',
  table: 'crm.companies',
  columns: [
    t('pharow_company_id'),
    t('siren'),
    t('hq_siret'),
    t('name'),
    t('brand_name'),
    t('naf_code'),
    t('naf_nomenclature'),
    t('activity'),
    t('employee_range'),
    t('annual_revenue_eur', 'bigint'),
    t('main_phone'),
    t('generic_email', 'citext'),
    t('website_url'),
    t('domain', 'citext'),
    t('linkedin_url'),
    t('hq_address'),
    t('hq_postal_code'),
    t('hq_city'),
    t('hq_country'),
  ],
};
const PEOPLE: TableSpec = {
  entity: 'person',
  table: 'crm.people',
  columns: [t('first_name'), t('last_name'), t('salutation'), t('linkedin_url'), t('mobile_phone')],
};
const POSITIONS: TableSpec = {
  entity: 'position',
  table: 'crm.positions',
  columns: [
    t('job_title'),
    t('email', 'citext'),
    t('email_status'),
    t('email_reliability', 'smallint'),
    t('source'),
    t('source_list'),
  ],
  links: ['person_id', 'company_id'],
};

/** Serialises merges within one organisation (transaction-scoped, so it holds under pgBouncer). */
const MERGE_LOCK_CLASS = 7301;

interface Planned {
  id: string;
  existing: boolean;
  values: EntityValues;
  members: number[];
}

function buildUpdate(spec: TableSpec): string {
  const columns = spec.columns;
  const unnestTypes = ['$1::uuid[]', ...columns.map((c, i) => `$${i + 2}::${c.type}[]`)].join(', ');
  const aliases = ['id', ...columns.map((c) => c.name)].join(', ');
  const changed = columns
    .map(
      (c) =>
        `CASE WHEN i.${c.name} IS NOT NULL AND i.${c.name} IS DISTINCT FROM cur.${c.name} THEN '${c.name}' END`,
    )
    .join(',\n           ');
  return `UPDATE ${spec.table} AS t
     SET ${columns.map((c) => `${c.name} = coalesce(d.${c.name}, t.${c.name})`).join(', ')}
    FROM (SELECT i.*, array_remove(ARRAY[${changed}]::text[], NULL) AS changed, to_jsonb(cur) AS old_row
            FROM unnest(${unnestTypes}) AS i(${aliases})
            JOIN ${spec.table} cur ON cur.id = i.id) AS d
   WHERE t.id = d.id AND cardinality(d.changed) > 0
  RETURNING t.id, d.changed, d.old_row`;
}

function buildInsert(spec: TableSpec): string {
  const links = spec.links ?? [];
  const all = [...links.map((name) => ({ name, type: 'uuid' })), ...spec.columns];
  const unnestTypes = ['$2::uuid[]', ...all.map((c, i) => `$${i + 3}::${c.type}[]`)].join(', ');
  const aliases = ['id', ...all.map((c) => c.name)].join(', ');
  const select = all
    .map((c) => (c.name === 'hq_country' ? `coalesce(i.hq_country, 'FR')` : `i.${c.name}`))
    .join(', ');
  return `INSERT INTO ${spec.table} (organisation_id, id, ${all.map((c) => c.name).join(', ')})
  SELECT $1, i.id, ${select} FROM unnest(${unnestTypes}) AS i(${aliases})
  RETURNING id`;
}

const STATEMENTS = new Map<TableSpec, { update: string; insert: string }>(
  [COMPANIES, PEOPLE, POSITIONS].map((spec) => [
    spec,
    { update: buildUpdate(spec), insert: buildInsert(spec) },
  ]),
);

const column = (rows: readonly Planned[], name: string): (ColumnValue | null)[] =>
  rows.map((row) => row.values[name] ?? null);

/**
 * Writes planned entities of one table: an UPDATE of the matched ones that differ (RETURNING the fields it
 * changed; a row equal to the input is not touched, so no audit row and no updated_at change) and an INSERT
 * of the new ones. Outcomes come from RETURNING, not from a second lookup.
 */
async function write(
  sql: Sql,
  organisationId: string,
  spec: TableSpec,
  planned: readonly Planned[],
  links: (row: Planned) => Record<string, string> = () => ({}),
): Promise<Map<string, EntityOutcome>> {
  const statements = STATEMENTS.get(spec);
  if (!statements) throw new Error(`no statements for ${spec.table}`);
  const outcomes = new Map<string, EntityOutcome>();
  const existing = planned.filter((row) => row.existing);
  const created = planned.filter((row) => !row.existing);
  for (const row of existing) {
    outcomes.set(row.id, { id: row.id, outcome: 'unchanged', changed: [], before: null, after: {} });
  }
  const byId = new Map(planned.map((row) => [row.id, row]));
  const pick = (source: Record<string, unknown>, columns: readonly string[]) =>
    Object.fromEntries(columns.map((name) => [name, source[name] ?? null]));
  if (existing.length > 0) {
    const updated = await sql.any<{ id: string; changed: string[]; old_row: Record<string, unknown> }>(
      statements.update,
      [existing.map((row) => row.id), ...spec.columns.map((c) => column(existing, c.name))],
    );
    for (const row of updated) {
      outcomes.set(row.id, {
        id: row.id,
        outcome: 'updated',
        changed: row.changed.map((name) => fieldName(spec.entity, name)),
        before: pick(row.old_row, row.changed),
        after: pick(byId.get(row.id)?.values ?? {}, row.changed),
      });
    }
  }
  if (created.length > 0) {
    const linkNames = spec.links ?? [];
    const inserted = await sql.any<{ id: string }>(statements.insert, [
      organisationId,
      created.map((row) => row.id),
      ...linkNames.map((name) => created.map((row) => links(row)[name] ?? null)),
      ...spec.columns.map((c) => column(created, c.name)),
    ]);
    for (const { id } of inserted) {
      const values = byId.get(id)?.values ?? {};
      outcomes.set(id, {
        id,
        outcome: 'created',
        changed: Object.keys(values).map((name) => fieldName(spec.entity, name)),
        before: null,
        after: { ...values },
      });
    }
  }
  return outcomes;
}

async function companyCandidates(
  sql: Sql,
  keys: { group: number; kind: 's' | 'd' | 'p'; value: string }[],
): Promise<CompanyCandidate[]> {
  if (keys.length === 0) return [];
  const rows = await sql.any<{ grp: number; kind: 's' | 'd' | 'p'; id: string; siren: string | null }>(
    `WITH k AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[]) AS k(grp, kind, value))
     SELECT k.grp, k.kind, c.id, c.siren FROM k JOIN crm.companies c ON c.siren = k.value WHERE k.kind = 's'
     UNION ALL
     SELECT k.grp, k.kind, c.id, c.siren FROM k JOIN crm.companies c ON c.domain = k.value::citext WHERE k.kind = 'd'
     UNION ALL
     SELECT k.grp, k.kind, c.id, c.siren FROM k JOIN crm.companies c ON c.pharow_company_id = k.value
      WHERE k.kind = 'p'`,
    [keys.map((k) => k.group), keys.map((k) => k.kind), keys.map((k) => k.value)],
  );
  const kinds = { s: 'siren', d: 'domain', p: 'pharow' } as const;
  return rows.map((row) => ({ group: row.grp, kind: kinds[row.kind], id: row.id, siren: row.siren }));
}

async function personCandidates(
  sql: Sql,
  keys: { group: number; kind: 'e' | 'l'; value: string }[],
): Promise<PersonCandidate[]> {
  if (keys.length === 0) return [];
  const rows = await sql.any<{
    grp: number;
    kind: 'e' | 'l';
    value: string;
    person_id: string;
    position_id: string | null;
    company_id: string | null;
  }>(
    `WITH k AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[]) AS k(grp, kind, value))
     SELECT k.grp, k.kind, k.value, p.person_id, p.id AS position_id, p.company_id
       FROM k JOIN crm.positions p ON p.email = k.value::citext WHERE k.kind = 'e'
     UNION ALL
     SELECT k.grp, k.kind, k.value, pe.id, NULL, NULL
       FROM k JOIN crm.people pe ON pe.linkedin_url = k.value WHERE k.kind = 'l'`,
    [keys.map((k) => k.group), keys.map((k) => k.kind), keys.map((k) => k.value)],
  );
  return rows.map((row) => ({
    group: row.grp,
    kind: row.kind === 'e' ? 'email' : 'linkedin',
    value: row.value,
    personId: row.person_id,
    positionId: row.position_id,
    companyId: row.company_id,
  }));
}

async function existingPositions(
  sql: Sql,
  pairs: readonly { personId: string; companyId: string }[],
): Promise<Map<string, string>> {
  if (pairs.length === 0) return new Map();
  const rows = await sql.any<{ id: string; person_id: string; company_id: string }>(
    `SELECT p.id, p.person_id, p.company_id
       FROM unnest($1::uuid[], $2::uuid[]) AS k(person_id, company_id)
       JOIN crm.positions p ON p.person_id = k.person_id AND p.company_id = k.company_id`,
    [pairs.map((pair) => pair.personId), pairs.map((pair) => pair.companyId)],
  );
  return new Map(rows.map((row) => [`${row.person_id}/${row.company_id}`, row.id]));
}

function groupOfMember(groups: readonly Group[]): Map<number, Group> {
  const map = new Map<number, Group>();
  for (const group of groups) for (const member of group.members) map.set(member, group);
  return map;
}

/**
 * Merges clean records (validated by `validateRecord`, errors already removed) into the CRM of the
 * transaction's organisation and says, per record, what happened. Merges of one organisation are serialised
 * by a transaction-scoped advisory lock: matching reads the stored keys before writing, and two batches that
 * both create the same company must not both decide it is new.
 *
 * @throws {DatabaseError} for a database failure; the caller's transaction then rolls back as a whole.
 */
export async function mergeRecords(
  sql: Sql,
  organisationId: string,
  records: readonly MergeRecord[],
): Promise<MergeResult[]> {
  const results: MergeResult[] = records.map(({ index }) => ({
    index,
    outcome: 'unchanged',
    company: null,
    person: null,
    position: null,
    problems: [],
  }));
  if (records.length === 0) return results;
  await sql.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MERGE_LOCK_CLASS, organisationId]);

  const rejected = new Set<number>();
  const reject = (member: number, problem: RecordProblem) => {
    rejected.add(member);
    results[member]?.problems.push(problem);
  };

  // Which records are the same company, and which stored company each group is.
  const companyGroups = groupCompanies(records);
  const companyKeyRows = companyGroups.flatMap((group) => {
    const keys = companyKeys(records, group);
    return [
      ...keys.sirens.map((value) => ({ group: group.id, kind: 's' as const, value })),
      ...keys.domains.map((value) => ({ group: group.id, kind: 'd' as const, value })),
      ...keys.pharows.map((value) => ({ group: group.id, kind: 'p' as const, value })),
    ];
  });
  const companyFound = await companyCandidates(sql, companyKeyRows);
  const companyMatch = new Map<number, string | null>();
  const pharowInBatch = new Map<string, number>();
  for (const group of companyGroups) {
    const keys = companyKeys(records, group);
    const resolution = resolveCompany(
      keys,
      companyFound.filter((candidate) => candidate.group === group.id),
    );
    const otherGroup = keys.pharows.map((pharow) => pharowInBatch.get(pharow)).find((g) => g !== undefined);
    for (const pharow of keys.pharows) pharowInBatch.set(pharow, group.id);
    const conflict =
      'conflict' in resolution
        ? resolution.conflict
        : otherGroup !== undefined
          ? 'Its Pharow id is given to another company earlier in this batch.'
          : null;
    if (conflict !== null) {
      for (const member of group.members) {
        reject(
          member,
          rejection('company', 'conflicting_natural_keys', `This company cannot be matched: ${conflict}`),
        );
      }
    } else if ('match' in resolution) companyMatch.set(group.id, resolution.match);
  }

  // The same for people, by e-mail and LinkedIn URL.
  const personGroups = groupPeople(records);
  const personKeyRows = personGroups.flatMap((group) => {
    const keys = personKeys(records, group);
    return [
      ...keys.emails.map((value) => ({ group: group.id, kind: 'e' as const, value })),
      ...keys.linkedins.map((value) => ({ group: group.id, kind: 'l' as const, value })),
    ];
  });
  const personFound = await personCandidates(sql, personKeyRows);
  const personMatch = new Map<number, string | null>();
  for (const group of personGroups) {
    const resolution = resolvePerson(personFound.filter((candidate) => candidate.group === group.id));
    if ('conflict' in resolution) {
      for (const member of group.members) {
        reject(
          member,
          rejection(
            'person',
            'conflicting_natural_keys',
            `This person cannot be matched: ${resolution.conflict}`,
          ),
        );
      }
    } else personMatch.set(group.id, resolution.match);
  }

  const companyOf = groupOfMember(companyGroups);
  const personOf = groupOfMember(personGroups);
  const companyIds = new Map<number, string>(
    companyGroups.map((group) => [group.id, companyMatch.get(group.id) ?? randomUUID()]),
  );
  const personIds = new Map<number, string>(
    personGroups.map((group) => [group.id, personMatch.get(group.id) ?? randomUUID()]),
  );

  // A position's e-mail is unique in the organisation: it may only move within the same person and company.
  const emailOwner = new Map(
    personFound.filter((c) => c.kind === 'email').map((c) => [c.value.toLowerCase(), c.companyId]),
  );
  const emailInBatch = new Map<string, string>();
  records.forEach(({ record }, member) => {
    const email = record.position?.['email'];
    const company = companyOf.get(member);
    if (typeof email !== 'string' || company === undefined || rejected.has(member)) return;
    const key = email.toLowerCase();
    const companyId = companyIds.get(company.id) as string;
    const owner = emailOwner.get(key);
    const earlier = emailInBatch.get(key);
    if ((owner !== undefined && owner !== companyId) || (earlier !== undefined && earlier !== companyId)) {
      reject(
        member,
        rejection(
          'position.email',
          'conflicting_natural_keys',
          'This e-mail already belongs to a position of this person at another company.',
        ),
      );
      return;
    }
    emailInBatch.set(key, companyId);
  });

  // A new company needs a name and a new person a name or a LinkedIn URL, from a record that is kept. Each
  // rejection can take away the name another group relied on, hence the loop until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const [groups, matches, entity, needs, code, message] of [
      [
        companyGroups,
        companyMatch,
        'company',
        ['name'],
        'missing_company_name',
        'A new company needs a name.',
      ],
      [
        personGroups,
        personMatch,
        'person',
        ['first_name', 'last_name', 'linkedin_url'],
        'missing_person_name',
        'A new person needs a first name, a last name or a LinkedIn URL.',
      ],
    ] as const) {
      for (const group of groups) {
        if (matches.get(group.id) !== null) continue;
        const kept = group.members.filter((member) => !rejected.has(member));
        if (kept.length === 0) continue;
        const named = kept.some((member) =>
          needs.some((name) => records[member]?.record[entity]?.[name] !== undefined),
        );
        if (named) continue;
        for (const member of kept) reject(member, rejection(entity, code, message));
        changed = true;
      }
    }
  }

  const kept = (group: Group) => group.members.filter((member) => !rejected.has(member));
  const plannedCompanies: Planned[] = companyGroups
    .filter((group) => kept(group).length > 0)
    .map((group) => ({
      id: companyIds.get(group.id) as string,
      existing: (companyMatch.get(group.id) ?? null) !== null,
      values: aggregate(records, kept(group), (record) => record.company),
      members: kept(group),
    }));
  const plannedPeople: Planned[] = personGroups
    .filter((group) => kept(group).length > 0)
    .map((group) => ({
      id: personIds.get(group.id) as string,
      existing: (personMatch.get(group.id) ?? null) !== null,
      values: aggregate(records, kept(group), (record) => record.person),
      members: kept(group),
    }));

  // Positions: one per (person, company) pair of the kept records.
  const pairs = new Map<
    string,
    { personId: string; companyId: string; members: number[]; existing: boolean }
  >();
  records.forEach((_, member) => {
    const company = companyOf.get(member);
    const person = personOf.get(member);
    if (rejected.has(member) || company === undefined || person === undefined) return;
    const companyId = companyIds.get(company.id) as string;
    const personId = personIds.get(person.id) as string;
    const key = `${personId}/${companyId}`;
    const pair = pairs.get(key) ?? {
      personId,
      companyId,
      members: [],
      existing:
        (companyMatch.get(company.id) ?? null) !== null && (personMatch.get(person.id) ?? null) !== null,
    };
    pair.members.push(member);
    pairs.set(key, pair);
  });
  const storedPositions = await existingPositions(
    sql,
    [...pairs.values()].filter((pair) => pair.existing),
  );
  const positionLinks = new Map<string, { person_id: string; company_id: string }>();
  const plannedPositions: Planned[] = [...pairs.entries()].map(([key, pair]) => {
    const stored = storedPositions.get(key);
    const id = stored ?? randomUUID();
    positionLinks.set(id, { person_id: pair.personId, company_id: pair.companyId });
    return {
      id,
      existing: stored !== undefined,
      values: aggregate(records, pair.members, (record) => record.position),
      members: pair.members,
    };
  });

  const companyOutcomes = await write(sql, organisationId, COMPANIES, plannedCompanies);
  const personOutcomes = await write(sql, organisationId, PEOPLE, plannedPeople);
  const positionOutcomes = await write(sql, organisationId, POSITIONS, plannedPositions, (row) => {
    const link = positionLinks.get(row.id);
    return link ? { ...link } : {};
  });

  const assign = (
    planned: readonly Planned[],
    outcomes: Map<string, EntityOutcome>,
    key: 'company' | 'person' | 'position',
  ) => {
    for (const row of planned) {
      const outcome = outcomes.get(row.id);
      if (!outcome) continue;
      for (const member of row.members) {
        const result = results[member];
        if (result) result[key] = outcome;
      }
    }
  };
  assign(plannedCompanies, companyOutcomes, 'company');
  assign(plannedPeople, personOutcomes, 'person');
  assign(plannedPositions, positionOutcomes, 'position');
  for (const [member, result] of results.entries()) {
    if (rejected.has(member)) {
      result.outcome = 'rejected';
      result.company = result.person = result.position = null;
      continue;
    }
    const outcomes = [result.company, result.person, result.position].map((entity) => entity?.outcome);
    result.outcome = outcomes.includes('created')
      ? 'created'
      : outcomes.includes('updated')
        ? 'updated'
        : 'unchanged';
  }
  return results;
}
