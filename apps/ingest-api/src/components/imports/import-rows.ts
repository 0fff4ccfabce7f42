import { companyKeyOf, personKeyOf } from '../crm/crm-merge.plan.js';
import { validateRecord } from '../crm/crm-record.js';
import type { RowProblem, StagedRow, ValidRecord } from './staging.repository.js';

/**
 * From a staged row to a clean record: the confirmed mapping turns cells into a record of the CRM's fields,
 * the CRM-core rules check it (the same `validateRecord` as JSON ingest), and every problem becomes data
 * (row number, column, code, message, raw value).
 */

/** For each column of the file, the field it feeds (`company.siren`) or null. */
export type ColumnFields = readonly (string | null)[];

export interface ValidatedRow {
  valid: ValidRecord | null;
  problems: RowProblem[];
}

export function validateRow(row: StagedRow, headers: readonly string[], fields: ColumnFields): ValidatedRow {
  const raw: Record<string, Record<string, string>> = {};
  const columnOf = new Map<string, number>();
  fields.forEach((field, index) => {
    if (field === null) return;
    const [entity, name] = field.split('.') as [string, string];
    const value = row.cells[index] ?? '';
    columnOf.set(field, index);
    if (value.trim() === '') return;
    (raw[entity] ??= {})[name] = value;
  });
  const problems: RowProblem[] = [];
  if (row.cellCount !== undefined && row.cellCount !== null && row.cellCount !== headers.length) {
    problems.push({
      rowNumber: row.rowNumber,
      column: null,
      code: 'ragged_row',
      severity: 'error',
      message: `The row has ${row.cellCount} cells where the header has ${headers.length}.`,
      rawValue: null,
    });
  }
  const { record, problems: found } = validateRecord(raw);
  for (const problem of found) {
    const index = columnOf.get(problem.path);
    problems.push({
      rowNumber: row.rowNumber,
      column: index === undefined ? null : (headers[index] ?? null),
      code: problem.code,
      severity: problem.severity,
      message: problem.message,
      rawValue: index === undefined ? null : (row.cells[index] ?? null),
    });
  }
  if (problems.some((problem) => problem.severity === 'error')) return { valid: null, problems };
  return {
    valid: {
      rowNumber: row.rowNumber,
      record,
      companyKey: companyKeyOf(record),
      personKey: personKeyOf(record),
    },
    problems,
  };
}
