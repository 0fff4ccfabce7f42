import type { CleanRecord, ColumnValue, EntityValues, RecordProblem } from './crm-record.js';

/**
 * The pure half of the natural-key merge (doc/crm-merge.md): which records of a batch are the same company
 * or the same person, which stored rows they match, which records must be rejected, and the values each
 * entity ends with. The SQL half (`crm-merge.repository.ts`) reads the candidates and writes the plan.
 */

/** Why the merge itself rejects a record (listed in doc/crm-merge.md). */
export const MERGE_CODES = [
  'conflicting_natural_keys',
  'missing_company_name',
  'missing_person_name',
] as const;

export interface MergeRecord {
  /** The record's position in the caller's batch; results come back in this order. */
  index: number;
  record: CleanRecord;
}

/** Stored rows found by one natural key value of a group. */
export interface CompanyCandidate {
  group: number;
  kind: 'siren' | 'domain' | 'pharow';
  id: string;
  siren: string | null;
}
export interface PersonCandidate {
  group: number;
  kind: 'email' | 'linkedin';
  value: string;
  personId: string;
  /** For an e-mail: the position that holds it. */
  positionId: string | null;
  companyId: string | null;
}

export interface Group {
  id: number;
  /** Positions in the batch of the records in this group, in batch order. */
  members: number[];
}

/** A record's natural keys: companies by SIREN, domain, Pharow id; people by e-mail, LinkedIn URL. */
export interface CompanyKeys {
  sirens: string[];
  domains: string[];
  pharows: string[];
}
export interface PersonKeys {
  emails: string[];
  linkedins: string[];
}

const str = (value: ColumnValue | undefined): string | null => (typeof value === 'string' ? value : null);
const lower = (value: string) => value.toLowerCase();

class UnionFind {
  readonly #parent: number[];
  constructor(size: number) {
    this.#parent = Array.from({ length: size }, (_, i) => i);
  }
  find(i: number): number {
    let root = i;
    while (this.#parent[root] !== root) root = this.#parent[root] as number;
    while (this.#parent[i] !== root) {
      const next = this.#parent[i] as number;
      this.#parent[i] = root;
      i = next;
    }
    return root;
  }
  /** Joins two sets under the smaller root, so group numbering follows batch order. */
  union(a: number, b: number): number {
    const ra = this.find(a);
    const rb = this.find(b);
    const [root, child] = ra < rb ? [ra, rb] : [rb, ra];
    this.#parent[child] = root;
    return root;
  }
}

function groupsOf(uf: UnionFind, members: readonly number[]): Group[] {
  const byRoot = new Map<number, number[]>();
  for (const member of members) {
    const root = uf.find(member);
    const list = byRoot.get(root) ?? [];
    list.push(member);
    byRoot.set(root, list);
  }
  return [...byRoot.values()].map((list, id) => ({ id, members: list }));
}

/**
 * Companies of a batch grouped by natural key. The same SIREN is always the same company; the same domain or
 * Pharow id joins two records unless both carry different SIRENs (subsidiaries often share a website).
 */
export function groupCompanies(records: readonly MergeRecord[]): Group[] {
  const uf = new UnionFind(records.length);
  const siren = new Map<number, string | null>();
  const members: number[] = [];
  const seen = new Map<string, number>();
  records.forEach(({ record }, i) => {
    const company = record.company;
    if (!company) return;
    members.push(i);
    siren.set(i, str(company['siren']));
    const keys: [string, string | null][] = [
      ['s', str(company['siren'])],
      ['d', str(company['domain']) ? lower(str(company['domain']) as string) : null],
      ['p', str(company['pharow_company_id'])],
    ];
    for (const [kind, value] of keys) {
      if (value === null) continue;
      const key = `${kind}:${value}`;
      const other = seen.get(key);
      if (other === undefined) {
        seen.set(key, i);
        continue;
      }
      const a = uf.find(other);
      const b = uf.find(i);
      if (a === b) continue;
      const sa = siren.get(a) ?? null;
      const sb = siren.get(b) ?? null;
      if (sa !== null && sb !== null && sa !== sb) continue;
      const root = uf.union(a, b);
      siren.set(root, sa ?? sb);
    }
  });
  return groupsOf(uf, members);
}

/** People of a batch grouped by natural key: the same e-mail or the same LinkedIn profile is one person. */
export function groupPeople(records: readonly MergeRecord[]): Group[] {
  const uf = new UnionFind(records.length);
  const members: number[] = [];
  const seen = new Map<string, number>();
  records.forEach(({ record }, i) => {
    if (!record.person) return;
    members.push(i);
    const email = str(record.position?.['email']);
    const linkedin = str(record.person['linkedin_url']);
    for (const key of [email ? `e:${lower(email)}` : null, linkedin ? `l:${linkedin}` : null]) {
      if (key === null) continue;
      const other = seen.get(key);
      if (other === undefined) seen.set(key, i);
      else uf.union(other, i);
    }
  });
  return groupsOf(uf, members);
}

function distinct(values: readonly (string | null)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== null))];
}

export function companyKeys(records: readonly MergeRecord[], group: Group): CompanyKeys {
  const values = (column: string) =>
    distinct(group.members.map((i) => str(records[i]?.record.company?.[column])));
  return {
    sirens: values('siren'),
    domains: values('domain').map(lower),
    pharows: values('pharow_company_id'),
  };
}

export function personKeys(records: readonly MergeRecord[], group: Group): PersonKeys {
  return {
    emails: distinct(group.members.map((i) => str(records[i]?.record.position?.['email']))).map(lower),
    linkedins: distinct(group.members.map((i) => str(records[i]?.record.person?.['linkedin_url']))),
  };
}

export type Resolution = { match: string | null } | { conflict: string };

/**
 * Picks the stored company a group is: by SIREN; else a company without SIREN that has the group's domain
 * or Pharow id (a record with a SIREN enriches it); without a SIREN, the one company with that domain, else
 * the Pharow id. Refuses when a unique value the group would write (a Pharow id, or the domain of a company
 * without SIREN) belongs to another company.
 */
export function resolveCompany(keys: CompanyKeys, candidates: readonly CompanyCandidate[]): Resolution {
  const by = (kind: CompanyCandidate['kind']) => candidates.filter((candidate) => candidate.kind === kind);
  const sirenless = (list: CompanyCandidate[]) => list.filter((candidate) => candidate.siren === null);
  const bySiren = by('siren')[0];
  const byDomain = by('domain');
  const byPharow = by('pharow');
  let match: CompanyCandidate | undefined;
  if (keys.sirens.length > 0) {
    match = bySiren ?? sirenless(byDomain)[0] ?? sirenless(byPharow)[0];
  } else {
    const domainIds = distinct(byDomain.map((candidate) => candidate.id));
    match =
      sirenless(byDomain)[0] ??
      (domainIds.length === 1 ? byDomain[0] : undefined) ??
      byPharow[0] ??
      undefined;
  }
  const matchId = match?.id ?? null;
  const pharowOwner = byPharow.find((candidate) => candidate.id !== matchId);
  if (pharowOwner) {
    return { conflict: `Its Pharow id belongs to another company (${pharowOwner.id}).` };
  }
  const staysSirenless = keys.sirens.length === 0 && (match === undefined || match.siren === null);
  const domainOwner = staysSirenless
    ? sirenless(byDomain).find((candidate) => candidate.id !== matchId)
    : undefined;
  if (domainOwner) return { conflict: `Its domain belongs to another company (${domainOwner.id}).` };
  return { match: matchId };
}

/** The stored person a group is: every key must lead to the same one (or to none). */
export function resolvePerson(candidates: readonly PersonCandidate[]): Resolution {
  const ids = distinct(candidates.map((candidate) => candidate.personId));
  if (ids.length > 1) {
    return {
      conflict: `Its e-mail and LinkedIn URL belong to different people (${ids.join(', ')}).`,
    };
  }
  return { match: ids[0] ?? null };
}

/**
 * The values an entity ends with: for each column, the last non-empty value of the surviving records in
 * batch order (a later record in the same batch wins, as a later batch would).
 */
export function aggregate(
  records: readonly MergeRecord[],
  members: readonly number[],
  part: (record: CleanRecord) => EntityValues | null,
): EntityValues {
  const values: EntityValues = {};
  for (const i of members) {
    const entity = records[i] ? part(records[i].record) : null;
    if (!entity) continue;
    Object.assign(values, entity);
  }
  return values;
}

export const rejection = (path: string, code: string, message: string): RecordProblem => ({
  path,
  code,
  message,
  severity: 'error',
});

/**
 * The natural key a record is matched by first (`s:` SIREN, `d:` domain, `p:` Pharow id), as the merge
 * matches it; what file validation groups duplicates by.
 */
export function companyKeyOf(record: CleanRecord): string | null {
  const company = record.company;
  if (!company) return null;
  const siren = str(company['siren']);
  const domain = str(company['domain']);
  const pharow = str(company['pharow_company_id']);
  return siren ? `s:${siren}` : domain ? `d:${lower(domain)}` : pharow ? `p:${pharow}` : null;
}

/** A person's first natural key: `e:` the position's e-mail (lower case), else `l:` the LinkedIn URL. */
export function personKeyOf(record: CleanRecord): string | null {
  if (!record.person) return null;
  const email = str(record.position?.['email']);
  const linkedin = str(record.person['linkedin_url']);
  return email ? `e:${lower(email)}` : linkedin ? `l:${linkedin}` : null;
}
