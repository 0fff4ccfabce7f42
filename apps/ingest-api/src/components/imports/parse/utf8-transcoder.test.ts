import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { SNIFF_BYTES, type EncodingGuess, type TextEncoding } from './detect.js';
import { Utf8Transcoder } from './utf8-transcoder.js';

function run(guess: EncodingGuess, chunks: Buffer[]) {
  const decided: TextEncoding[] = [];
  const transcoder = new Utf8Transcoder(guess, (encoding) => decided.push(encoding));
  const out = Buffer.concat([...chunks.map((chunk) => transcoder.push(chunk)), transcoder.end()]);
  return { text: out.toString('utf8'), decided };
}

function split(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

const ascii: EncodingGuess = { encoding: 'utf-8', bomLength: 0, asciiSoFar: true };

describe('Utf8Transcoder', () => {
  it('passes UTF-8 through and skips a byte order mark split across chunks', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Société')]);
    const { text } = run({ encoding: 'utf-8-bom', bomLength: 3, asciiSoFar: false }, split(bytes, 1));
    expect(text).toBe('Société');
  });

  it('decodes Windows-1252 with iconv-lite: € œ ’ (0x80 0x9C 0x92) as French Excel means them', () => {
    const bytes = Buffer.from([0x31, 0x32, 0x80, 0x20, 0x9c, 0x75, 0x76, 0x72, 0x65, 0x20, 0x4c, 0x92, 0x41]);
    expect(run({ encoding: 'windows-1252', bomLength: 0, asciiSoFar: false }, [bytes]).text).toBe(
      '12€ œuvre L’A',
    );
  });

  it('decodes UTF-16 BE with a surrogate pair split across chunks', () => {
    const bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('a🚀b', 'utf16le').swap16()]);
    expect(run({ encoding: 'utf-16be', bomLength: 2, asciiSoFar: false }, split(bytes, 3)).text).toBe('a🚀b');
  });

  it('decides late for a file ASCII in its sample: Windows-1252 when the held window is not UTF-8', () => {
    const bytes = iconv.encode(`${'x'.repeat(100)}Société €`, 'windows-1252');
    const result = run(ascii, split(bytes, 10));
    expect(result.text).toBe(`${'x'.repeat(100)}Société €`);
    expect(result.decided).toEqual(['windows-1252']);
  });

  it('decides late for UTF-8 when the held window is valid UTF-8, even cut in a sequence at a chunk end', () => {
    const bytes = Buffer.from(`${'x'.repeat(100)}Société ${'é'.repeat(SNIFF_BYTES)}`);
    const result = run(ascii, split(bytes, 4097));
    expect(result.text).toBe(`${'x'.repeat(100)}Société ${'é'.repeat(SNIFF_BYTES)}`);
    expect(result.decided).toEqual([]);
  });

  it('holds at most one sniff window while deciding', () => {
    const transcoder = new Utf8Transcoder(ascii);
    expect(transcoder.push(Buffer.from('abc\xe9', 'latin1')).toString()).toBe('abc');
    let held = 0;
    let out = 0;
    for (let i = 0; i < 40 && out === 0; i += 1) {
      held += 4096;
      out = transcoder.push(Buffer.alloc(4096, 0x41)).length;
    }
    expect(held).toBeLessThanOrEqual(SNIFF_BYTES + 4096);
    expect(out).toBeGreaterThan(SNIFF_BYTES - 1);
  });
});
