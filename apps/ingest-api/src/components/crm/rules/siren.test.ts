import { describe, expect, it } from 'vitest';

import { normaliseSiren } from './siren.js';

// Real SIRENs, as published in the SIRENE register (annuaire-entreprises.data.gouv.fr).
const DANONE = '552032534';
const LA_POSTE = '356000000';
const INSEE = '120027016';
const APPLE_FRANCE = '732829320';
const BOLLORE = '055804124';

describe('normaliseSiren', () => {
  it.each([DANONE, LA_POSTE, INSEE, APPLE_FRANCE, BOLLORE])('accepts the real SIREN %s as is', (siren) => {
    expect(normaliseSiren(siren)).toEqual({ ok: true, value: siren, warnings: [] });
  });

  it.each([
    ['spaces', '552 032 534'],
    ['dots', '552.032.534'],
    ['hyphens', '552-032-534'],
    ['non-breaking spaces', '552\u00A0032\u00A0534'],
    ['narrow non-breaking spaces (Excel, French locale)', '552\u202F032\u202F534'],
    ['surrounding whitespace and a tab', ' \t552032534  '],
  ])('removes %s', (_label, input) => {
    expect(normaliseSiren(input)).toEqual({ ok: true, value: DANONE, warnings: [] });
  });

  it('restores the leading zero a spreadsheet dropped, and says so', () => {
    const result = normaliseSiren('55804124');
    expect(result).toMatchObject({ ok: true, value: BOLLORE });
    expect(result.ok && result.warnings.map((w) => [w.code, w.severity])).toEqual([
      ['siren_padded', 'warning'],
    ]);
  });

  it('rejects an 8-digit value whose padded form fails the check digit', () => {
    expect(normaliseSiren('55804125')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_siren_checksum', severity: 'error' },
    });
  });

  it('does not pad twice: a SIREN with two leading zeros written as 7 digits is rejected', () => {
    // GEDIMO HOLDING is 005880596; padding one zero is the documented repair, guessing more is not.
    expect(normaliseSiren('5880596')).toMatchObject({ ok: false, problem: { code: 'invalid_siren_format' } });
    expect(normaliseSiren('005880596')).toMatchObject({ ok: true, value: '005880596' });
  });

  it.each([
    ['Danone with its last digit changed', '552032535'],
    ['La Poste with its last digit changed', '356000001'],
    ['two digits swapped', '525032534'],
  ])('rejects %s on the Luhn check', (_label, input) => {
    expect(normaliseSiren(input)).toMatchObject({
      ok: false,
      problem: { code: 'invalid_siren_checksum', severity: 'error' },
    });
  });

  it.each([
    ['a SIRET', '55203253400646'],
    ['letters', '552O32534'],
    ['10 digits', '5520325345'],
    ['all zeros', '000000000'],
    ['Excel scientific notation', '5.52033E+08'],
  ])('rejects %s as a format error', (_label, input) => {
    expect(normaliseSiren(input)).toMatchObject({ ok: false, problem: { code: 'invalid_siren_format' } });
  });

  it('rejects a blank cell as empty', () => {
    expect(normaliseSiren('   ')).toMatchObject({ ok: false, problem: { code: 'empty_value' } });
  });

  it('runs the text hygiene checks first', () => {
    expect(normaliseSiren('552032534\u0000')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_characters' },
    });
  });

  it('keeps messages short and free of the value', () => {
    for (const input of ['552032535', '55804125', 'x', '5.52033E+08', '55203253400646']) {
      const result = normaliseSiren(input);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.problem.message.length).toBeLessThan(200);
        expect(result.problem.message).not.toContain(input);
      }
    }
  });
});
