import type { Principal } from '../domain/auth/principal.js';
import { computeAdvisory, type Advisory } from '../domain/catalog/advisory.js';
import { findListingForCaller } from '../domain/catalog/repository.js';
import { AppError, notFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

/** The upgrade advisory between two versions of a listing the caller may both see (404 otherwise); `to` defaults to the latest. */
export async function versionAdvisory(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  input: { listing: string; from?: string; to?: string },
): Promise<Advisory> {
  const found = await findListingForCaller(deps.db, input.listing, principal);
  if (!found) throw notFound('listing');
  // Checked after the listing, so a listing the caller may not see answers 404 whatever the query.
  if (!input.from) {
    const message = 'required: the version to compare from';
    throw new AppError('invalid_request', message, [{ path: 'query.from', message }]);
  }
  const toVersion = input.to ?? found.listing.latestVersion;
  const from = found.versions.find((candidate) => candidate.version === input.from);
  const to = found.versions.find((candidate) => candidate.version === toVersion);
  if (!from) throw notFound(`version ${input.from}`);
  if (!to) throw notFound(`version ${toVersion ?? '(latest)'}`);
  return computeAdvisory(from.manifest, to.manifest);
}
