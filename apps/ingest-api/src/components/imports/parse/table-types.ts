import type { Delimiter, TableFormat, TextEncoding } from './detect.js';

/** Ceilings that keep a hostile or broken file from costing memory or time. All are required. */
export interface TableLimits {
  /** Cells read in the whole file (for XLSX every `<c>` element of the sheet, and shared strings). */
  maxCells: number;
  /** XLSX: bytes inflated from the zip, all parts read added up; also any one part's declared size. */
  maxUncompressedBytes: number;
  /** Cells in one row, the header included. */
  maxColumns: number;
  /** Characters in one cell. */
  maxCellChars: number;
}

export interface OpenTableOptions {
  /** `auto` (the default): a zip is read as XLSX, anything else as delimited text. */
  format?: 'csv' | 'xlsx' | 'auto';
  /** XLSX: the sheet to read, by name; null or absent for the first visible sheet. Ignored for CSV. */
  sheet?: string | null;
  /** Rows per batch of `rows` (default 5,000). */
  batchRows?: number;
  limits: TableLimits;
}

export interface TableInfo {
  format: TableFormat;
  /**
   * CSV only. For a file whose first 64 KiB are plain ASCII this is 'utf-8' when `openTable` resolves, and
   * becomes 'windows-1252' while rows are read if a later byte shows that is what the file is.
   */
  encoding: TextEncoding | null;
  /** CSV only. */
  delimiter: Delimiter | null;
  /** XLSX only: the name of the sheet read. */
  sheet: string | null;
  /** The first non-blank row, each cell trimmed. */
  headers: string[];
}

export interface ParsedRow {
  /**
   * The row number the user sees: the sheet's row number in XLSX; the record number in a CSV (records, not
   * physical lines, blank records counted), so the header is row 1 unless blank lines come before it.
   */
  rowNumber: number;
  /** Exactly `headers.length` cells, as in the file (not trimmed): padded with '' or truncated. */
  cells: string[];
  /** How many cells the file had: a CSV record's fields; in XLSX the position of the last non-empty cell. */
  cellCount: number;
}

export interface OpenedTable {
  info: TableInfo;
  /**
   * Data rows in batches, header excluded, blank rows left out, in file order. Can be iterated once. Breaking
   * out of the loop, or an error, releases the source (a Readable is drained, another iterable is ended).
   */
  rows: AsyncIterable<ParsedRow[]>;
}

/** A record as a format reader gives it, before padding. */
export interface RawRecord {
  rowNumber: number;
  cells: string[];
}
