import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Maps `items` with a synchronous `fn`, `size` at a time, giving the event loop a turn between two slices.
 * CPU-bound work on a large batch (validating a thousand records is tens of milliseconds) would otherwise hold
 * the loop: replies of other transactions wait behind it, and a transaction holding a lock holds it longer.
 */
export async function mapSliced<T, R>(
  items: readonly T[],
  size: number,
  fn: (item: T, index: number) => R,
): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) await nextTurn();
    const end = Math.min(start + size, items.length);
    for (let index = start; index < end; index += 1) out.push(fn(items[index] as T, index));
  }
  return out;
}
