import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import type { Queryable } from '../db/pool.js';
import {
  lockVersionStatus,
  refreshLatestVersion,
  transitionVersion,
  type ListingVersion,
} from '../domain/catalog/repository.js';
import { assertTransition } from '../domain/catalog/version-status.js';
import { conflict } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';
import { findListingVersion } from './find-listing-version.js';

/**
 * Deprecates (publisher) or suspends (platform) a version, keeps the listing's latest version right,
 * and audits it. The version's row is locked first, so an install of it either committed before
 * (and `guard` sees it) or waits and then finds the new status.
 */
export async function changeVersionStatus(
  deps: ServiceDeps,
  principal: Principal,
  input: { listing: string; version: string; to: 'deprecated' | 'suspended'; reason?: string },
  guard?: (tx: Queryable, version: ListingVersion) => Promise<void>,
): Promise<ListingVersion> {
  const { listing, version } = await findListingVersion(deps.db, input);
  assertTransition(version.status, input.to);
  return withTransaction(deps.db, async (tx) => {
    const status = await lockVersionStatus(tx, version.id, 'update');
    if (status !== version.status) throw conflict('the version changed meanwhile; reload and retry');
    await guard?.(tx, version);
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
