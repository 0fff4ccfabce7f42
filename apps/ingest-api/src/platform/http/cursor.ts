import type { KeysetPosition } from '../db/keyset.js';
import { BadRequestError } from './errors.js';

const SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Row ids a cursor may carry: uuids, or bigint identities (the audit log). */
export const CURSOR_IDS = { uuid: UUID, bigint: /^[1-9]\d{0,18}$/ } as const;

/** The opaque form of a keyset position, as lists hand it out in `nextCursor`. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.sortKey, position.id])).toString('base64url');
}

/** @throws {BadRequestError} invalid_cursor when the cursor was not produced by encodeCursor. */
export function decodeCursor(cursor: string, ids: RegExp = CURSOR_IDS.uuid): KeysetPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      SORT_KEY.test(value[0]) &&
      ids.test(value[1])
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
