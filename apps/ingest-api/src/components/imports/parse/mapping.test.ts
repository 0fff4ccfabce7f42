import { describe, expect, it } from 'vitest';
import {
  CONFIDENCE,
  DECIDED_HEADERS,
  headerSignature,
  MAPPABLE_FIELDS,
  NATURAL_KEY_FIELDS,
  normaliseHeader,
  suggestMapping,
  validateMapping,
} from './mapping.js';

const fieldOf = (header: string) => suggestMapping([header]).columns[0];

describe('normaliseHeader', () => {
  it('ignores accents, case, punctuation and spacing, splits camelCase and spells ligatures out', () => {
    expect(normaliseHeader('  N° SIREN ')).toBe('n siren');
    expect(normaliseHeader('Téléphone_portable')).toBe('telephone portable');
    expect(normaliseHeader('companyHqPostalCode')).toBe('company hq postal code');
    expect(normaliseHeader('Chiffre d’affaires (€)')).toBe('chiffre d affaires');
    expect(normaliseHeader('Cœur')).toBe('coeur');
  });
});

describe('suggestMapping', () => {
  it('maps French and English headers and Pharow export columns', () => {
    const cases: [string, string, string][] = [
      ['N° SIREN', 'company.siren', 'exact'],
      ['Siren', 'company.siren', 'exact'],
      ['companySiren', 'company.siren', 'alias'],
      ['Raison sociale', 'company.name', 'exact'],
      ['Company name', 'company.name', 'alias'],
      ['Dénomination sociale', 'company.name', 'exact'],
      ['E-mail', 'position.email', 'exact'],
      ['Adresse e-mail', 'position.email', 'exact'],
      ['personEmail', 'position.email', 'alias'],
      ['Téléphone portable', 'person.mobilePhone', 'exact'],
      ['Prénom', 'person.firstName', 'exact'],
      ['NOM', 'person.lastName', 'exact'],
      ['Code postal', 'company.hqPostalCode', 'exact'],
      ['Chiffre d’affaires', 'company.annualRevenueEur', 'exact'],
      ['Intitulé de poste', 'position.jobTitle', 'exact'],
      ['Site web', 'company.websiteUrl', 'exact'],
      ['personLinkedinUrl', 'person.linkedinUrl', 'alias'],
      ['Code NAF/APE', 'company.nafCode', 'exact'],
      ['companyHqPostalCode', 'company.hqPostalCode', 'alias'],
    ];
    for (const [header, field, reason] of cases) {
      expect({ header, ...fieldOf(header) }).toMatchObject({ header, field, reason });
    }
    expect(fieldOf('companySiren')?.confidence).toBe(CONFIDENCE.alias);
    expect(fieldOf('Siren')?.confidence).toBe(CONFIDENCE.exact);
  });

  it('maps every alias and header word of the catalogue to its own field, unless the import decides it', () => {
    for (const [field, spec] of MAPPABLE_FIELDS) {
      for (const name of [...spec.aliases, ...spec.headers]) {
        const decided = DECIDED_HEADERS.get(normaliseHeader(name))?.field;
        expect({ name, field: fieldOf(name)?.field }).toEqual({ name, field: decided ?? field });
      }
    }
    for (const [header, { field }] of DECIDED_HEADERS) {
      expect(MAPPABLE_FIELDS.has(field)).toBe(true);
      expect({ header, field: fieldOf(header)?.field }).toEqual({ header, field });
    }
  });

  describe('title and salutation (ADR 0065)', () => {
    it('reads "Title" and "Titre" as the job title, below the unambiguous headers', () => {
      for (const header of ['Title', 'title', 'TITLE', 'Titre']) {
        expect({ header, ...fieldOf(header) }).toEqual({
          header,
          index: 0,
          field: 'position.jobTitle',
          confidence: CONFIDENCE.ambiguous,
          reason: 'exact',
        });
      }
      for (const header of ['Job title', 'Job Title', 'Titre du poste', 'Intitulé du poste', 'Fonction']) {
        expect({ header, ...fieldOf(header) }).toMatchObject({
          header,
          field: 'position.jobTitle',
          confidence: CONFIDENCE.exact,
        });
      }
      expect(CONFIDENCE.ambiguous).toBeLessThan(CONFIDENCE.exact);
      expect(CONFIDENCE.ambiguous).toBeGreaterThan(CONFIDENCE.fuzzyMax);
    });

    it('reads civilité, salutation and the spellings of Mr/Ms as the salutation', () => {
      for (const header of [
        'Civilité',
        'Salutation',
        'Mr/Ms',
        'Mr/Mrs',
        'Mr / Mrs',
        'M./Mme',
        'Titre de civilité',
        'Civility',
      ]) {
        expect({ header, ...fieldOf(header) }).toMatchObject({
          header,
          field: 'person.salutation',
          confidence: CONFIDENCE.exact,
          reason: 'exact',
        });
      }
    });

    it('maps the header rows of English prospect exports without a conflict', () => {
      const rows = [
        ['First Name', 'Last Name', 'Title', 'Company', 'Email', 'Person Linkedin Url'],
        ['Civilité', 'Prénom', 'Nom', 'Titre', 'Entreprise', 'E-mail'],
        ['Salutation', 'First name', 'Last name', 'Title', 'Email'],
      ];
      for (const headers of rows) {
        const { columns, conflicts } = suggestMapping(headers);
        expect(conflicts).toEqual([]);
        const byHeader = Object.fromEntries(columns.map((c) => [c.header, c.field]));
        expect(byHeader[headers.includes('Titre') ? 'Titre' : 'Title']).toBe('position.jobTitle');
        for (const header of ['Civilité', 'Salutation'].filter((h) => headers.includes(h)))
          expect(byHeader[header]).toBe('person.salutation');
      }
    });

    it('leaves "Title" beside a "Job Title" (an address book) unmapped, and says so', () => {
      const { columns, conflicts } = suggestMapping([
        'Title',
        'First Name',
        'Last Name',
        'Job Title',
        'E-mail Address',
      ]);
      expect(columns[0]).toMatchObject({ header: 'Title', field: null, confidence: 0, reason: 'none' });
      expect(columns[3]).toMatchObject({ header: 'Job Title', field: 'position.jobTitle' });
      expect(conflicts).toEqual([{ field: 'position.jobTitle', columns: [0, 3] }]);
      // And a confirmed mapping of both columns to the job title is refused.
      const problems = validateMapping(
        { Title: 'position.jobTitle', 'Job Title': 'position.jobTitle', 'E-mail Address': 'position.email' },
        ['Title', 'First Name', 'Last Name', 'Job Title', 'E-mail Address'],
      );
      expect(problems.map((p) => p.code)).toEqual(['duplicate_field']);
    });
  });

  it('finds near headers with a lower confidence, and leaves unrelated ones unmapped', () => {
    const typo = fieldOf('Prénon');
    expect(typo).toMatchObject({ field: 'person.firstName', reason: 'fuzzy' });
    expect(typo?.confidence).toBeLessThan(CONFIDENCE.exact);
    expect(typo?.confidence).toBeGreaterThanOrEqual(CONFIDENCE.fuzzyMin);
    const wordy = fieldOf('Téléphone mobile pro');
    expect(wordy).toMatchObject({ field: 'person.mobilePhone', reason: 'fuzzy' });
    for (const header of ['Whatever', 'Commentaires', '', '   ', '#']) {
      expect(fieldOf(header)).toMatchObject({ field: null, confidence: 0, reason: 'none' });
    }
  });

  it('never leaves two columns on one field: the most confident keeps it, the conflict is listed', () => {
    const { columns, conflicts } = suggestMapping(['Siren', 'companySiren', 'Prénom', 'N° SIREN']);
    expect(columns.map((column) => column.field)).toEqual([null, 'company.siren', 'person.firstName', null]);
    expect(columns[0]).toMatchObject({ confidence: 0, reason: 'none' });
    expect(conflicts).toEqual([{ field: 'company.siren', columns: [0, 1, 3] }]);
  });

  it('keeps the first column on a tie of confidence', () => {
    const { columns, conflicts } = suggestMapping(['Email', 'Courriel']);
    expect(columns.map((column) => column.field)).toEqual(['position.email', null]);
    expect(conflicts).toEqual([{ field: 'position.email', columns: [0, 1] }]);
  });

  it('suggests a remembered mapping first, by header or by column index, ignoring unknown fields', () => {
    const headers = ['Identifiant', 'Nom', 'Col C'];
    const { columns } = suggestMapping(headers, {
      Identifiant: 'company.siren',
      '2': 'company.hqCity',
      Nom: 'nope.field',
    });
    expect(columns.map(({ field, reason, confidence }) => ({ field, reason, confidence }))).toEqual([
      { field: 'company.siren', reason: 'remembered', confidence: 1 },
      { field: 'person.lastName', reason: 'exact', confidence: CONFIDENCE.exact },
      { field: 'company.hqCity', reason: 'remembered', confidence: 1 },
    ]);
    expect(suggestMapping(['IDENTIFIANT '], { identifiant: 'company.siren' }).columns[0]?.reason).toBe(
      'remembered',
    );
    expect(suggestMapping(['Siren'], null).columns[0]?.reason).toBe('exact');
  });
});

describe('validateMapping', () => {
  const headers = ['Siren', 'Nom', 'Email', 'Email'];

  it('accepts a mapping with a natural key, columns left out with null', () => {
    expect(validateMapping({ Siren: 'company.siren', Nom: null }, headers)).toEqual([]);
    expect(validateMapping({ '2': 'position.email', '3': null }, headers)).toEqual([]);
  });

  it('lists every problem: unknown or ambiguous column, a column named twice, duplicate field', () => {
    const problems = validateMapping(
      { Siren: 'company.siren', Nom: 'company.siren', Email: 'position.email', Ville: 'company.hqCity' },
      headers,
    );
    expect(problems.map(({ code, column, field }) => ({ code, column, field }))).toEqual([
      { code: 'ambiguous_column', column: 'Email', field: null },
      { code: 'unknown_column', column: 'Ville', field: null },
      { code: 'duplicate_field', column: null, field: 'company.siren' },
    ]);
    for (const problem of problems) expect(problem.message.length).toBeGreaterThan(10);
    // Index keys come first in a JSON object: the header naming the same column is the one reported.
    expect(validateMapping({ Siren: 'company.hqSiret', '0': 'company.siren' }, headers)).toMatchObject([
      { code: 'duplicate_column', column: 'Siren', field: 'company.hqSiret' },
    ]);
  });

  it('reports an unknown field', () => {
    expect(validateMapping({ Siren: 'company.siren', Nom: 'person.nickname' }, headers)).toMatchObject([
      { code: 'unknown_field', column: 'Nom', field: 'person.nickname' },
    ]);
  });

  it('requires at least one natural key of a company or a person', () => {
    expect(validateMapping({ Nom: 'person.lastName' }, headers)).toMatchObject([
      { code: 'missing_natural_key' },
    ]);
    expect(validateMapping({}, headers)).toMatchObject([{ code: 'missing_natural_key' }]);
    for (const field of NATURAL_KEY_FIELDS) {
      expect(MAPPABLE_FIELDS.has(field)).toBe(true);
      expect(validateMapping({ Siren: field }, headers)).toEqual([]);
    }
  });
});

describe('headerSignature', () => {
  it('is the same for the same headers written differently, and differs by content or order', () => {
    const signature = headerSignature(['N° SIREN', 'Raison sociale', 'E-mail']);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(headerSignature(['n° siren ', 'RAISON  SOCIALE', 'e mail'])).toBe(signature);
    expect(headerSignature(['Raison sociale', 'N° SIREN', 'E-mail'])).not.toBe(signature);
    expect(headerSignature(['N° SIREN', 'Raison sociale'])).not.toBe(signature);
    expect(headerSignature(['a b', 'c'])).not.toBe(headerSignature(['a', 'b c']));
  });
});
