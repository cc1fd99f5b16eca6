import type { Principal } from '../domain/auth/principal.js';
import { computeAdvisory, type Advisory } from '../domain/catalog/advisory.js';
import { findListingForCaller } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

/** The upgrade advisory between two versions of a listing the caller may both see (404 otherwise). */
export async function versionAdvisory(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  input: { listing: string; from: string; to: string },
): Promise<Advisory> {
  const found = await findListingForCaller(deps.db, input.listing, principal);
  if (!found) throw notFound('listing');
  const from = found.versions.find((candidate) => candidate.version === input.from);
  const to = found.versions.find((candidate) => candidate.version === input.to);
  if (!from) throw notFound(`version ${input.from}`);
  if (!to) throw notFound(`version ${input.to}`);
  return computeAdvisory(from.manifest, to.manifest);
}
