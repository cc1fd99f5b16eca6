// How a billing run groups its tenants into batch child workflows. Pure: workflow code uses it.

/** Tenants per batch child when BILLING_BATCH_SIZE is unset (measured: bench/billing.bench.ts). */
export const DEFAULT_BILLING_BATCH_SIZE = 50;

/**
 * The most tenants one batch may bill: each batch carries its tenants' ids in the `BazaarTenantId`
 * search attribute, and Temporal refuses a value over 2 KB by default (50 quoted UUIDs: 1,952 bytes).
 */
export const MAX_BILLING_BATCH_SIZE = 50;

/** Splits tenants (in id order) into consecutive batches of at most `size` (and the maximum), in order. */
export function splitIntoBatches<T>(items: readonly T[], size: number): T[][] {
  const batchSize = Math.min(MAX_BILLING_BATCH_SIZE, Math.max(1, Math.floor(size)));
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += batchSize)
    batches.push(items.slice(start, start + batchSize));
  return batches;
}
