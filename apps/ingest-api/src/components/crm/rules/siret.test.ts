import { describe, expect, it } from 'vitest';

import { normaliseSiret, sirenOfSiret } from './siret.js';

// Real SIRETs of head offices, as published in the SIRENE register.
const DANONE_HEAD_OFFICE = '55203253400646';
const INSEE_HEAD_OFFICE = '12002701600563';
const APPLE_FRANCE_HEAD_OFFICE = '73282932000074';
const LA_POSTE_HEAD_OFFICE = '35600000000048';
// La Poste establishments whose SIRET fails Luhn and passes only because its digits add up to a multiple of 5.
const LA_POSTE_ESTABLISHMENTS = ['35600000049837', '35600000009075', '35600000009093'];

describe('normaliseSiret', () => {
  it.each([DANONE_HEAD_OFFICE, INSEE_HEAD_OFFICE, APPLE_FRANCE_HEAD_OFFICE, LA_POSTE_HEAD_OFFICE])(
    'accepts the real Luhn-valid SIRET %s',
    (siret) => {
      expect(normaliseSiret(siret)).toEqual({ ok: true, value: siret, warnings: [] });
    },
  );

  it.each(LA_POSTE_ESTABLISHMENTS)('accepts the La Poste SIRET %s on the multiple-of-5 rule', (siret) => {
    expect(normaliseSiret(siret)).toEqual({ ok: true, value: siret, warnings: [] });
  });

  it('keeps the La Poste exception to SIREN 356000000', () => {
    // Same digits sum (a multiple of 5) and same Luhn failure, but another SIREN: no exception applies.
    expect(normaliseSiret('35700000049827')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_siret_checksum' },
    });
  });

  it('rejects a La Poste SIRET that passes neither rule', () => {
    expect(normaliseSiret('35600000009090')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_siret_checksum' },
    });
  });

  it.each([
    ['spaces', '552 032 534 00646'],
    ['non-breaking spaces', '552\u00A0032\u00A0534\u00A000646'],
    ['narrow non-breaking spaces', '552\u202F032\u202F534\u202F00646'],
    ['dots and hyphens', '552.032.534-00646'],
  ])('removes %s', (_label, input) => {
    expect(normaliseSiret(input)).toEqual({ ok: true, value: DANONE_HEAD_OFFICE, warnings: [] });
  });

  it('restores the leading zero of a 13-digit SIRET, and says so', () => {
    const result = normaliseSiret('5480416600129');
    expect(result).toMatchObject({ ok: true, value: '05480416600129' });
    expect(result.ok && result.warnings.map((w) => w.code)).toEqual(['siret_padded']);
  });

  it('rejects a 13-digit value whose padded form fails the check', () => {
    expect(normaliseSiret('5480416600128')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_siret_checksum' },
    });
  });

  it('rejects a Luhn failure', () => {
    expect(normaliseSiret('55203253400647')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_siret_checksum', severity: 'error' },
    });
  });

  it.each([
    ['a SIREN', '552032534'],
    ['letters', '5520325340064B'],
    ['15 digits', '552032534006460'],
    ['Excel scientific notation', '5.52033E+13'],
    ['all zeros', '00000000000000'],
  ])('rejects %s as a format error', (_label, input) => {
    expect(normaliseSiret(input)).toMatchObject({ ok: false, problem: { code: 'invalid_siret_format' } });
  });
});

describe('sirenOfSiret', () => {
  it('returns the first 9 digits', () => {
    expect(sirenOfSiret(DANONE_HEAD_OFFICE)).toBe('552032534');
    expect(sirenOfSiret('35600000049837')).toBe('356000000');
  });

  it('refuses a value that is not a normalised SIRET', () => {
    expect(() => sirenOfSiret('552 032 534 00646')).toThrow(RangeError);
    expect(() => sirenOfSiret('552032534')).toThrow(RangeError);
  });
});
