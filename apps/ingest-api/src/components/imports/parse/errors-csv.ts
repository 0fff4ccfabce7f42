import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';

/** One problem of one row, as the rejected-rows export lists it. */
export interface RejectedRow {
  rowNumber: number;
  /** The header of the column concerned; null for a problem of the whole row. */
  column: string | null;
  code: string;
  message: string;
  /** The value as it was in the file; null when the problem is not about one value. */
  rawValue: string | null;
  /** The row's cells as they were in the file. */
  cells: readonly string[];
}

export interface ErrorsCsvOptions {
  /** The file's headers, written after the five fixed columns. */
  headers: readonly string[];
  /** `,` (the default) or `;` for French Excel. */
  delimiter?: ',' | ';';
  /** A UTF-8 byte order mark, without which Excel reads the file as Windows-1252 (default true). */
  bom?: boolean;
  /** Titles of the five fixed columns. */
  labels?: readonly [string, string, string, string, string];
}

const DEFAULT_LABELS = ['row', 'column', 'code', 'message', 'raw value'] as const;

/**
 * Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"): `=`, `+`, `-`, `@`, and
 * tab and carriage return, which Excel skips before looking at the next character.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell made inert for spreadsheets: one that starts with a formula character gets a leading `'`, which
 * Excel and LibreOffice read as "text" and do not show. The price is that a negative number in a raw value
 * is exported as `'-42`: the export is for reading, not for re-importing as numbers.
 */
export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * The rejected-rows CSV, streamed: one line per problem (row number, column, code, message, raw value, then
 * the original row's cells), every cell neutralised against formula injection, CRLF line ends, UTF-8 with a
 * byte order mark by default so that Excel shows accents right. `records` is read only as fast as the
 * returned stream is consumed; if the consumer destroys the stream, `records` is ended (`return()`); an error
 * of `records` destroys the stream with that error.
 */
export function errorsCsv(records: AsyncIterable<RejectedRow>, options: ErrorsCsvOptions): Readable {
  const labels = options.labels ?? DEFAULT_LABELS;
  const stringifier = stringify({
    delimiter: options.delimiter ?? ',',
    bom: options.bom ?? true,
    record_delimiter: 'windows',
    // csv-stringify quotes a field holding the record delimiter (CRLF) but not a lone CR or LF, which Excel
    // and csv-parse would still take for the end of a row.
    quoted_match: /[\r\n]/,
    eof: true,
  });
  async function* lines(): AsyncGenerator<string[]> {
    yield [...labels, ...options.headers].map(neutraliseFormula);
    for await (const record of records) {
      yield [
        String(record.rowNumber),
        record.column ?? '',
        record.code,
        record.message,
        record.rawValue ?? '',
        ...record.cells,
      ].map(neutraliseFormula);
    }
  }
  // The callback only keeps a failure from being unhandled: pipeline has already destroyed the stringifier
  // with it, which is how the consumer learns of it.
  pipeline(Readable.from(lines(), { highWaterMark: 16 }), stringifier, () => {});
  return stringifier;
}
