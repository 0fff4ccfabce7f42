import { describe, expect, it } from 'vitest';

import naf2025Table from './data/naf-2025.json' with { type: 'json' };
import nafRev2Table from './data/naf-rev2.json' with { type: 'json' };
import { nafCodes, nafLabel, normaliseNaf, pickNomenclature } from './naf.js';

/** Distinct divisions, groups and classes above a set of sub-class codes (NN.NNL). */
function structureOf(codes: string[]) {
  return {
    divisions: new Set(codes.map((code) => code.slice(0, 2))).size,
    groups: new Set(codes.map((code) => code.slice(0, 4))).size,
    classes: new Set(codes.map((code) => code.slice(0, 5))).size,
    subclasses: codes.length,
  };
}

describe('bundled INSEE tables', () => {
  it('hold the 732 sub-classes of NAF rév. 2 under INSEE’s 88 divisions, 272 groups and 615 classes', () => {
    expect(structureOf(nafCodes('NAF_REV2'))).toEqual({
      divisions: 88,
      groups: 272,
      classes: 615,
      subclasses: 732,
    });
  });

  it('hold the 747 sub-classes of NAF 2025 under INSEE’s 87 divisions, 287 groups and 651 classes', () => {
    expect(structureOf(nafCodes('NAF_2025'))).toEqual({
      divisions: 87,
      groups: 287,
      classes: 651,
      subclasses: 747,
    });
  });

  it('have well-formed codes and a label for each', () => {
    for (const table of [nafRev2Table, naf2025Table]) {
      for (const [code, label] of Object.entries(table.subclasses)) {
        expect(code).toMatch(/^\d{2}\.\d{2}[A-Z]$/);
        expect(label.trim()).not.toBe('');
        expect(label).not.toContain('\uFFFD');
      }
    }
  });

  it('share no code, so the nomenclature follows from the code alone', () => {
    const rev2 = new Set(nafCodes('NAF_REV2'));
    expect(nafCodes('NAF_2025').filter((code) => rev2.has(code))).toEqual([]);
  });

  it('record their source and licence', () => {
    for (const table of [nafRev2Table, naf2025Table]) {
      expect(table.publisher).toBe('INSEE');
      expect(table.licence).toBe('Licence Ouverte / Etalab 2.0');
      expect(table.source).toMatch(/^https:\/\/www\.insee\.fr\//);
    }
  });
});

describe('normaliseNaf', () => {
  it.each(['6201Z', '62.01z', ' 62 01 Z ', '62.01Z', '62-01-Z'])(
    'normalises %j to 62.01Z (NAF rév. 2)',
    (input) => {
      expect(normaliseNaf(input)).toEqual({
        ok: true,
        value: { code: '62.01Z', nomenclature: 'NAF_REV2' },
        warnings: [],
      });
    },
  );

  it.each([
    ['Danone head office, holding activities', '7010Z', '70.10Z'],
    ['La Poste, universal postal service', '53.10Z', '53.10Z'],
    ['hypermarkets', '47.11f', '47.11F'],
  ])('accepts the real rév. 2 code of %s', (_label, input, code) => {
    expect(normaliseNaf(input)).toMatchObject({ ok: true, value: { code, nomenclature: 'NAF_REV2' } });
  });

  it.each([
    ['computer programming', '6210Y', '62.10Y'],
    ['business consultancy', '70.20y', '70.20Y'],
    ['universal postal service', '53.10Y', '53.10Y'],
    ['beekeeping, a new sub-class', '01.48G', '01.48G'],
    ['hypermarkets, renumbered', '47.11K', '47.11K'],
    ['the last sub-class', '99.00Y', '99.00Y'],
  ])('accepts the real NAF 2025 code of %s', (_label, input, code) => {
    expect(normaliseNaf(input)).toMatchObject({ ok: true, value: { code, nomenclature: 'NAF_2025' } });
  });

  it.each(['99.99Z', '62.01Y', '70.22Y', '00.00Z', '47.11Z'])('rejects the made-up code %s', (input) => {
    expect(normaliseNaf(input)).toMatchObject({
      ok: false,
      problem: { code: 'unknown_naf', severity: 'error' },
    });
  });

  it.each(['62.01', '6201', 'Z6201', '62.01ZZ', '62.01.1Z', 'programmation'])(
    'rejects the shape %j',
    (input) => {
      expect(normaliseNaf(input)).toMatchObject({ ok: false, problem: { code: 'invalid_naf_format' } });
    },
  );

  it('rejects an empty cell', () => {
    expect(normaliseNaf(' ')).toMatchObject({ ok: false, problem: { code: 'empty_value' } });
  });

  it('warns that a rév. 2 code is superseded on and after 1 January 2027, and keeps it', () => {
    const result = normaliseNaf('62.01Z', { on: new Date('2027-01-01T00:00:00Z') });
    expect(result).toMatchObject({ ok: true, value: { code: '62.01Z', nomenclature: 'NAF_REV2' } });
    expect(result.ok && result.warnings.map((w) => w.code)).toEqual(['naf_rev2_superseded']);
    expect(normaliseNaf('62.01Z', { on: new Date('2026-12-31T23:59:59Z') })).toMatchObject({ warnings: [] });
    expect(normaliseNaf('62.10Y', { on: new Date('2027-06-01T00:00:00Z') })).toMatchObject({ warnings: [] });
  });
});

describe('pickNomenclature', () => {
  it('prefers rév. 2 before 2027 and NAF 2025 from 2027 for a code in both tables', () => {
    expect(pickNomenclature(true, true, new Date('2026-06-01'))).toBe('NAF_REV2');
    expect(pickNomenclature(true, true, undefined)).toBe('NAF_REV2');
    expect(pickNomenclature(true, true, new Date('2027-01-01T00:00:00Z'))).toBe('NAF_2025');
    expect(pickNomenclature(false, true, new Date('2020-01-01'))).toBe('NAF_2025');
    expect(pickNomenclature(false, false, undefined)).toBeUndefined();
  });
});

describe('nafLabel', () => {
  it('gives INSEE’s label in the nomenclature asked for', () => {
    expect(nafLabel('62.01Z', 'NAF_REV2')).toBe('Programmation informatique');
    expect(nafLabel('62.10Y', 'NAF_2025')).toBe('Activités de programmation informatique');
    expect(nafLabel('62.10Y', 'NAF_REV2')).toBeUndefined();
  });
});
