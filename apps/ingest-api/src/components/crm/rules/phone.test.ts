import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';

import { normalisePhone } from './phone.js';

describe('normalisePhone, metropolitan France', () => {
  it.each([
    ['spaces', '01 23 45 67 89'],
    ['dots', '01.23.45.67.89'],
    ['hyphens', '01-23-45-67-89'],
    ['+33 (0)', '+33 (0)1 23 45 67 89'],
    ['+33(0) without spaces', '+33(0)123456789'],
    ['0033', '0033 1 23 45 67 89'],
    ['+33', '+33 1 23 45 67 89'],
    ['33, the + dropped by a spreadsheet', '33123456789'],
    ['9 digits, the 0 dropped by a spreadsheet', '123456789'],
    ['a tel: link', 'tel:+33123456789'],
  ])('reads %s', (_label, input) => {
    expect(normalisePhone(input)).toEqual({ ok: true, value: '+33123456789', warnings: [] });
  });

  it('reads mobiles and toll-free numbers', () => {
    expect(normalisePhone('06 12 34 56 78')).toMatchObject({ ok: true, value: '+33612345678' });
    expect(normalisePhone('07 81 23 45 67')).toMatchObject({ ok: true, value: '+33781234567' });
    expect(normalisePhone('0 800 123 456')).toMatchObject({ ok: true, value: '+33800123456' });
  });

  it.each([
    ['poste', '01 23 45 67 89 poste 12'],
    ['ext.', '+33 1 23 45 67 89 ext. 4012'],
    ['x', '06 12 34 56 78 x 12'],
    ['#', '0612345678 #12'],
  ])('drops an extension written with %s, with a warning', (_label, input) => {
    const result = normalisePhone(input);
    expect(result.ok).toBe(true);
    expect(result.ok && result.warnings.map((w) => [w.code, w.severity])).toEqual([
      ['phone_extension_dropped', 'warning'],
    ]);
  });
});

describe('normalisePhone, overseas departments', () => {
  it('exists because libphonenumber reads them as metropolitan numbers', () => {
    // With region FR, a Guadeloupe number becomes an invalid +33… and a Saint-Pierre-et-Miquelon one a
    // *valid* +33…: the territory has to be picked from the prefix, not left to the parser.
    expect(parsePhoneNumberFromString('0590 99 39 00', 'FR')?.number).toBe('+33590993900');
    expect(parsePhoneNumberFromString('0590 99 39 00', 'FR')?.isValid()).toBe(false);
    expect(parsePhoneNumberFromString('0508 41 10 10', 'FR')?.isValid()).toBe(true);
  });

  it.each([
    ['Guadeloupe fixed line', '0590 99 39 00', '+590590993900'],
    ['Guadeloupe mobile', '0690 55 12 34', '+590690551234'],
    ['Guadeloupe mobile, 0691', '0691 28 12 34', '+590691281234'],
    ['Guyane fixed line', '0594 39 45 00', '+594594394500'],
    ['Guyane mobile', '0694 20 12 34', '+594694201234'],
    ['Martinique fixed line', '0596 39 36 00', '+596596393600'],
    ['Martinique mobile', '0696 20 12 34', '+596696201234'],
    ['Martinique mobile, 0697', '0697 12 34 56', '+596697123456'],
    ['La Réunion fixed line', '0262 40 77 77', '+262262407777'],
    ['La Réunion fixed line, 0263', '0263 12 34 56', '+262263123456'],
    ['La Réunion mobile', '0692 12 34 56', '+262692123456'],
    ['La Réunion mobile, 0693', '0693 12 34 56', '+262693123456'],
    ['Mayotte fixed line', '0269 63 50 00', '+262269635000'],
    ['Mayotte mobile', '0639 01 23 45', '+262639012345'],
    ['Saint-Pierre-et-Miquelon fixed line', '0508 41 10 10', '+508411010'],
    ['Saint-Pierre-et-Miquelon mobile', '0508 55 12 34', '+508551234'],
  ])('gives the %s its own country code', (_label, input, e164) => {
    expect(normalisePhone(input)).toEqual({ ok: true, value: e164, warnings: [] });
  });

  it.each([
    ['written with +33', '+33 590 99 39 00', '+590590993900'],
    ['written with 0033 and (0)', '0033 (0)6 90 55 12 34', '+590690551234'],
    ['missing its 0', '590993900', '+590590993900'],
    ['already international', '+590 590 99 39 00', '+590590993900'],
    ['Mayotte written with +262', '+262 269 63 50 00', '+262269635000'],
    ['Saint-Pierre-et-Miquelon written with +508', '+508 41 10 10', '+508411010'],
  ])('maps a number %s', (_label, input, e164) => {
    expect(normalisePhone(input)).toMatchObject({ ok: true, value: e164 });
  });

  it('rejects a number outside the ranges of its territory instead of storing it as +33', () => {
    expect(normalisePhone('0590 72 12 34')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_phone', message: 'Not a valid number of Guadeloupe.' },
    });
  });

  it('leaves the French plan alone for a number from another country', () => {
    expect(normalisePhone('0590 99 39 00', 'BE')).toMatchObject({ ok: false });
  });
});

describe('normalisePhone, other countries and failures', () => {
  it('keeps a foreign number written with its country code', () => {
    expect(normalisePhone('+1 (650) 253-0000')).toMatchObject({ ok: true, value: '+16502530000' });
    expect(normalisePhone('+44 20 7946 0958')).toMatchObject({ ok: true, value: '+442079460958' });
  });

  it('reads a national number with the region given', () => {
    expect(normalisePhone('020 7946 0958', 'GB')).toMatchObject({ ok: true, value: '+442079460958' });
  });

  it.each([
    ['0123', 'phone_too_short'],
    ['+33 6 12 34 56', 'phone_too_short'],
    ['01 23 45 67 89 10 11', 'phone_too_long'],
    ['+999 123 456', 'phone_unknown_country'],
    ['abc', 'invalid_phone'],
    ['06 12 34 56 78 / 06 98 76 54 32', 'invalid_phone'],
    ['0612345678;0698765432', 'invalid_phone'],
    ['01 23 45 67 89 ou 06 12 34 56 78', 'invalid_phone'],
  ])('rejects %j with %s', (input, code) => {
    expect(normalisePhone(input)).toMatchObject({ ok: false, problem: { code, severity: 'error' } });
  });

  it('rejects an empty cell', () => {
    expect(normalisePhone('  ')).toMatchObject({ ok: false, problem: { code: 'empty_value' } });
  });
});
