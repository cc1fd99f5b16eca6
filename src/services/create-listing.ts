import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { OrgPrincipal } from '../domain/auth/principal.js';
import { createListing as insertListing, type Listing } from '../domain/catalog/repository.js';
import type { CreateListing } from '../domain/catalog/schemas.js';
import type { ServiceDeps } from './deps.js';

/** Creates a listing published by the caller's organisation, and audits it; 409 when the slug is taken. */
export async function createListing(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: CreateListing,
): Promise<Listing> {
  return withTransaction(deps.db, async (tx) => {
    const created = await insertListing(tx, principal.orgId, input);
    await recordAudit(tx, {
      orgId: principal.orgId,
      actor: principal,
      action: 'listing.created',
      subjectType: 'listing',
      subjectId: created.id,
    });
    return created;
  });
}
