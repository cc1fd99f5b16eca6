import { describe, expect, it } from 'vitest';
import {
  DURATION_BUCKETS,
  addHistograms,
  durationBucket,
  medianDuration,
  oneDuration,
} from '../../src/domain/catalog/duration-histogram.js';

describe('duration histogram', () => {
  it('puts durations in log buckets, 0 ms and the longest timeout included', () => {
    expect(durationBucket(0)).toBe(0);
    expect(durationBucket(1)).toBe(0);
    expect(durationBucket(1.25)).toBe(1);
    expect(durationBucket(100)).toBe(20); // 1.25^20 ≈ 86.7, 1.25^21 ≈ 108.4
    expect(durationBucket(3_600_000)).toBeLessThan(DURATION_BUCKETS);
    expect(durationBucket(Number.MAX_SAFE_INTEGER)).toBe(DURATION_BUCKETS - 1);
  });

  it('reads the median within ±12 % of the exact one, from summed days', () => {
    const durations = [12, 40, 95, 100, 110, 250, 4000];
    const days = [durations.slice(0, 3), durations.slice(3)].map((day) =>
      addHistograms(day.map(oneDuration)),
    );
    const median = medianDuration(addHistograms(days))!;
    expect(Math.abs(median - 100) / 100).toBeLessThan(0.12);
    expect(medianDuration(addHistograms([]))).toBeNull();
    expect(medianDuration(oneDuration(0))).toBe(1);
  });

  it('adds histograms of different lengths element-wise', () => {
    expect(
      addHistograms([
        [1, 2],
        [0, 1, 5],
      ]).slice(0, 4),
    ).toEqual([1, 3, 5, 0]);
  });
});
