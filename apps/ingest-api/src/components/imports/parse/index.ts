/** The parsing layer of file imports: what the upload route, staging, the worker and the CLI build on. */
export { openTable } from './table-reader.js';
export type { OpenedTable, OpenTableOptions, ParsedRow, TableInfo, TableLimits } from './table-types.js';
export type { Delimiter, TableFormat, TextEncoding } from './detect.js';
export {
  ImportFileError,
  type ImportFileErrorCode,
  type ImportFileErrorDetails,
} from './import-file-error.js';
export {
  CONFIDENCE,
  headerSignature,
  MAPPABLE_FIELDS,
  NATURAL_KEY_FIELDS,
  normaliseHeader,
  suggestMapping,
  validateMapping,
  type ColumnSuggestion,
  type MappingConflict,
  type MappingProblem,
  type MappingProblemCode,
  type MappingReason,
  type SuggestedMapping,
} from './mapping.js';
export { errorsCsv, neutraliseFormula, type ErrorsCsvOptions, type RejectedRow } from './errors-csv.js';
