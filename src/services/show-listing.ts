import type { Principal } from '../domain/auth/principal.js';
import {
  LISTING_STATS_WINDOW_DAYS,
  listingStatsFrom,
  type ListingStats,
} from '../domain/catalog/listing-stats.js';
import {
  findListingPage,
  versionsForCaller,
  type Listing,
  type ListingTool,
  type ListingVersion,
} from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

/** A listing with the versions the caller may see, its trust signals (read from aggregates) and its tools: one query, or none when the page is cached. */
export async function showListing(
  deps: Pick<ServiceDeps, 'db' | 'catalogPages'>,
  principal: Principal,
  input: { listing: string },
): Promise<
  Listing & {
    publisher: { id: string; name: string };
    versions: ListingVersion[];
    stats: ListingStats;
    tools: ListingTool[];
  }
> {
  const cache = deps.catalogPages;
  let page = cache?.get(input.listing) ?? null;
  if (!page) {
    const snapshot = cache?.snapshot() ?? 0;
    page = await findListingPage(deps.db, input.listing, LISTING_STATS_WINDOW_DAYS);
    // Only public listings' pages are kept; what each caller sees of one is still chosen per request.
    if (page?.listing.visibility === 'public') cache?.set(input.listing, page, snapshot, page.listing.id);
  }
  const versions = page && versionsForCaller(principal, page.listing, page.versions);
  if (!page || !versions) throw notFound('listing');
  // The tools of the newest published version (else the newest the caller sees; versions come oldest first).
  const newestFirst = [...versions].reverse();
  const newest = newestFirst.find((version) => version.status === 'published') ?? newestFirst[0];
  const declared = newest?.manifest.requiredTools ?? [];
  return {
    ...page.listing,
    publisher: { id: page.listing.orgId, name: page.publisherName },
    versions,
    stats: listingStatsFrom(page.aggregates, page.rollups),
    // From the page, cached with it: a change to a tool is announced naming the listings declaring it.
    tools: page.tools.filter((tool) => declared.includes(tool.name)),
  };
}
