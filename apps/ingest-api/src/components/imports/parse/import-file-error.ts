import { AppError } from '../../../platform/errors.js';

/**
 * Why a file cannot be read as a table. Each code is stable (clients and the error CSV key on it); the
 * message is written for the person who uploaded the file.
 */
export type ImportFileErrorCode =
  /** No bytes at all, or only a byte order mark. */
  | 'empty_file'
  /** Bytes, but no record with a non-blank cell to take as the header. */
  | 'no_header'
  /** Not text: NUL bytes or control characters in a file that is not UTF-16, a PDF, an image, a zip that is not a workbook. */
  | 'binary_file'
  /** A spreadsheet format we do not read (legacy .xls, password-protected or .xlsb workbooks, OpenDocument), or a format option that does not match the file. */
  | 'unsupported_format'
  /** A workbook part that inflates past the configured ceiling, or far faster than real workbooks do. */
  | 'zip_bomb'
  /** A workbook part with a DOCTYPE or ENTITY declaration (entity expansion is refused, never evaluated). */
  | 'xml_entities'
  /** More cells than the configured ceiling. */
  | 'too_many_cells'
  /** A row wider than the configured ceiling. */
  | 'too_many_columns'
  /** One cell (or, in a CSV, one row whose quote is never closed) longer than the configured ceiling. */
  | 'cell_too_long'
  /** A CSV the parser cannot read: a quote opened and never closed. */
  | 'invalid_csv'
  /** A zip that claims to be a workbook but whose parts are missing, corrupt or not well-formed XML. */
  | 'invalid_xlsx'
  /** The requested sheet is not in the workbook (the names that are, are in `sheets`). */
  | 'unknown_sheet';

/** What an error can say about where it happened, sent as problem members beside the code. */
export interface ImportFileErrorDetails {
  rowNumber?: number;
  column?: number;
  limit?: number;
  sheets?: readonly string[];
  /** zip_bomb: bytes inflated when the guard stopped. */
  inflatedBytes?: number;
}

/**
 * The one error the parsing layer throws for a file it refuses. The API maps it to a 422 through its kind
 * (`invalid`); a job records `code` and `message` as data. Errors of the source stream itself (a client that
 * went away) are passed through unchanged: they are not the file's fault.
 */
export class ImportFileError extends AppError {
  override readonly name = 'ImportFileError';
  declare readonly code: ImportFileErrorCode;

  constructor(
    code: ImportFileErrorCode,
    message: string,
    readonly details: ImportFileErrorDetails = {},
    options: { cause?: unknown } = {},
  ) {
    super('invalid', code, message, { ...details });
    if (options.cause !== undefined) this.cause = options.cause;
  }
}
