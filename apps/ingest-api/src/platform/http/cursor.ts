import { BadRequestError } from './errors.js';

/** An opaque cursor over a stable sort key plus the row id (ties broken by id, so pages never skip or repeat). */
export interface CursorPosition {
  sortKey: string;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.sortKey, position.id])).toString('base64url');
}

/** @throws {BadRequestError} when the cursor was not produced by encodeCursor. */
export function decodeCursor(cursor: string): CursorPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string'
    ) {
      return { sortKey: value[0], id: value[1] };
    }
  } catch {
    // fall through to the same answer as a well-formed but wrong cursor
  }
  throw new BadRequestError(
    'The cursor is not valid; use nextCursor from a previous page.',
    'invalid_cursor',
  );
}
