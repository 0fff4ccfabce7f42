import type { ZodType } from 'zod';
import { z } from './zod.js';

/** `limit` and `cursor` of every list (SPEC §5.5): 50 by default, 200 at most. */
export const paginationQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Page size (1 to 200)' }),
  cursor: z.string().max(300).optional().openapi({ description: '`nextCursor` of the previous page' }),
};

/** A page of items and the cursor of the next page (null on the last page). */
export function pageSchema<T extends ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}
