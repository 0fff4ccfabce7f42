import { Readable } from 'node:stream';

/**
 * Encoding for `COPY ... FROM STDIN` in PostgreSQL's text format, and the one way this code base stages
 * rows with COPY: PostgreSQL refuses `COPY FROM` into a table with row-level security (SQLSTATE 0A000, even
 * for the owner when RLS is forced), so rows are copied into a temporary table created in the same
 * transaction and then inserted with `INSERT ... SELECT`, where the tenant policy's WITH CHECK applies.
 */

/** A field in COPY text format; null is `\N`. NUL cannot be stored in a text value and becomes U+FFFD. */
export function copyField(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(/[\\\n\r\t\0]/g, (char) => {
    switch (char) {
      case '\\':
        return '\\\\';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return '\uFFFD';
    }
  });
}

/** A `text[]` value as an array literal (before the COPY field escaping). */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/** One COPY line of text-format fields. */
export function copyLine(fields: readonly (string | number | null)[]): string {
  return `${fields.map(copyField).join('\t')}\n`;
}

/** A readable stream of COPY lines, for `Sql.copyFrom`. */
export function copySource(lines: Iterable<string>): Readable {
  return Readable.from(lines, { objectMode: false });
}
