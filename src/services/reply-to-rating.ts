import { findListing } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import { findRating, setReply, toPublicRating, type Rating } from '../domain/ratings/repository.js';
import type { ServiceDeps } from './deps.js';

/**
 * The publisher's one public answer to a rating of its listing (the route admits only its admins);
 * answering again replaces it. A rating of another listing, or a hidden one, is not found.
 */
export async function replyToRating(
  deps: Pick<ServiceDeps, 'db'>,
  input: { listing: string; ratingId: string; text: string },
): Promise<Rating> {
  const listing = await findListing(deps.db, input.listing);
  const rating = await findRating(deps.db, input.ratingId);
  if (!listing || !rating || rating.listingId !== listing.id || rating.hiddenAt) throw notFound('rating');
  await setReply(deps.db, rating.id, input.text);
  return toPublicRating((await findRating(deps.db, rating.id))!);
}
