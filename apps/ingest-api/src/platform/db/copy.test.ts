import { describe, expect, it } from 'vitest';
import { arrayLiteral, copyField, copyLine } from './copy.js';

describe('COPY text encoding', () => {
  it('escapes the characters COPY gives a meaning to, and writes null as \\N', () => {
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField(null)).toBe('\\N');
    expect(copyField(42)).toBe('42');
    expect(copyField('nul\0')).toBe('nul\uFFFD');
  });

  it('quotes every array element so commas, braces, quotes and NULL stay text', () => {
    expect(arrayLiteral(['a,b', '{x}', 'say "hi"', 'NULL', '', 'back\\slash'])).toBe(
      '{"a,b","{x}","say \\"hi\\"","NULL","","back\\\\slash"}',
    );
    expect(copyLine([1, arrayLiteral(['x\ty'])])).toBe('1\t{"x\\ty"}\n');
  });
});
