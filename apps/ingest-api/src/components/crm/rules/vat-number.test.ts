import { describe, expect, it } from 'vitest';

import { vatNumberFromSiren } from './vat-number.js';

describe('vatNumberFromSiren', () => {
  // Published intra-community VAT numbers (checked against VIES by the sources that quote them).
  it.each([
    ['Danone', '552032534', 'FR27552032534'],
    ['La Poste', '356000000', 'FR39356000000'],
    ['Apple France', '732829320', 'FR44732829320'],
    ['Google France', '443061841', 'FR64443061841'],
    ['EDF (key below 10, zero-padded)', '552081317', 'FR03552081317'],
  ])('computes the VAT number of %s', (_company, siren, vat) => {
    expect(vatNumberFromSiren(siren)).toBe(vat);
  });

  it('refuses a SIREN that is not normalised', () => {
    expect(() => vatNumberFromSiren('552 032 534')).toThrow(RangeError);
    expect(() => vatNumberFromSiren('55203253')).toThrow(RangeError);
  });
});
