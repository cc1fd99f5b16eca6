import type { NotifiedCache } from '../../db/notified-cache.js';
import type { SearchQuery } from './search-query.js';
import type { SearchService } from './search-service.js';

/** One page of search results, as the search service answers it. */
export type SearchPage = Awaited<ReturnType<SearchService['search']>>;

/**
 * The cache key of a search: who asks (an organisation sees its own private listings, so its
 * results are never shared with another) and everything that shapes the page.
 */
export function searchCacheKey(query: SearchQuery, viewerOrgId: string | null): string {
  return JSON.stringify([
    viewerOrgId,
    query.q,
    query.category ?? null,
    query.pricingModel ?? null,
    [...(query.tags ?? [])].sort(),
    query.minRating ?? null,
    query.limit,
    query.cursor ?? null,
  ]);
}

/**
 * Search answered from memory for repeated identical requests. The cache must be one whose every
 * catalog announcement (a listing, a version or a listing's daily rollups changed) clears it whole,
 * and which the vector index sync clears after applying a change: any change may add a listing to,
 * or take one from, any query's results. Identical searches arriving together share one computation,
 * but only while nothing has changed since it began.
 */
export function cacheSearchResults(service: SearchService, cache: NotifiedCache<SearchPage>): SearchService {
  const inFlight = new Map<string, { snapshot: number; page: Promise<SearchPage> }>();
  return {
    async search(query, viewerOrgId) {
      const key = searchCacheKey(query, viewerOrgId);
      const cached = cache.get(key);
      if (cached) return cached;
      const snapshot = cache.snapshot();
      const running = inFlight.get(key);
      if (running && running.snapshot === snapshot) return running.page;
      const page = service.search(query, viewerOrgId);
      const entry = { snapshot, page };
      inFlight.set(key, entry);
      try {
        const answer = await page;
        cache.set(key, answer, snapshot);
        return answer;
      } finally {
        if (inFlight.get(key) === entry) inFlight.delete(key);
      }
    },
  };
}
