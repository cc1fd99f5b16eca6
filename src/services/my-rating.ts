import type { OrgPrincipal } from '../domain/auth/principal.js';
import { findListingForCaller } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import { findOrgRating, toPublicRating, type Rating } from '../domain/ratings/repository.js';
import type { ServiceDeps } from './deps.js';
import { ratingEligibility } from './rate-listing.js';

/**
 * The caller's organisation's own rating of a listing (hidden ones too, saying so) and whether it may
 * rate it now, with the reason when it may not: what the console needs to offer rating or explain why not.
 */
export async function myRating(
  deps: Pick<ServiceDeps, 'db'>,
  principal: OrgPrincipal,
  input: { listing: string },
): Promise<{ rating: (Rating & { hidden: boolean }) | null; canRate: boolean; reason: string | null }> {
  const found = await findListingForCaller(deps.db, input.listing, principal);
  if (!found) throw notFound('listing');
  const [stored, eligibility] = await Promise.all([
    findOrgRating(deps.db, found.listing.id, principal.orgId),
    ratingEligibility(deps.db, principal, found.listing),
  ]);
  return {
    rating: stored ? { ...toPublicRating(stored), hidden: stored.hiddenAt !== null } : null,
    canRate: !('refused' in eligibility),
    reason: 'refused' in eligibility ? eligibility.refused : null,
  };
}
