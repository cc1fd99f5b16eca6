import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import { lockListingForRating, refreshRatingAggregates } from '../domain/catalog/listing-stats.js';
import { notFound } from '../domain/errors.js';
import { findRating, hideRating as hide } from '../domain/ratings/repository.js';
import { announceListingChanged } from '../domain/search/search-repository.js';
import type { ServiceDeps } from './deps.js';

/**
 * A platform admin hides a rating with a reason: it leaves lists and the listing's average, and the
 * rating organisation's audit trail says who hid it and why. Hiding a hidden rating changes nothing.
 */
export async function hideRating(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  input: { ratingId: string; reason: string },
): Promise<void> {
  const rating = await findRating(deps.db, input.ratingId);
  if (!rating) throw notFound('rating');
  await withTransaction(deps.db, async (tx) => {
    await lockListingForRating(tx, rating.listingId);
    if (!(await hide(tx, rating.id, input.reason))) return;
    await refreshRatingAggregates(tx, rating.listingId);
    await announceListingChanged(tx, rating.listingId);
    await recordAudit(tx, {
      orgId: rating.orgId,
      actor: principal,
      action: 'rating.hidden',
      subjectType: 'rating',
      subjectId: rating.id,
      reason: input.reason,
      details: { listingId: rating.listingId },
    });
  });
}
