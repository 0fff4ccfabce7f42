import { describe, expect, it } from 'vitest';

import { checkText } from './text.js';

describe('checkText', () => {
  it('trims and accepts ordinary text, empty included', () => {
    expect(checkText('  Danone  ', 20)).toEqual({ ok: true, value: 'Danone', warnings: [] });
    expect(checkText('   ', 20)).toEqual({ ok: true, value: '', warnings: [] });
  });

  it('rejects a NUL character, which PostgreSQL text columns refuse', () => {
    expect(checkText('Dan\u0000one', 20)).toMatchObject({
      ok: false,
      problem: { code: 'invalid_characters', severity: 'error' },
    });
  });

  it('rejects lone surrogates and accepts paired ones', () => {
    const emoji = '\u{1F600}';
    expect(checkText(`ok ${emoji}`, 20)).toMatchObject({ ok: true });
    expect(checkText(`cut ${emoji.slice(0, 1)}`, 20)).toMatchObject({
      ok: false,
      problem: { code: 'invalid_characters' },
    });
    expect(checkText(`cut ${emoji.slice(1)}`, 20)).toMatchObject({
      ok: false,
      problem: { code: 'invalid_characters' },
    });
  });

  it('counts code points after trimming, as varchar(n) does', () => {
    expect(checkText(' abcde ', 5)).toMatchObject({ ok: true, value: 'abcde' });
    expect(checkText('abcdef', 5)).toMatchObject({ ok: false, problem: { code: 'too_long' } });
    // Five emoji are ten UTF-16 units but five characters.
    expect(checkText('\u{1F600}'.repeat(5), 5)).toMatchObject({ ok: true });
    expect(checkText('é'.repeat(6), 5)).toMatchObject({ ok: false, problem: { code: 'too_long' } });
  });
});
