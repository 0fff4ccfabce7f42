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
  /**
   * The changed columns' values before and after: what an undo needs for an updated row. A created row has
   * none (null, {}): the undo finds it by the audit trail's INSERT entry and deletes it (ADR 0062).
   */
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

/**
 * The lock, and key lookups only for the merge's statements. The planner guesses the organisation's share of
 * a table (its policy's `organisation_id = (SELECT ...)` is a parameter; a new organisation, or what an import
 * commit inserted in its own transaction, is in no statistics) at a fraction of the truth, and then reads every
 * row of the organisation per batch (a hash join, or a loop over a materialised batch): a 1,000,000-row commit
 * went quadratic. With hash joins, merge joins and materialisation off, the statements below (each written so
 * that the stored rows are reached by a unique index from the batch) cost the batch's size, whatever the
 * table's. Transaction-local (set_config(..., true)); the previous values are read first (the OFFSET 0
 * subquery runs before the outer target list) and put back by RESTORE_PLAN once the merge is done. The audit
 * trigger function sets its own (migration 20261202150000000).
 */
const LOCK_AND_PLAN = `SELECT s.hashjoin, s.mergejoin, s.material, pg_advisory_xact_lock($1, hashtext($2)) AS locked,
        set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
        set_config('enable_material', 'off', true)
   FROM (SELECT current_setting('enable_hashjoin') AS hashjoin, current_setting('enable_mergejoin') AS mergejoin,
                current_setting('enable_material') AS material OFFSET 0) s`;
const RESTORE_PLAN = `SELECT set_config('enable_hashjoin', $1, true), set_config('enable_mergejoin', $2, true),
        set_config('enable_material', $3, true)`;

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
  // Each stored row is read by its primary key (the LATERAL ... OFFSET 0 cannot be turned into a join that
  // reads the whole table), and d is a subquery of its own (OFFSET 0), so that with LOCK_AND_PLAN's settings the only
  // cheap plan left is d driving a primary-key probe of t per row (see LOCK_AND_PLAN).
  return `UPDATE ${spec.table} AS t
     SET ${columns.map((c) => `${c.name} = coalesce(d.${c.name}, t.${c.name})`).join(', ')}
    FROM (SELECT i.*, array_remove(ARRAY[${changed}]::text[], NULL) AS changed, to_jsonb(cur) AS old_row
            FROM unnest(${unnestTypes}) AS i(${aliases})
           CROSS JOIN LATERAL (SELECT * FROM ${spec.table} c WHERE c.id = i.id OFFSET 0) AS cur
          OFFSET 0) AS d
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
        after: {},
      });
    }
  }
  return outcomes;
}

async function companyCandidates(
  sql: Sql,
  keys: { group: number; kind: 's' | 'd' | 'p'; value: string }[],
  sirenGroups: ReadonlySet<number>,
): Promise<CompanyCandidate[]> {
  if (keys.length === 0) return [];
  // Each key probes its unique index (text equality is leakproof, so the index can serve under the policy);
  // LATERAL ... OFFSET 0 cannot be planned as a join reading the organisation's companies.
  const of = (kind: 's' | 'p') => {
    const list = keys.filter((k) => k.kind === kind);
    return [list.map((k) => k.group), list.map((k) => k.value)];
  };
  const rows = await sql.any<{ grp: number; kind: 's' | 'p'; id: string; siren: string | null }>(
    `SELECT k.grp, 's' AS kind, c.id, c.siren
       FROM unnest($1::int[], $2::text[]) AS k(grp, value)
      CROSS JOIN LATERAL (SELECT c.id, c.siren FROM crm.companies c WHERE c.siren = k.value OFFSET 0) c
     UNION ALL
     SELECT k.grp, 'p', c.id, c.siren
       FROM unnest($3::int[], $4::text[]) AS k(grp, value)
      CROSS JOIN LATERAL (SELECT c.id, c.siren FROM crm.companies c WHERE c.pharow_company_id = k.value OFFSET 0) c`,
    [...of('s'), ...of('p')],
  );
  const kinds = { s: 'siren', p: 'pharow' } as const;
  const candidates: CompanyCandidate[] = rows.map((row) => ({
    group: row.grp,
    kind: kinds[row.kind],
    id: row.id,
    siren: row.siren,
  }));
  // Domains. A group with a SIREN only ever takes a company WITHOUT a SIREN by its domain (resolveCompany),
  // so its domains are looked up among those alone (the partial unique index of domains); only groups
  // without a SIREN need every company that has their domain.
  const domains = keys.filter((k) => k.kind === 'd');
  for (const sirenless of [true, false]) {
    const list = domains.filter((k) => sirenGroups.has(k.group) === sirenless);
    if (list.length === 0) continue;
    // Each domain probes an index of domain_key, lower(domain) as text (ADR 0064): citext's equality is not
    // leakproof and no index could serve it under the tenant policy. Lowered beforehand, for lower() is not
    // leakproof either.
    const rows = await sql.any<{ ord: number; id: string; siren: string | null }>(
      `WITH k AS MATERIALIZED (SELECT ord, lower(value) AS key
                                 FROM unnest($1::text[]) WITH ORDINALITY AS k(value, ord))
       SELECT k.ord::int AS ord, c.id, c.siren
         FROM k CROSS JOIN LATERAL (SELECT c.id, c.siren FROM crm.companies c
                                     WHERE c.domain_key = k.key AND ${sirenless ? 'c.siren IS NULL' : 'true'}
                                    OFFSET 0) c`,
      [list.map((k) => k.value)],
    );
    for (const row of rows) {
      const key = list[row.ord - 1];
      if (key) candidates.push({ group: key.group, kind: 'domain', id: row.id, siren: row.siren });
    }
  }
  return candidates;
}

async function personCandidates(
  sql: Sql,
  keys: { group: number; kind: 'e' | 'l'; value: string }[],
): Promise<PersonCandidate[]> {
  if (keys.length === 0) return [];
  const linkedins = keys.filter((k) => k.kind === 'l');
  const rows = await sql.any<{ grp: number; value: string; person_id: string }>(
    `SELECT k.grp, k.value, pe.id AS person_id
       FROM unnest($1::int[], $2::text[]) AS k(grp, value)
      CROSS JOIN LATERAL (SELECT pe.id FROM crm.people pe WHERE pe.linkedin_url = k.value OFFSET 0) pe`,
    [linkedins.map((k) => k.group), linkedins.map((k) => k.value)],
  );
  const emails = keys.filter((k) => k.kind === 'e');
  // Each e-mail probes the unique index of positions.email_key, lower(email) as text: text equality is
  // leakproof, so the index serves under the tenant policy, where citext's could not (ADR 0064). PostgreSQL
  // lower-cases the batch's e-mails as it did the key, beforehand: lower() is not leakproof either, and in the
  // probe's condition it would forbid the index as well.
  const byEmail =
    emails.length === 0
      ? []
      : await sql.any<{
          grp: number;
          value: string;
          person_id: string;
          position_id: string;
          company_id: string;
        }>(
          `WITH k AS MATERIALIZED (SELECT grp, value, lower(value) AS key
                                     FROM unnest($1::int[], $2::text[]) AS k(grp, value))
           SELECT k.grp, k.value, p.person_id, p.id AS position_id, p.company_id
             FROM k CROSS JOIN LATERAL (SELECT p.person_id, p.id, p.company_id FROM crm.positions p
                                         WHERE p.email_key = k.key OFFSET 0) p`,
          [emails.map((k) => k.group), emails.map((k) => k.value)],
        );
  const candidates: PersonCandidate[] = byEmail.map((row) => ({
    group: row.grp,
    kind: 'email',
    value: row.value,
    personId: row.person_id,
    positionId: row.position_id,
    companyId: row.company_id,
  }));
  for (const row of rows) {
    candidates.push({
      group: row.grp,
      kind: 'linkedin',
      value: row.value,
      personId: row.person_id,
      positionId: null,
      companyId: null,
    });
  }
  return candidates;
}

async function existingPositions(
  sql: Sql,
  pairs: readonly { personId: string; companyId: string }[],
): Promise<Map<string, string>> {
  if (pairs.length === 0) return new Map();
  const rows = await sql.any<{ id: string; person_id: string; company_id: string }>(
    `SELECT p.id, p.person_id, p.company_id
       FROM unnest($1::uuid[], $2::uuid[]) AS k(person_id, company_id)
      CROSS JOIN LATERAL (SELECT p.id, p.person_id, p.company_id FROM crm.positions p
                           WHERE p.person_id = k.person_id AND p.company_id = k.company_id OFFSET 0) p`,
    [pairs.map((pair) => pair.personId), pairs.map((pair) => pair.companyId)],
  );
  return new Map(rows.map((row) => [`${row.person_id}/${row.company_id}`, row.id]));
}

/** Candidates by group, in their order (a filter per group would cost groups × candidates per batch). */
function byGroup<C extends { group: number }>(candidates: readonly C[]): Map<number, C[]> {
  const map = new Map<number, C[]>();
  for (const candidate of candidates) {
    const list = map.get(candidate.group);
    if (list) list.push(candidate);
    else map.set(candidate.group, [candidate]);
  }
  return map;
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
  const planner = await sql.one<{ hashjoin: string; mergejoin: string; material: string }>(LOCK_AND_PLAN, [
    MERGE_LOCK_CLASS,
    organisationId,
  ]);

  const rejected = new Set<number>();
  const reject = (member: number, problem: RecordProblem) => {
    rejected.add(member);
    results[member]?.problems.push(problem);
  };

  // Which records are the same company, and which stored company each group is.
  const companyGroups = groupCompanies(records);
  const keysOfGroup = new Map(companyGroups.map((group) => [group.id, companyKeys(records, group)]));
  const keysOf = (group: Group) => keysOfGroup.get(group.id) ?? companyKeys(records, group);
  const companyKeyRows = companyGroups.flatMap((group) => {
    const keys = keysOf(group);
    return [
      ...keys.sirens.map((value) => ({ group: group.id, kind: 's' as const, value })),
      ...keys.domains.map((value) => ({ group: group.id, kind: 'd' as const, value })),
      ...keys.pharows.map((value) => ({ group: group.id, kind: 'p' as const, value })),
    ];
  });
  const sirenGroups = new Set(
    companyGroups.filter((group) => keysOf(group).sirens.length > 0).map((group) => group.id),
  );
  const companyFound = await companyCandidates(sql, companyKeyRows, sirenGroups);
  const companyFoundByGroup = byGroup(companyFound);
  const companyMatch = new Map<number, string | null>();
  const pharowInBatch = new Map<string, number>();
  for (const group of companyGroups) {
    const keys = keysOf(group);
    const resolution = resolveCompany(keys, companyFoundByGroup.get(group.id) ?? []);
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
  const personFoundByGroup = byGroup(personFound);
  const personMatch = new Map<number, string | null>();
  for (const group of personGroups) {
    const resolution = resolvePerson(personFoundByGroup.get(group.id) ?? []);
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
  await sql.query(RESTORE_PLAN, [planner.hashjoin, planner.mergejoin, planner.material]);
  return results;
}
