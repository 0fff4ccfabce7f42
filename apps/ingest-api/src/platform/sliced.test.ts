import { describe, expect, it } from 'vitest';
import { mapSliced } from './sliced.js';

describe('mapSliced', () => {
  it('maps every item in order, with its index', async () => {
    expect(await mapSliced(['a', 'b', 'c', 'd', 'e'], 2, (item, index) => `${index}${item}`)).toEqual([
      '0a',
      '1b',
      '2c',
      '3d',
      '4e',
    ]);
    expect(await mapSliced([], 2, (item) => item)).toEqual([]);
  });

  it('lets callbacks queued meanwhile run between two slices, not within one', async () => {
    const marks: string[] = [];
    setImmediate(() => marks.push('other work'));
    await mapSliced([0, 1, 2, 3, 4], 2, (item) => marks.push(`item ${item}`));
    expect(marks).toEqual(['item 0', 'item 1', 'other work', 'item 2', 'item 3', 'item 4']);
  });
});
