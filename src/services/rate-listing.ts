import { withTransaction, type Queryable } from '../db/pool.js';
import type { OrgPrincipal } from '../domain/auth/principal.js';
import { lockListingForRating, refreshRatingAggregates } from '../domain/catalog/listing-stats.js';
import { findListingForCaller } from '../domain/catalog/repository.js';
import { AppError, notFound } from '../domain/errors.js';
import { recordEvent } from '../domain/events/repository.js';
import { toPublicRating, upsertRating, versionUsedBy, type Rating } from '../domain/ratings/repository.js';
import { announceListingChanged } from '../domain/search/search-repository.js';
import type { ServiceDeps } from './deps.js';

/**
 * Creates or replaces the caller's organisation's rating of a listing it has used (an installation
 * with a succeeded execution; 422 otherwise, and for the listing's own publisher), against the version
 * it runs. Keeps the listing's rating average in the same transaction and tells the publisher
 * (`rating.created`) when the rating is new.
 */
export async function rateListing(
  deps: Pick<ServiceDeps, 'db'>,
  principal: OrgPrincipal,
  input: { listing: string; stars: number; title?: string; text?: string },
): Promise<{ rating: Rating; created: boolean }> {
  const found = await findListingForCaller(deps.db, input.listing, principal);
  if (!found) throw notFound('listing');
  const { listing } = found;
  const eligibility = await ratingEligibility(deps.db, principal, listing);
  if ('refused' in eligibility) throw new AppError('rule_violation', eligibility.refused);
  const { version } = eligibility;
  return withTransaction(deps.db, async (tx) => {
    await lockListingForRating(tx, listing.id);
    const { rating, created } = await upsertRating(tx, {
      listingId: listing.id,
      orgId: principal.orgId,
      version,
      stars: input.stars,
      title: input.title,
      text: input.text,
    });
    await refreshRatingAggregates(tx, listing.id);
    await announceListingChanged(tx, listing.id);
    if (created) {
      await recordEvent(tx, {
        orgId: listing.orgId,
        type: 'rating.created',
        data: { ratingId: rating.id, listingId: listing.id, version, stars: rating.stars },
      });
    }
    return { rating: toPublicRating(rating), created };
  });
}

/**
 * Whether the organisation may rate the listing now, and against which version: the one it has used
 * (an installation with a succeeded execution); otherwise why not, as the 422 of rating says it.
 */
export async function ratingEligibility(
  db: Queryable,
  principal: OrgPrincipal,
  listing: { id: string; orgId: string },
): Promise<{ version: string } | { refused: string }> {
  if (listing.orgId === principal.orgId) return { refused: 'a publisher cannot rate its own listing' };
  const version = await versionUsedBy(db, principal.orgId, listing.id);
  if (!version) {
    return {
      refused:
        'only an organisation that has used this agent may rate it: install it and run it successfully first',
    };
  }
  return { version };
}
