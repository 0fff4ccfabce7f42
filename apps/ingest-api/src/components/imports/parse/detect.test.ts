import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  decodeSample,
  detectDelimiter,
  detectEncoding,
  detectFormat,
  isValidUtf8,
  looksBinary,
  refuseKnownBinary,
} from './detect.js';
import { ImportFileError } from './import-file-error.js';

describe('detectFormat', () => {
  it('takes a zip for a workbook and anything else for text', () => {
    expect(detectFormat(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14]))).toBe('xlsx');
    expect(detectFormat(Buffer.from([0x50, 0x4b, 0x05, 0x06]))).toBe('xlsx');
    expect(detectFormat(Buffer.from('PK;name\n'))).toBe('csv');
    expect(detectFormat(Buffer.from(''))).toBe('csv');
  });
});

describe('refuseKnownBinary', () => {
  const code = (bytes: number[] | string) => {
    try {
      refuseKnownBinary(typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes));
      return null;
    } catch (error) {
      return error instanceof ImportFileError ? error.code : 'other';
    }
  };

  it('refuses legacy and encrypted Office files as unsupported, PDFs, images and archives as binary', () => {
    expect(code([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])).toBe('unsupported_format');
    expect(code('%PDF-1.4')).toBe('binary_file');
    expect(code([0x89, 0x50, 0x4e, 0x47])).toBe('binary_file');
    expect(code([0xff, 0xd8, 0xff, 0xe0])).toBe('binary_file');
    expect(code('GIF89a')).toBe('binary_file');
    expect(code([0x1f, 0x8b, 0x08])).toBe('binary_file');
    expect(code([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])).toBe('binary_file');
    expect(code('Rar!')).toBe('binary_file');
    expect(code('Nom;Prénom')).toBeNull();
  });
});

describe('detectEncoding', () => {
  it('follows a byte order mark', () => {
    expect(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), true)).toEqual({
      encoding: 'utf-8-bom',
      bomLength: 3,
      asciiSoFar: false,
    });
    expect(detectEncoding(Buffer.from([0xff, 0xfe, 0x61, 0]), true).encoding).toBe('utf-16le');
    expect(detectEncoding(Buffer.from([0xfe, 0xff, 0, 0x61]), true).encoding).toBe('utf-16be');
  });

  it('takes valid UTF-8 for UTF-8 and anything else for Windows-1252 (never ISO-8859-1)', () => {
    expect(detectEncoding(Buffer.from('Société'), true).encoding).toBe('utf-8');
    expect(detectEncoding(iconv.encode('Société', 'windows-1252'), true).encoding).toBe('windows-1252');
    expect(detectEncoding(Buffer.from([0x80, 0x20, 0x9c, 0x92]), true).encoding).toBe('windows-1252');
  });

  it('leaves an all-ASCII sample undecided (read as UTF-8 until a byte says otherwise)', () => {
    expect(detectEncoding(Buffer.from('a;b\n1;2\n'), false)).toEqual({
      encoding: 'utf-8',
      bomLength: 0,
      asciiSoFar: true,
    });
  });

  it('does not hold a sequence cut by the end of the sample against UTF-8, unless the sample is the file', () => {
    const cut = Buffer.from('Société').subarray(0, 5); // "Soci" + the first byte of "é"
    expect(detectEncoding(cut, false).encoding).toBe('utf-8');
    expect(detectEncoding(cut, true).encoding).toBe('windows-1252');
    expect(isValidUtf8(Buffer.from([0xc3]), false)).toBe(true);
    expect(isValidUtf8(Buffer.from([0xc3]), true)).toBe(false);
  });
});

describe('decodeSample', () => {
  it('decodes € œ ’ from Windows-1252 the way French Excel means them', () => {
    const bytes = Buffer.from([0x80, 0x20, 0x9c, 0x20, 0x92, 0x20, 0xe9]);
    expect(decodeSample(bytes, { encoding: 'windows-1252', bomLength: 0, asciiSoFar: false })).toBe(
      '€ œ ’ é',
    );
  });

  it('skips the byte order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\tb', 'utf16le')]);
    expect(decodeSample(bytes, { encoding: 'utf-16le', bomLength: 2, asciiSoFar: false })).toBe('a\tb');
  });
});

describe('looksBinary', () => {
  it('sees NULs and a high share of control characters, not tabs, line breaks or a DOS end of file', () => {
    expect(looksBinary('a;b\u0000c')).toBe(true);
    expect(looksBinary(`${'Nom;Ville\n'.repeat(500)}\u0000`)).toBe(true);
    expect(looksBinary('\u0001\u0002\u0003 abcdefghijklmnopq')).toBe(true);
    expect(looksBinary('a\tb\r\nc\td\f\u001a')).toBe(false);
    expect(looksBinary('')).toBe(false);
  });
});

describe('detectDelimiter', () => {
  it('picks the delimiter that gives every record as many fields as the header', () => {
    expect(detectDelimiter('nom;adresse;ville\nA;"1, rue X";Paris\nB;"2, rue Y, bât. C";Lyon\n', true)).toBe(
      ';',
    );
    expect(detectDelimiter('name,city\nSmith,Paris\n', true)).toBe(',');
    expect(detectDelimiter('name\tcity\nSmith\tParis\n', true)).toBe('\t');
    expect(detectDelimiter('name|city\nSmith|Paris\n', true)).toBe('|');
  });

  it('is not misled by commas in unquoted French values', () => {
    expect(detectDelimiter('Nom;Montant\nDupont, Jean;1,5\nMartin, Luc;2,75\n', true)).toBe(';');
  });

  it('reads a header-only file, and the last line of a whole file without a line break', () => {
    expect(detectDelimiter('nom;ville', true)).toBe(';');
    expect(detectDelimiter('a;b;c\n1;2;3', true)).toBe(';');
  });

  it('ignores the record cut by the end of a sample that is not the whole file', () => {
    expect(detectDelimiter('a;b\n1;2\n3;4\n"open, with, commas', false)).toBe(';');
  });

  it('falls back to the most frequent candidate, then to ","', () => {
    expect(detectDelimiter(';;\n;;\n', true)).toBe(';');
    expect(detectDelimiter('email\nx@example.fr\n', true)).toBe(',');
  });
});
