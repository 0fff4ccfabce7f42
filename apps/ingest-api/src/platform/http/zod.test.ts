import { describe, expect, it } from 'vitest';
import { text, type z } from './zod.js';

const messages = (schema: z.ZodType, value: unknown) =>
  schema.safeParse(value).error?.issues.map((issue) => issue.message) ?? [];

describe('text()', () => {
  const name = text({ max: 5 });

  it('trims and accepts well-formed text up to max code points, astral characters included', () => {
    expect(name.parse('  abc ')).toBe('abc');
    expect(name.parse('😀😀😀😀😀')).toBe('😀😀😀😀😀');
    expect(name.parse('é\tà')).toBe('é\tà');
    expect(text({ max: 5, trim: false }).parse(' a ')).toBe(' a ');
    expect(text({ max: 5, min: 0 }).parse('   ')).toBe('');
  });

  it.each([
    [
      'a lone high surrogate',
      'a\ud800b',
      'must be well-formed Unicode text (it contains a lone UTF-16 surrogate)',
    ],
    [
      'a lone low surrogate',
      '\udc00',
      'must be well-formed Unicode text (it contains a lone UTF-16 surrogate)',
    ],
    [
      'a reversed pair',
      '\ude00\ud83d',
      'must be well-formed Unicode text (it contains a lone UTF-16 surrogate)',
    ],
    ['a NUL character', 'a\u0000b', 'must not contain the NUL character (U+0000)'],
    ['blank text', '   ', 'must not be empty'],
    ['too many characters', 'abcdef', 'must have at most 5 characters'],
  ])('refuses %s', (_case, value, message) => {
    expect(messages(name, value)).toContain(message);
  });

  it('counts a minimum other than one', () => {
    expect(messages(text({ max: 5, min: 2 }), 'a')).toEqual(['must have at least 2 characters']);
  });

  it('refuses impossible options at declaration', () => {
    expect(() => text({ max: 1, min: 2 })).toThrow(RangeError);
    expect(() => text({ max: 1.5 })).toThrow(RangeError);
  });
});
