import type { Principal } from '../domain/auth/principal.js';
import { readListingStats, type ListingStats } from '../domain/catalog/listing-stats.js';
import { findListingForCaller, type Listing, type ListingVersion } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

/** A listing with the versions the caller may see and its trust signals (read from aggregates). */
export async function showListing(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  input: { listing: string },
): Promise<Listing & { versions: ListingVersion[]; stats: ListingStats }> {
  const found = await findListingForCaller(deps.db, input.listing, principal);
  if (!found) throw notFound('listing');
  return {
    ...found.listing,
    versions: found.versions,
    stats: await readListingStats(deps.db, found.listing.id),
  };
}
