import { withTransaction } from '../db/pool.js';
import type { OrgPrincipal } from '../domain/auth/principal.js';
import { lockListingForRating, refreshRatingAggregates } from '../domain/catalog/listing-stats.js';
import { findListingForCaller } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import { deleteRating } from '../domain/ratings/repository.js';
import { announceListingChanged } from '../domain/search/search-repository.js';
import type { ServiceDeps } from './deps.js';

/** Deletes the caller's organisation's rating of a listing (404 when it has none) and updates the average. */
export async function removeRating(
  deps: Pick<ServiceDeps, 'db'>,
  principal: OrgPrincipal,
  input: { listing: string },
): Promise<void> {
  const found = await findListingForCaller(deps.db, input.listing, principal);
  if (!found) throw notFound('listing');
  const listingId = found.listing.id;
  await withTransaction(deps.db, async (tx) => {
    await lockListingForRating(tx, listingId);
    if (!(await deleteRating(tx, listingId, principal.orgId))) throw notFound('rating');
    await refreshRatingAggregates(tx, listingId);
    await announceListingChanged(tx, listingId);
  });
}
