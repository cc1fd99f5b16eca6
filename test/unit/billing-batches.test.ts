import { describe, expect, it } from 'vitest';
import { splitIntoBatches } from '../../src/domain/billing/batches.js';

describe('splitIntoBatches', () => {
  it('keeps the order and puts the remainder in a last, smaller batch', () => {
    expect(splitIntoBatches(['a', 'b', 'c', 'd', 'e'], 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
  it('makes one batch when all fit, none for no tenants', () => {
    expect(splitIntoBatches(['a', 'b'], 100)).toEqual([['a', 'b']]);
    expect(splitIntoBatches([], 100)).toEqual([]);
  });
  it('never makes a batch larger than its tenant ids fit in one search attribute', () => {
    const tenants = Array.from(
      { length: 120 },
      (_, n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    );
    const batches = splitIntoBatches(tenants, 1000);
    expect(batches.map((batch) => batch.length)).toEqual([50, 50, 20]);
    expect(Buffer.byteLength(JSON.stringify(batches[0]))).toBeLessThanOrEqual(2048);
  });
  it('treats a size below one as one', () => {
    expect(splitIntoBatches(['a', 'b'], 0)).toEqual([['a'], ['b']]);
  });
});
