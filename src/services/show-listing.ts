import type { Principal } from '../domain/auth/principal.js';
import {
  LISTING_STATS_WINDOW_DAYS,
  listingStatsFrom,
  type ListingStats,
} from '../domain/catalog/listing-stats.js';
import {
  findListingPage,
  managesListing,
  versionsForCaller,
  type Listing,
  type ListingPage,
  type ListingTool,
  type ListingVersion,
} from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';
import { renderJson, type RenderedJson } from './rendered-json.js';

/** A listing as GET /v1/listings/{id} shows it. */
export type ListingShown = Listing & {
  publisher: { id: string; name: string };
  versions: ListingVersion[];
  stats: ListingStats;
  tools: ListingTool[];
};

// What a caller sees of a page depends on this alone (see versionsForCaller): whether it manages the
// listing, else whether it is a reviewer. So a cached page keeps one rendering per view, and a
// caller is only ever given the rendering of its own view.
type View = 'manager' | 'reviewer' | 'consumer';
const viewOf = (principal: Principal, listing: Listing): View =>
  managesListing(principal, listing) ? 'manager' : principal.role === 'reviewer' ? 'reviewer' : 'consumer';

// Renderings live as long as the page object they were made from, which the cache drops on any change.
const renderings = new WeakMap<ListingPage, Map<View, RenderedJson | null>>();

/** The listing's page: from the cache when held there, else in one query (kept when the listing is public). */
async function readPage(deps: Pick<ServiceDeps, 'db' | 'catalogPages'>, listing: string) {
  const cache = deps.catalogPages;
  const cached = cache?.get(listing);
  if (cached) return cached;
  const snapshot = cache?.snapshot() ?? 0;
  const page = await findListingPage(deps.db, listing, LISTING_STATS_WINDOW_DAYS);
  // Only public listings' pages are kept; what each caller sees of one is still chosen per request.
  if (page?.listing.visibility === 'public') cache?.set(listing, page, snapshot, page.listing.id);
  return page;
}

/** What a caller sees of a page (null: nothing). */
function showPage(principal: Principal, page: ListingPage): ListingShown | null {
  const versions = versionsForCaller(principal, page.listing, page.versions);
  if (!versions) return null;
  const declared = declaredTools(versions);
  return {
    ...page.listing,
    publisher: { id: page.listing.orgId, name: page.publisherName },
    versions,
    stats: listingStatsFrom(page.aggregates, page.rollups),
    // From the page, cached with it: a change to a tool is announced naming the listings declaring it.
    tools: page.tools.filter((tool) => declared.includes(tool.name)),
  };
}

// The tools of the newest published version (else the newest the caller sees; versions come oldest first).
function declaredTools(versions: ListingVersion[]): string[] {
  const newestFirst = [...versions].reverse();
  const newest = newestFirst.find((version) => version.status === 'published') ?? newestFirst[0];
  return newest?.manifest.requiredTools ?? [];
}

/**
 * A listing as GET /v1/listings/{id} shows it (the versions the caller may see, its trust signals
 * and tools), serialised, with its ETag: a cached page is serialised once per view (manager,
 * reviewer, consumer) and its bytes reused until the page changes (a change to one of its tools
 * included: it is announced naming the listings that declare it).
 */
export async function renderListing(
  deps: Pick<ServiceDeps, 'db' | 'catalogPages'>,
  principal: Principal,
  input: { listing: string },
): Promise<RenderedJson> {
  const page = await readPage(deps, input.listing);
  if (!page) throw notFound('listing');
  const view = viewOf(principal, page.listing);
  let byView = renderings.get(page);
  let rendered = byView?.get(view);
  if (rendered === undefined) {
    const shown = showPage(principal, page);
    rendered = shown && renderJson(shown);
    if (!byView) renderings.set(page, (byView = new Map()));
    byView.set(view, rendered);
  }
  if (!rendered) throw notFound('listing');
  return rendered;
}
