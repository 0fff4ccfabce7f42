/**
 * Keyset pagination over an immutable sort key plus the row id, so a walk through a list never skips or
 * repeats a row that exists for the whole walk, whatever is inserted or deleted meanwhile. Column names come
 * from the caller's constants, never from a request.
 */
export interface KeysetOrder {
  /** A timestamptz column (qualified if the query joins), e.g. `c.created_at`. */
  sortColumn: string;
  /** The uuid primary key column, e.g. `c.id`. */
  idColumn: string;
  direction: 'asc' | 'desc';
}

/** Where the previous page stopped; what an opaque cursor decodes to. */
export interface KeysetPosition {
  sortKey: string;
  id: string;
}

export interface KeysetPage<T> {
  items: T[];
  /** The position after the last item, when there is a next page. */
  next: KeysetPosition | null;
}

/**
 * The select expression that gives a row's position as text (microseconds, UTC), to be selected as
 * `keyset_sort_key` beside the id.
 */
export function keysetSortKey(order: KeysetOrder): string {
  return `to_char(${order.sortColumn} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS keyset_sort_key`;
}

/**
 * The predicate (rows strictly after the position, in the order's direction) and the ORDER BY clause. The
 * row comparison keeps the `(organisation_id, created_at, id)` indexes usable in both directions.
 *
 * @param firstParameter the number of the first of the two parameters ($n, $n+1) the predicate uses
 */
export function keysetClauses(
  order: KeysetOrder,
  firstParameter: number,
): { predicate: string; orderBy: string } {
  const comparison = order.direction === 'asc' ? '>' : '<';
  const a = `$${firstParameter}`;
  const b = `$${firstParameter + 1}`;
  const direction = order.direction === 'asc' ? 'ASC' : 'DESC';
  return {
    predicate: `(${a}::timestamptz IS NULL OR (${order.sortColumn}, ${order.idColumn}) ${comparison} (${a}::timestamptz, ${b}::uuid))`,
    orderBy: `${order.sortColumn} ${direction}, ${order.idColumn} ${direction}`,
  };
}

/** The two parameter values of `keysetClauses` for a position (or none). */
export function keysetValues(after: KeysetPosition | null): [string | null, string | null] {
  return [after?.sortKey ?? null, after?.id ?? null];
}

/**
 * Cuts `limit + 1` fetched rows to a page. The extra row only says that there is a next page.
 */
export function keysetPage<R extends { id: string; keyset_sort_key: string }, T>(
  rows: readonly R[],
  limit: number,
  toItem: (row: R) => T,
): KeysetPage<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toItem),
    next: rows.length > limit && last ? { sortKey: last.keyset_sort_key, id: last.id } : null,
  };
}
