import { describe, expect, it } from 'vitest';
import type { CleanRecord } from './crm-record.js';
import {
  aggregate,
  groupCompanies,
  groupPeople,
  resolveCompany,
  resolvePerson,
  type CompanyCandidate,
  type MergeRecord,
} from './crm-merge.plan.js';

const records = (...parts: Partial<CleanRecord>[]): MergeRecord[] =>
  parts.map((part, index) => ({
    index,
    record: { company: part.company ?? null, person: part.person ?? null, position: part.position ?? null },
  }));
const members = (groups: { members: number[] }[]) => groups.map((group) => group.members);

describe('groupCompanies', () => {
  it('joins records by SIREN, and by domain or Pharow id unless their SIRENs differ', () => {
    const batch = records(
      { company: { siren: '552032534', domain: 'danone.fr' } },
      { company: { domain: 'DANONE.fr' } },
      { company: { siren: '652014051', domain: 'danone.fr' } },
      { company: { pharow_company_id: 'p1', siren: '652014051' } },
      { company: { pharow_company_id: 'p1' } },
      { person: { first_name: 'no company' } },
    );
    expect(members(groupCompanies(batch))).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
  });
});

describe('groupPeople', () => {
  it('joins records that share an e-mail or a LinkedIn URL, transitively', () => {
    const batch = records(
      { person: { first_name: 'a' }, position: { email: 'A@x.fr' } },
      { person: { linkedin_url: 'https://www.linkedin.com/in/a' }, position: { email: 'a@x.fr' } },
      { person: { linkedin_url: 'https://www.linkedin.com/in/a' }, position: { email: 'a@y.fr' } },
      { person: { linkedin_url: 'https://www.linkedin.com/in/b' } },
    );
    expect(members(groupPeople(batch))).toEqual([[0, 1, 2], [3]]);
  });
});

describe('resolveCompany', () => {
  const candidate = (kind: CompanyCandidate['kind'], id: string, siren: string | null): CompanyCandidate => ({
    group: 0,
    kind,
    id,
    siren,
  });

  it('prefers the SIREN, then a company without SIREN found by domain or Pharow id', () => {
    const keys = { sirens: ['552032534'], domains: ['d.fr'], pharows: [] };
    // The domain of a company with a SIREN is not unique (subsidiaries share one): no conflict.
    expect(
      resolveCompany(keys, [candidate('siren', 's', '552032534'), candidate('domain', 'd', null)]),
    ).toEqual({
      match: 's',
    });
    expect(resolveCompany(keys, [candidate('domain', 'd', null)])).toEqual({ match: 'd' });
    expect(resolveCompany(keys, [candidate('domain', 'other', '111111118')])).toEqual({ match: null });
  });

  it('without a SIREN, takes the only company with the domain, else the Pharow id', () => {
    const keys = { sirens: [], domains: ['d.fr'], pharows: ['p'] };
    expect(
      resolveCompany(keys, [candidate('domain', 'x', '552032534'), candidate('pharow', 'x', '552032534')]),
    ).toEqual({
      match: 'x',
    });
    expect(
      resolveCompany({ sirens: [], domains: ['d.fr'], pharows: [] }, [
        candidate('domain', 'x', '552032534'),
        candidate('domain', 'y', '652014051'),
      ]),
    ).toEqual({ match: null });
  });

  it('refuses the domain of another company without SIREN for a company that stays without one', () => {
    const keys = { sirens: [], domains: ['d.fr', 'e.fr'], pharows: [] };
    expect(resolveCompany(keys, [candidate('domain', 'd', null), candidate('domain', 'e', null)])).toEqual({
      conflict: expect.stringContaining('domain') as unknown as string,
    });
  });

  it('refuses a Pharow id that belongs to another company', () => {
    const keys = { sirens: ['552032534'], domains: [], pharows: ['p'] };
    expect(
      resolveCompany(keys, [candidate('siren', 's', '552032534'), candidate('pharow', 'o', '652014051')]),
    ).toEqual({
      conflict: expect.stringContaining('Pharow') as unknown as string,
    });
  });
});

describe('resolvePerson', () => {
  it('matches one person and refuses keys that lead to two', () => {
    const found = (personId: string) => ({
      group: 0,
      kind: 'email' as const,
      value: 'a@x.fr',
      personId,
      positionId: null,
      companyId: null,
    });
    expect(resolvePerson([])).toEqual({ match: null });
    expect(resolvePerson([found('p'), found('p')])).toEqual({ match: 'p' });
    expect(resolvePerson([found('p'), found('q')])).toHaveProperty('conflict');
  });
});

describe('aggregate', () => {
  it('keeps the last non-empty value of each column in batch order', () => {
    const batch = records({ company: { name: 'First', hq_city: 'Lyon' } }, { company: { name: 'Second' } });
    expect(aggregate(batch, [0, 1], (record) => record.company)).toEqual({ name: 'Second', hq_city: 'Lyon' });
  });
});
