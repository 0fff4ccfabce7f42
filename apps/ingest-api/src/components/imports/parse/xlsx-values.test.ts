import { describe, expect, it } from 'vitest';
import { builtInFormat, plainNumber, renderNumber, styleOfFormat } from './xlsx-values.js';

describe('styleOfFormat', () => {
  it('knows dates and times, with or without a date part', () => {
    expect(styleOfFormat('dd/mm/yyyy')).toEqual({ kind: 'date', withDate: true, withTime: false });
    expect(styleOfFormat('[$-40C]d mmmm yyyy;@')).toEqual({ kind: 'date', withDate: true, withTime: false });
    expect(styleOfFormat('dd/mm/yyyy hh:mm')).toEqual({ kind: 'date', withDate: true, withTime: true });
    expect(styleOfFormat('h:mm')).toEqual({ kind: 'date', withDate: false, withTime: true });
    expect(styleOfFormat(builtInFormat(14))).toMatchObject({ kind: 'date', withDate: true });
  });

  it('keeps digit masks (leading zeros, phone layouts) and nothing else of display formats', () => {
    expect(styleOfFormat('00000')).toEqual({ kind: 'mask', code: '00000' });
    expect(styleOfFormat('0# ## ## ## ##')).toEqual({ kind: 'mask', code: '0# ## ## ## ##' });
    for (const code of [
      'General',
      '0',
      '#,##0',
      '0.00',
      '0%',
      '#,##0.00 "€"',
      '@',
      '0.00E+00',
      'not a [format',
    ]) {
      expect(styleOfFormat(code)).toEqual({ kind: 'plain' });
    }
  });

  it('maps built-in ids, and unknown ids to General', () => {
    expect(builtInFormat(0)).toBe('General');
    expect(builtInFormat(49)).toBe('@');
    expect(builtInFormat(14)).toBe('m/d/yyyy');
    expect(builtInFormat(163)).toBe('General');
  });
});

describe('renderNumber', () => {
  const plain = { kind: 'plain' } as const;
  const date = { kind: 'date', withDate: true, withTime: false } as const;
  const dateTime = { kind: 'date', withDate: true, withTime: true } as const;
  const time = { kind: 'date', withDate: false, withTime: true } as const;

  it('writes identifiers stored as numbers without exponent, grouping or ".0"', () => {
    expect(renderNumber('552032534', plain, false)).toBe('552032534');
    expect(renderNumber('75001', plain, false)).toBe('75001');
    expect(renderNumber('3.3612345678E+10', plain, false)).toBe('33612345678');
    expect(renderNumber('12345678901234', plain, false)).toBe('12345678901234');
    expect(renderNumber('1E+21', plain, false)).toBe('1000000000000000000000');
    expect(renderNumber('75001.0', plain, false)).toBe('75001');
    expect(renderNumber('-42', plain, false)).toBe('-42');
  });

  it('writes other numbers as the shortest text of the stored double', () => {
    expect(renderNumber('0.1', plain, false)).toBe('0.1');
    expect(renderNumber('1.1000000000000001', plain, false)).toBe('1.1');
    expect(renderNumber('1234567.5', plain, false)).toBe('1234567.5');
    expect(plainNumber(0.45)).toBe('0.45');
  });

  it('applies digit masks to non-negative integers only', () => {
    const postcode = { kind: 'mask', code: '00000' } as const;
    expect(renderNumber('6000', postcode, false)).toBe('06000');
    expect(renderNumber('75001', postcode, false)).toBe('75001');
    expect(renderNumber('612345678', { kind: 'mask', code: '0# ## ## ## ##' }, false)).toBe('06 12 34 56 78');
    expect(renderNumber('-6000', postcode, false)).toBe('-6000');
    expect(renderNumber('6000.5', postcode, false)).toBe('6000.5');
  });

  it('writes dates as ISO 8601, with the time when the format or the value has one', () => {
    expect(renderNumber('45000', date, false)).toBe('2023-03-15');
    expect(renderNumber('45000.5', date, false)).toBe('2023-03-15T12:00:00');
    expect(renderNumber('45000', dateTime, false)).toBe('2023-03-15T00:00:00');
    expect(renderNumber('45000.25', dateTime, false)).toBe('2023-03-15T06:00:00');
    expect(renderNumber('0.75', time, false)).toBe('18:00:00');
    expect(renderNumber('1.75', time, false)).toBe('1900-01-01T18:00:00');
  });

  it('follows the 1904 date system, and the 1900 system with its fictitious 29 February 1900', () => {
    expect(renderNumber('0', date, true)).toBe('1904-01-01');
    expect(renderNumber('43538', date, true)).toBe('2023-03-15');
    expect(renderNumber('1', date, false)).toBe('1900-01-01');
    expect(renderNumber('59', date, false)).toBe('1900-02-28');
    expect(renderNumber('60', date, false)).toBe('1900-02-29');
    expect(renderNumber('61', date, false)).toBe('1900-03-01');
  });

  it('gives what was stored when it is not a number, and a negative date as a number', () => {
    expect(renderNumber('', plain, false)).toBe('');
    expect(renderNumber('abc', plain, false)).toBe('abc');
    expect(renderNumber('-5', date, false)).toBe('-5');
  });
});
