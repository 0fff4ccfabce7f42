import type { Readable } from 'node:stream';
import { ByteSource } from './byte-source.js';
import { readCsvRecords } from './csv-reader.js';
import {
  decodeSample,
  detectDelimiter,
  detectEncoding,
  detectFormat,
  looksBinary,
  refuseKnownBinary,
  SNIFF_BYTES,
} from './detect.js';
import { ImportFileError } from './import-file-error.js';
import type {
  OpenedTable,
  OpenTableOptions,
  ParsedRow,
  RawRecord,
  TableInfo,
  TableLimits,
} from './table-types.js';
import { readXlsxRecords } from './xlsx-reader.js';

export type { OpenedTable, OpenTableOptions, ParsedRow, TableInfo, TableLimits } from './table-types.js';

const DEFAULT_BATCH_ROWS = 5_000;

/**
 * Opens an uploaded CSV or XLSX file as a table: detects the format, encoding, delimiter or sheet, reads up to
 * the header row and returns it with an iterable of the data rows. Nothing is held but the current chunk and
 * batch (and, for XLSX, what ADR 0060 lists). The caller owns `source` until `rows` is iterated: a caller that
 * gives up before iterating must drain or destroy it.
 *
 * @throws ImportFileError when the file is refused before its header (`empty_file`, `no_header`,
 *   `binary_file`, `unsupported_format`, `invalid_xlsx`, `unknown_sheet`, `zip_bomb`, `xml_entities`, a limit);
 *   iterating `rows` rejects with the same class for problems found later. Errors of the source are passed on.
 * @throws TypeError for options out of range (a programming error, not the file's).
 */
export async function openTable(
  source: AsyncIterable<Buffer> | Readable,
  options: OpenTableOptions,
): Promise<OpenedTable> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  checkOptions(options.limits, batchRows);
  const bytes = ByteSource.from(source);
  try {
    const head = await bytes.peek(SNIFF_BYTES);
    if (head.length === 0) throw new ImportFileError('empty_file', 'The file is empty.');
    refuseKnownBinary(head);
    const format =
      options.format === undefined || options.format === 'auto' ? detectFormat(head) : options.format;
    if (format === 'xlsx' && detectFormat(head) !== 'xlsx') {
      throw new ImportFileError('unsupported_format', 'This file is not an XLSX workbook.');
    }
    const info: TableInfo = { format, encoding: null, delimiter: null, sheet: null, headers: [] };
    const records =
      format === 'xlsx'
        ? readXlsxRecords(bytes, {
            sheet: options.sheet ?? null,
            limits: options.limits,
            onSheet: (name) => (info.sheet = name),
          })
        : openCsv(bytes, head, info, options.limits);
    const reader = new RecordReader(records);
    const header = await reader.nextNonBlank();
    if (header === null) {
      await reader.close();
      throw new ImportFileError('no_header', 'The file has no header row: every row is blank.');
    }
    info.headers = header.cells.map((cell) => cell.trim());
    return {
      info,
      rows: once(batches(reader, bytes, info.headers.length, batchRows), async () => {
        await reader.close();
        await bytes.release();
      }),
    };
  } catch (error) {
    await bytes.release();
    throw error;
  }
}

function openCsv(
  bytes: ByteSource,
  head: Buffer,
  info: TableInfo,
  limits: TableLimits,
): AsyncGenerator<RawRecord[]> {
  const complete = head.length < SNIFF_BYTES;
  const guess = detectEncoding(head, complete);
  if (head.length === guess.bomLength) throw new ImportFileError('empty_file', 'The file is empty.');
  const sample = decodeSample(head, guess);
  if (looksBinary(sample)) {
    throw new ImportFileError(
      'binary_file',
      'This file is not text (it holds NUL or control bytes): upload a CSV or an XLSX workbook.',
    );
  }
  info.encoding = guess.encoding;
  info.delimiter = detectDelimiter(sample, complete);
  return readCsvRecords(bytes, {
    guess,
    delimiter: info.delimiter,
    limits,
    onEncodingDecided: (encoding) => (info.encoding = encoding),
  });
}

function isBlank(cells: readonly string[]): boolean {
  return cells.every((cell) => cell.trim() === '');
}

/** One record at a time over the batches of a format reader. */
class RecordReader {
  private batch: RawRecord[] = [];
  private index = 0;

  constructor(private readonly records: AsyncGenerator<RawRecord[]>) {}

  async nextNonBlank(): Promise<RawRecord | null> {
    for (;;) {
      while (this.index < this.batch.length) {
        const record = this.batch[this.index] as RawRecord;
        this.index += 1;
        if (!isBlank(record.cells)) return record;
      }
      const next = await this.records.next();
      if (next.done === true) return null;
      this.batch = next.value;
      this.index = 0;
    }
  }

  async close(): Promise<void> {
    await this.records.return(undefined);
  }
}

async function* batches(
  reader: RecordReader,
  bytes: ByteSource,
  width: number,
  batchRows: number,
): AsyncGenerator<ParsedRow[]> {
  let completed = false;
  try {
    let batch: ParsedRow[] = [];
    for (let record = await reader.nextNonBlank(); record !== null; record = await reader.nextNonBlank()) {
      batch.push(toParsedRow(record, width));
      if (batch.length >= batchRows) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
    completed = true;
  } finally {
    if (!completed) {
      await reader.close();
      await bytes.release();
    }
  }
}

function toParsedRow(record: RawRecord, width: number): ParsedRow {
  const { cells } = record;
  const cellCount = cells.length;
  if (cellCount === width) return { rowNumber: record.rowNumber, cells, cellCount };
  if (cellCount > width) return { rowNumber: record.rowNumber, cells: cells.slice(0, width), cellCount };
  const padded = cells.slice();
  while (padded.length < width) padded.push('');
  return { rowNumber: record.rowNumber, cells: padded, cellCount };
}

/**
 * An async iterable that hands out its iterator once (a second loop would silently see nothing). A generator
 * returned before its first `next()` never runs its `finally`, so that case releases the source itself.
 */
function once<T>(generator: AsyncGenerator<T>, releaseUnstarted: () => Promise<void>): AsyncIterable<T> {
  let taken = false;
  let started = false;
  return {
    [Symbol.asyncIterator]() {
      if (taken) throw new Error('The rows of an opened table can be iterated once.');
      taken = true;
      return {
        next: () => {
          started = true;
          return generator.next();
        },
        return: async (value?: unknown) => {
          if (!started) await releaseUnstarted();
          return generator.return(value as never);
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      } as AsyncIterableIterator<T>;
    },
  };
}

function checkOptions(limits: TableLimits, batchRows: number): void {
  const values: [string, number][] = [
    ['batchRows', batchRows],
    ['limits.maxCells', limits.maxCells],
    ['limits.maxUncompressedBytes', limits.maxUncompressedBytes],
    ['limits.maxColumns', limits.maxColumns],
    ['limits.maxCellChars', limits.maxCellChars],
  ];
  for (const [name, value] of values) {
    if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer.`);
  }
}
