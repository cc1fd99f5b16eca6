import type { Principal } from '../domain/auth/principal.js';
import type { ListingVersion } from '../domain/catalog/repository.js';
import { AppError } from '../domain/errors.js';
import { changeVersionStatus } from './change-version-status.js';
import type { ServiceDeps } from './deps.js';
import { countPinnedInstallations } from './version-impact.js';

/**
 * Withdraws a published or deprecated version (status `suspended`: not installable, out of search):
 * a platform admin may at any time; its publisher only while no installation runs it (422 otherwise —
 * deprecate it instead, which keeps it running for those pinned).
 */
export async function yankVersion(
  deps: ServiceDeps,
  principal: Principal,
  input: { listing: string; version: string; reason?: string },
): Promise<ListingVersion> {
  if (principal.role === 'platform-admin') {
    return changeVersionStatus(deps, principal, { ...input, to: 'suspended' });
  }
  // Counted under the version's lock: an install racing this yank has either committed (and is
  // counted) or waits and then finds the version suspended.
  return changeVersionStatus(deps, principal, { ...input, to: 'suspended' }, async (tx, version) => {
    const { pinned } = await countPinnedInstallations(tx, version.id);
    if (pinned > 0) {
      throw new AppError(
        'rule_violation',
        `${pinned} installation(s) run ${version.version}: only a platform admin can yank it now; deprecate it instead`,
        { pinnedInstallations: pinned },
      );
    }
  });
}
