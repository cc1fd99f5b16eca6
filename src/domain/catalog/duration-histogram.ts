// Execution durations kept as a log-bucket histogram per listing and day, so a 30-day median is read
// from at most 30 small arrays instead of every execution. Bucket b holds durations in
// [1.25^b, 1.25^(b+1)) ms (bucket 0 also holds 0 ms); a median read as its bucket's geometric middle
// is within ±12 % of the exact one. 72 buckets reach 1.25^72 ms ≈ 2.6 h, past the longest timeout.

/** How many buckets a histogram has. */
export const DURATION_BUCKETS = 72;
const RATIO = 1.25;

/** The bucket a duration (ms) falls in. */
export function durationBucket(durationMs: number): number {
  if (!(durationMs >= 1)) return 0;
  return Math.min(DURATION_BUCKETS - 1, Math.floor(Math.log(durationMs) / Math.log(RATIO)));
}

/** A histogram holding one duration: what one finished execution adds. */
export function oneDuration(durationMs: number): number[] {
  const buckets = new Array<number>(DURATION_BUCKETS).fill(0);
  buckets[durationBucket(durationMs)] = 1;
  return buckets;
}

/** Adds histograms element-wise (shorter ones count as zeros). */
export function addHistograms(histograms: readonly (readonly number[])[]): number[] {
  const total = new Array<number>(DURATION_BUCKETS).fill(0);
  for (const histogram of histograms) histogram.forEach((count, index) => (total[index]! += count ?? 0));
  return total;
}

/** The median duration (ms, rounded) a histogram holds, as its bucket's geometric middle; null when empty. */
export function medianDuration(histogram: readonly number[]): number | null {
  const count = histogram.reduce((sum, n) => sum + n, 0);
  if (count === 0) return null;
  const rank = Math.ceil(count / 2);
  let seen = 0;
  for (let bucket = 0; bucket < histogram.length; bucket++) {
    seen += histogram[bucket]!;
    if (seen >= rank) return bucket === 0 ? 1 : Math.round(RATIO ** (bucket + 0.5));
  }
  return null;
}
