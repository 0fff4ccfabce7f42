import { CsvError, parse as createCsvParser } from 'csv-parse';
import type { ByteSource } from './byte-source.js';
import type { Delimiter, EncodingGuess, TextEncoding } from './detect.js';
import { ImportFileError } from './import-file-error.js';
import type { RawRecord, TableLimits } from './table-types.js';
import { Utf8Transcoder } from './utf8-transcoder.js';

export interface CsvReadOptions {
  guess: EncodingGuess;
  delimiter: Delimiter;
  limits: TableLimits;
  /** Called when a file that was ASCII in its sample turns out to be Windows-1252. */
  onEncodingDecided?: (encoding: TextEncoding) => void;
}

/**
 * The records of a delimited text file, in batches of whatever one chunk held, every record numbered
 * (blank ones too, so numbers match what Excel shows). csv-parse runs synchronously inside `write()`, so a
 * chunk is parsed completely, and its records taken, before the next one is read: memory holds one chunk and
 * its records.
 *
 * Options, and why:
 * - `relax_quotes`: a quote inside an unquoted field (`5" screen`) or text after a closing quote is kept as
 *   text, as Excel reads it, instead of failing the file;
 * - `relax_column_count`: ragged rows are data (the caller reports them from `cellCount`);
 * - `skip_empty_lines: false`: blank records are counted for row numbers, and left out by the caller;
 * - `max_record_size`: a quote that is never closed would make the rest of the file one field; the parser
 *   stops at `maxColumns × maxCellChars` UTF-8 bytes (4 bytes a character at most);
 * - no trimming and no casting: values are given as written; the CRM rules trim.
 * @throws ImportFileError `too_many_columns`, `too_many_cells`, `cell_too_long`, `invalid_csv`, from the iterator.
 */
export async function* readCsvRecords(
  bytes: ByteSource,
  options: CsvReadOptions,
): AsyncGenerator<RawRecord[]> {
  const { limits } = options;
  const transcoder = new Utf8Transcoder(options.guess, options.onEncodingDecided);
  let batch: RawRecord[] = [];
  let recordNumber = 0;
  let cellsRead = 0;
  const parser = createCsvParser({
    delimiter: options.delimiter,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: limits.maxColumns * limits.maxCellChars * 4,
  });
  // Records are taken with read() right after each write (an `on_record` hook would cost an info object per
  // record). The parser handles a whole chunk in one go whatever its readable buffer holds, and the next chunk
  // is written only once this one's records are taken.
  const take = (): void => {
    for (
      let record = parser.read() as string[] | null;
      record !== null;
      record = parser.read() as string[] | null
    ) {
      recordNumber += 1;
      checkRecord(record, recordNumber, limits);
      cellsRead += record.length;
      if (cellsRead > limits.maxCells) {
        throw new ImportFileError(
          'too_many_cells',
          `The file has more than ${limits.maxCells} cells (row ${recordNumber}). Split it into smaller files.`,
          { rowNumber: recordNumber, limit: limits.maxCells },
        );
      }
      batch.push({ rowNumber: recordNumber, cells: record });
    }
  };
  // Errors are read from `parser.errored` right after each write; the event would otherwise be unhandled.
  parser.on('error', () => {});
  try {
    for (;;) {
      const chunk = await bytes.next();
      const utf8 = chunk === null ? transcoder.end() : transcoder.push(chunk);
      if (utf8.length > 0) parser.write(utf8);
      if (chunk === null) parser.end();
      take();
      if (parser.errored !== null) throw toImportFileError(parser.errored, recordNumber + 1, limits);
      if (batch.length > 0) {
        const out = batch;
        batch = [];
        yield out;
      }
      if (chunk === null) return;
    }
  } finally {
    parser.destroy();
  }
}

function checkRecord(record: string[], rowNumber: number, limits: TableLimits): void {
  if (record.length > limits.maxColumns) {
    throw new ImportFileError(
      'too_many_columns',
      `Row ${rowNumber} has ${record.length} columns; at most ${limits.maxColumns} are read.`,
      { rowNumber, limit: limits.maxColumns },
    );
  }
  for (let i = 0; i < record.length; i += 1) {
    if ((record[i] as string).length > limits.maxCellChars) {
      throw new ImportFileError(
        'cell_too_long',
        `Row ${rowNumber}, column ${i + 1} is longer than ${limits.maxCellChars} characters.`,
        { rowNumber, column: i + 1, limit: limits.maxCellChars },
      );
    }
  }
}

function toImportFileError(error: Error, rowNumber: number, limits: TableLimits): Error {
  if (error instanceof ImportFileError) return error;
  if (!(error instanceof CsvError)) return error;
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    return new ImportFileError(
      'cell_too_long',
      `Row ${rowNumber} is longer than the limit: is a quote left open? Everything after an opening quote is ` +
        'one cell until the next quote.',
      { rowNumber, limit: limits.maxCellChars },
      { cause: error },
    );
  }
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new ImportFileError(
      'invalid_csv',
      `A quote opened on row ${rowNumber} is never closed, so the rest of the file would be one cell.`,
      { rowNumber },
      { cause: error },
    );
  }
  return new ImportFileError('invalid_csv', `The CSV cannot be read at row ${rowNumber}: ${error.message}`, {
    rowNumber,
  });
}
