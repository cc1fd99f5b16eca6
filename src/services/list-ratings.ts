import type { Principal } from '../domain/auth/principal.js';
import { findListingForCaller } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import { listRatings as list, type Rating } from '../domain/ratings/repository.js';
import type { ServiceDeps } from './deps.js';

/** A page of a listing's visible ratings, newest first, for any caller who may see the listing. */
export async function listRatings(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  input: { listing: string; cursor?: string; limit: number },
): Promise<{ ratings: Rating[]; nextCursor: string | null }> {
  const found = await findListingForCaller(deps.db, input.listing, principal);
  if (!found) throw notFound('listing');
  return list(deps.db, { listingId: found.listing.id, cursor: input.cursor, limit: input.limit });
}
