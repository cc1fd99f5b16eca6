import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import {
  refreshLatestVersion,
  transitionVersion,
  type ListingVersion,
} from '../domain/catalog/repository.js';
import { assertTransition } from '../domain/catalog/version-status.js';
import { conflict } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';
import { findListingVersion } from './find-listing-version.js';

/** Deprecates (publisher) or suspends (platform) a version, keeps the listing's latest version right, and audits it. */
export async function changeVersionStatus(
  deps: ServiceDeps,
  principal: Principal,
  input: { listing: string; version: string; to: 'deprecated' | 'suspended'; reason?: string },
): Promise<ListingVersion> {
  const { listing, version } = await findListingVersion(deps.db, input);
  assertTransition(version.status, input.to);
  return withTransaction(deps.db, async (tx) => {
    const moved = await transitionVersion(tx, {
      versionId: version.id,
      from: [version.status],
      to: input.to,
      reason: input.reason,
    });
    if (!moved) throw conflict('the version changed meanwhile; reload and retry');
    await refreshLatestVersion(tx, listing.id);
    await recordAudit(tx, {
      orgId: listing.orgId,
      actor: principal,
      action: `version.${input.to}`,
      subjectType: 'version',
      subjectId: version.id,
      reason: input.reason,
    });
    return moved;
  });
}
