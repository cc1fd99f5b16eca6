import type { Principal } from '../domain/auth/principal.js';
import type { ListingVersion } from '../domain/catalog/repository.js';
import { changeVersionStatus } from './change-version-status.js';
import type { ServiceDeps } from './deps.js';
import { versionImpact, type VersionImpact } from './version-impact.js';

/**
 * Deprecates a published version (it keeps running for installations pinned to it, is no longer
 * installable and leaves search) and answers with its impact: who still runs it and where they can move.
 */
export async function deprecateVersion(
  deps: ServiceDeps,
  principal: Principal,
  input: { listing: string; version: string; reason?: string },
): Promise<ListingVersion & { impact: VersionImpact }> {
  const deprecated = await changeVersionStatus(deps, principal, { ...input, to: 'deprecated' });
  return { ...deprecated, impact: await versionImpact(deps, input) };
}
