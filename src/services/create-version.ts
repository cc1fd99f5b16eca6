import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import {
  createVersion as insertVersion,
  findListing,
  type ListingVersion,
} from '../domain/catalog/repository.js';
import type { Manifest } from '../domain/catalog/schemas.js';
import { notFound } from '../domain/errors.js';
import { assertDeclarableTools } from '../domain/gateway/declared-tools.js';
import type { ServiceDeps } from './deps.js';

/**
 * Adds a draft version to a listing from its manifest, and audits it; 409 when the version exists,
 * 422 when its tools are not in the catalog or their credentials are declared as the agent's.
 */
export async function createVersion(
  deps: ServiceDeps,
  principal: Principal,
  input: { listing: string; manifest: Manifest },
): Promise<ListingVersion> {
  const listing = await findListing(deps.db, input.listing);
  if (!listing) throw notFound('listing');
  await assertDeclarableTools(deps.db, input.manifest);
  return withTransaction(deps.db, async (tx) => {
    const created = await insertVersion(tx, listing.id, input.manifest);
    await recordAudit(tx, {
      orgId: listing.orgId,
      actor: principal,
      action: 'version.created',
      subjectType: 'version',
      subjectId: created.id,
    });
    return created;
  });
}
