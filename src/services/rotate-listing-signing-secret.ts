import { recordAudit } from '../domain/audit/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import { findListing } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import { rotateSigningSecret } from '../runtime/remote/signing-secrets.js';
import type { ServiceDeps } from './deps.js';

/**
 * Creates or rotates the secret that signs Bazaar's requests to a listing's remote endpoint, and
 * audits it (without the secret). The new secret is answered once; the old one keeps signing for a grace period.
 */
export async function rotateListingSigningSecret(
  deps: ServiceDeps,
  principal: Principal,
  input: { listing: string },
) {
  const listing = await findListing(deps.db, input.listing);
  if (!listing) throw notFound('listing');
  const rotated = await rotateSigningSecret(deps.secrets, {
    publisherOrgId: listing.orgId,
    listingId: listing.id,
  });
  await recordAudit(deps.db, {
    orgId: listing.orgId,
    actor: principal,
    action: 'listing.signing_secret_rotated',
    subjectType: 'listing',
    subjectId: listing.id,
    details: { previousValidUntil: rotated.previousValidUntil },
  });
  return { listingId: listing.id, ...rotated };
}
