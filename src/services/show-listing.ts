import type { Principal } from '../domain/auth/principal.js';
import { readListingStats, type ListingStats } from '../domain/catalog/listing-stats.js';
import { findListingForCaller, type Listing, type ListingVersion } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import { listTools, toPublicTool } from '../domain/gateway/tools.js';
import type { ServiceDeps } from './deps.js';

/** A listing with the versions the caller may see and its trust signals (read from aggregates). */
export async function showListing(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  input: { listing: string },
): Promise<
  Listing & { versions: ListingVersion[]; stats: ListingStats; tools: ReturnType<typeof toPublicTool>[] }
> {
  const found = await findListingForCaller(deps.db, input.listing, principal);
  if (!found) throw notFound('listing');
  // The tools of the newest published version (else the newest the caller sees; versions come oldest first).
  const newestFirst = [...found.versions].reverse();
  const newest = newestFirst.find((version) => version.status === 'published') ?? newestFirst[0];
  const declared = newest?.manifest.requiredTools ?? [];
  return {
    ...found.listing,
    versions: found.versions,
    stats: await readListingStats(deps.db, found.listing.id),
    tools: declared.length > 0 ? (await listTools(deps.db, declared)).map(toPublicTool) : [],
  };
}
