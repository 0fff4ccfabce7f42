import { isAscii } from 'node:buffer';
import { parse as createCsvParser } from 'csv-parse';
import iconv from 'iconv-lite';
import { ImportFileError } from './import-file-error.js';

export type TableFormat = 'csv' | 'xlsx';
export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';
export type Delimiter = ',' | ';' | '\t' | '|';

/** How much of the start of a file detection looks at: encoding, binary content, delimiter. */
export const SNIFF_BYTES = 64 * 1024;

const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY_ARCHIVE = [0x50, 0x4b, 0x05, 0x06];
/** Compound File Binary: legacy .xls, and every password-protected Office file. */
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const BINARY_MAGICS: readonly (readonly [string, readonly number[]])[] = [
  ['a PDF document', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a gzip archive', [0x1f, 0x8b]],
  ['a 7-Zip archive', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ['a RAR archive', [0x52, 0x61, 0x72, 0x21]],
];

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
}

/** A zip (the container of XLSX) is a workbook candidate; everything else is read as delimited text. */
export function detectFormat(head: Uint8Array): TableFormat {
  return startsWith(head, ZIP_LOCAL_HEADER) || startsWith(head, ZIP_EMPTY_ARCHIVE) ? 'xlsx' : 'csv';
}

/**
 * Refuses, from their first bytes, files that are neither a workbook nor text.
 * @throws ImportFileError `unsupported_format` for legacy or encrypted Office files, `binary_file` for others.
 */
export function refuseKnownBinary(head: Uint8Array): void {
  if (startsWith(head, OLE2)) {
    throw new ImportFileError(
      'unsupported_format',
      'This is a legacy Excel (.xls) or password-protected workbook. Save it as .xlsx (without a password) or CSV.',
    );
  }
  for (const [what, magic] of BINARY_MAGICS) {
    if (startsWith(head, magic)) {
      throw new ImportFileError('binary_file', `This file is ${what}, not a CSV or XLSX table.`);
    }
  }
}

export interface EncodingGuess {
  encoding: TextEncoding;
  /** Bytes of byte order mark to skip. */
  bomLength: number;
  /**
   * The sample had no byte above 0x7F: UTF-8 and Windows-1252 read it alike, so the choice is made later, at
   * the first such byte (see `Utf8Transcoder`).
   */
  asciiSoFar: boolean;
}

/**
 * The encoding of a text file from its first bytes: a byte order mark decides (UTF-8, UTF-16 LE or BE, as
 * Excel's "Unicode text" writes it); without one, bytes that are valid UTF-8 are UTF-8 and anything else is
 * Windows-1252, which is what French Excel writes for "CSV (separator: semicolon)". ISO-8859-1 is never
 * chosen: for the bytes where they differ (0x80-0x9F) Windows-1252 is what such files mean (`€`, `œ`, `’`).
 * @param complete whether `head` is the whole file (a multi-byte sequence cut at its end is then invalid).
 */
export function detectEncoding(head: Uint8Array, complete: boolean): EncodingGuess {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    return { encoding: 'utf-8-bom', bomLength: 3, asciiSoFar: false };
  }
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2, asciiSoFar: false };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2, asciiSoFar: false };
  if (isAscii(head)) return { encoding: 'utf-8', bomLength: 0, asciiSoFar: true };
  return {
    encoding: isValidUtf8(head, complete) ? 'utf-8' : 'windows-1252',
    bomLength: 0,
    asciiSoFar: false,
  };
}

/**
 * Whether `bytes` are valid UTF-8. Unless `complete`, a sequence cut by the end of the sample is not held
 * against it (the sample ends where a chunk happened to end).
 */
export function isValidUtf8(bytes: Uint8Array, complete: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

/** Text of a sample, for detection only (the rows are decoded by the streaming transcoder). */
export function decodeSample(head: Uint8Array, guess: EncodingGuess): string {
  const body = Buffer.from(head.buffer, head.byteOffset + guess.bomLength, head.byteLength - guess.bomLength);
  switch (guess.encoding) {
    case 'utf-8':
    case 'utf-8-bom':
      return body.toString('utf8');
    case 'utf-16le':
      return iconv.decode(body, 'utf-16le');
    case 'utf-16be':
      return iconv.decode(body, 'utf-16be');
    case 'windows-1252':
      return iconv.decode(body, 'windows-1252');
  }
}

/**
 * Binary content in decoded text: any NUL (a UTF-16 file without a byte order mark comes here too), or more
 * than 5% C0 control characters other than tab, line feed, carriage return, form feed and the DOS end-of-file.
 */
export function looksBinary(sample: string): boolean {
  if (sample.includes('\u0000')) return true;
  let controls = 0;
  for (let i = 0; i < sample.length; i += 1) {
    const code = sample.charCodeAt(i);
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x0c && code !== 0x1a) {
      controls += 1;
    }
  }
  return sample.length > 0 && controls / sample.length > 0.05;
}

const DELIMITERS: readonly Delimiter[] = [';', ',', '\t', '|'];
const DELIMITER_SAMPLE_RECORDS = 30;

/**
 * The delimiter of a CSV from its first records, read with csv-parse itself so that quoted fields count as
 * one (a `;` file whose quoted addresses hold commas is a `;` file). The candidate whose records most often
 * have as many fields as the header wins; then the one that gives more fields; then the order `;` `,` tab `|`.
 * When no candidate gives two fields, the most frequent one is taken, else `,`.
 * @param complete whether `sample` is the whole file.
 */
export function detectDelimiter(sample: string, complete: boolean): Delimiter {
  // A sample that is not the whole file may end inside a record: it is cut after its last line break.
  const text = complete
    ? sample
    : sample.slice(0, Math.max(sample.lastIndexOf('\n'), sample.lastIndexOf('\r')) + 1);
  let best: { delimiter: Delimiter; consistency: number; width: number } = {
    delimiter: ',',
    consistency: 0,
    width: 1,
  };
  for (const delimiter of DELIMITERS) {
    const widths = sampleRecordWidths(text, delimiter);
    const width = widths[0] ?? 1;
    if (width < 2) continue;
    const consistency = widths.filter((w) => w === width).length / widths.length;
    if (consistency > best.consistency || (consistency === best.consistency && width > best.width)) {
      best = { delimiter, consistency, width };
    }
  }
  if (best.width >= 2) return best.delimiter;
  // No candidate splits a non-blank record (one column, or only blank records such as `;;`): the most
  // frequent candidate, so that a file of empty `;;;` records is seen as blank rather than as a header `;;;`.
  let most: { delimiter: Delimiter; count: number } = { delimiter: ',', count: 0 };
  for (const delimiter of DELIMITERS) {
    const count = text.split(delimiter).length - 1;
    if (count > most.count) most = { delimiter, count };
  }
  return most.delimiter;
}

/** Field counts of the first non-blank records of `sample`. */
function sampleRecordWidths(sample: string, delimiter: Delimiter): number[] {
  const widths: number[] = [];
  const parser = createCsvParser({
    delimiter,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    on_record: (record: string[]) => {
      if (widths.length < DELIMITER_SAMPLE_RECORDS && record.some((cell) => cell.trim() !== '')) {
        widths.push(record.length);
      }
      return null;
    },
  });
  parser.on('error', () => {});
  // The parser works synchronously inside write() and end(): every record has been seen when they return. A
  // quote still open at the end of the sample is an error here, and the records before it still count.
  parser.write(sample);
  parser.end();
  return widths;
}
