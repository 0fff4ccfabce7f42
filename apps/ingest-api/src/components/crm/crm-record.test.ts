import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MERGE_CODES } from './crm-merge.plan.js';
import { parseEuros, RECORD_CODES, validateRecord } from './crm-record.js';

const codes = (raw: unknown) => validateRecord(raw).problems.map((problem) => problem.code);

describe('validateRecord', () => {
  it('maps Pharow names and normalises every field', () => {
    const { record, problems } = validateRecord({
      company: {
        companySiren: '552 032 534',
        companyName: ' Danone ',
        companyNafSector: '10.51A - Exploitation de laiteries',
        companyUrl: 'WWW.Danone.fr/?utm_campaign=x',
        companyHqCountry: 'France',
        companyAnnualRevenueEuros: '27,6 Md€',
      },
      person: { personSalutation: 'Monsieur', personFirstName: 'Jean' },
      position: {
        positionEmail: ' Jean@Danone.FR ',
        positionEmailReliability: '87 %',
        positionEmailStatus: 'Catch-all',
      },
    });
    expect(problems).toEqual([]);
    expect(record.company).toMatchObject({
      siren: '552032534',
      name: 'Danone',
      naf_code: '10.51A',
      naf_nomenclature: 'NAF_REV2',
      domain: 'danone.fr',
      hq_country: 'FR',
      annual_revenue_eur: 27_600_000_000,
    });
    expect(record.person).toMatchObject({ salutation: 'mr', first_name: 'Jean' });
    expect(record.position).toMatchObject({
      email: 'Jean@danone.fr',
      email_reliability: 87,
      email_status: 'catch_all',
    });
  });

  it('derives the SIREN from the SIRET and refuses a SIRET of another SIREN', () => {
    expect(
      validateRecord({ company: { hqSiret: '55203253400646', name: 'D' } }).record.company,
    ).toMatchObject({
      siren: '552032534',
    });
    expect(codes({ company: { siren: '652014051', hqSiret: '55203253400646' } })).toEqual([
      'siret_siren_mismatch',
    ]);
  });

  it('needs natural keys, a person and a company for a position, and reports unknown fields as warnings', () => {
    expect(codes({ company: { name: 'No key' } })).toEqual(['missing_company_key']);
    expect(codes({ person: { firstName: 'No key' } })).toEqual(['missing_person_key']);
    expect(codes({ person: { firstName: 'P' }, position: { email: 'p@x.fr' } })).toEqual([
      'position_needs_person_and_company',
    ]);
    expect(codes({})).toEqual(['empty_record']);
    expect(codes('nope')).toEqual(['invalid_record']);
    expect(codes({ company: 'nope' })).toEqual(['invalid_type']);
    expect(codes({ company: { domain: 'x.fr', bogus: 1 }, extra: true })).toEqual([
      'unknown_field',
      'unknown_field',
    ]);
    expect(codes({ company: { siren: '552032534', companySiren: '652014051' } })).toEqual([
      'conflicting_aliases',
    ]);
    expect(codes({ company: { domain: 'x.fr', name: true } })).toEqual(['invalid_type']);
  });

  it('keeps an explicit domain over the one of the website', () => {
    expect(validateRecord({ company: { domain: 'a.fr', websiteUrl: 'b.fr' } }).record.company).toMatchObject({
      domain: 'a.fr',
    });
    expect(validateRecord({ company: { websiteUrl: 'b.fr', domain: 'a.fr' } }).record.company).toMatchObject({
      domain: 'a.fr',
    });
  });
});

describe('parseEuros', () => {
  it.each([
    ['1 200 000 €', 1_200_000],
    ['1.200.000', 1_200_000],
    ['850k', 850_000],
    ['1,2 M€', 1_200_000],
    ['42', 42],
    ['-5', null],
    ['beaucoup', null],
  ])('%s → %s', (input, expected) => {
    expect(parseEuros(input)).toBe(expected);
  });
});

describe('doc/crm-merge.md', () => {
  it('lists every record and merge code', () => {
    const doc = readFileSync(
      fileURLToPath(new URL('../../../../../doc/crm-merge.md', import.meta.url)),
      'utf8',
    );
    for (const code of [...RECORD_CODES, ...MERGE_CODES]) expect(doc).toContain(`\`${code}\``);
  });
});
