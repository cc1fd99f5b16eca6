import { readListingDays, type ListingDay } from '../domain/catalog/listing-stats.js';
import { findListing } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

/**
 * A publisher's view of how its listing is used, per UTC day: runs and successes over every consumer
 * (counts only: consumers stay anonymous to publishers), read from the daily rollups.
 */
export async function listingUsage(
  deps: Pick<ServiceDeps, 'db'>,
  input: { listing: string; days: number },
): Promise<{ listingId: string; days: ListingDay[] }> {
  const listing = await findListing(deps.db, input.listing);
  if (!listing) throw notFound('listing');
  return { listingId: listing.id, days: await readListingDays(deps.db, listing.id, input.days) };
}
