import type { Principal } from '../domain/auth/principal.js';
import { findListingForCaller } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import { listRatings as list, ratingHistogram, type Rating } from '../domain/ratings/repository.js';
import type { ServiceDeps } from './deps.js';

/**
 * A page of a listing's visible ratings, newest first, and how many visible ratings give each number
 * of stars, for any caller who may see the listing.
 */
export async function listRatings(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  input: { listing: string; cursor?: string; limit: number },
): Promise<{
  ratings: Rating[];
  nextCursor: string | null;
  histogram: Array<{ stars: number; count: number }>;
}> {
  const found = await findListingForCaller(deps.db, input.listing, principal);
  if (!found) throw notFound('listing');
  const listingId = found.listing.id;
  const [page, histogram] = await Promise.all([
    list(deps.db, { listingId, cursor: input.cursor, limit: input.limit }),
    ratingHistogram(deps.db, listingId),
  ]);
  return { ...page, histogram };
}
