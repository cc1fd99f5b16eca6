import type { Embedder } from '../../adapters/embeddings/index.js';
import type { VectorFilter, VectorIndex } from '../../adapters/vector-index/index.js';
import type { Db } from '../../db/pool.js';
import { readListingsStats, type ListingStats } from '../catalog/listing-stats.js';
import { fuseByScore, scoreFusionFor, type MatchedBy } from './hybrid-fusion.js';
import { paginateResults } from './paginate-results.js';
import { decodeSearchCursor, searchFingerprint } from './search-cursor.js';
import type { SearchQuery } from './search-query.js';
import { breakTiesByQuality, tieBreakWindow } from './quality-tie-break.js';
import {
  lexicalCandidates,
  loadQualitySignals,
  loadSearchListings,
  type SearchListingSummary,
} from './search-repository.js';

// Each retriever contributes this many candidates before fusion; pages are cut from the fused list.
const CANDIDATES_PER_RETRIEVER = 200;

/** One ranked search result: the listing with its stats, its score in [0, 1], and why it matched. */
export interface SearchResult {
  listing: SearchListingSummary & { stats: ListingStats };
  score: number;
  matchedBy: MatchedBy;
}

/** Hybrid search over the catalog: PostgreSQL full text fused with vector similarity. */
export function createSearchService(deps: { db: Db; embedder: Embedder; index: VectorIndex }) {
  return {
    /** Ranked published listings the viewer may see, one page at a time. */
    async search(query: SearchQuery, viewerOrgId: string | null) {
      const filter: VectorFilter = {
        viewerOrgId,
        category: query.category,
        pricingModel: query.pricingModel,
        tags: query.tags,
        minRating: query.minRating,
      };
      const fingerprint = searchFingerprint(query, viewerOrgId ?? 'public');
      const after = query.cursor ? decodeSearchCursor(query.cursor, fingerprint) : undefined;
      const [[vector], lexical] = await Promise.all([
        deps.embedder.embed([query.q]),
        lexicalCandidates(deps.db, { query: query.q, filter, limit: CANDIDATES_PER_RETRIEVER }),
      ]);
      const semantic = await deps.index.search(vector!, CANDIDATES_PER_RETRIEVER, filter);
      const fused = fuseByScore(lexical, semantic, scoreFusionFor(deps.embedder.model));
      // Relevance first: quality only reorders results whose scores are within QUALITY_SPREAD, and
      // is looked up only for the results that can reach this page.
      const window = tieBreakWindow(fused, { limit: query.limit, afterScore: after?.afterScore });
      const ranked = breakTiesByQuality(fused, await loadQualitySignals(deps.db, window));
      const page = paginateResults(ranked, { limit: query.limit, fingerprint, after });
      // The index may lag the database by a moment: re-check visibility and publication at read time.
      const pageIds = page.results.map((result) => result.id);
      const [listings, stats] = await Promise.all([
        loadSearchListings(deps.db, pageIds, viewerOrgId),
        readListingsStats(deps.db, pageIds),
      ]);
      const results: SearchResult[] = page.results.flatMap((result) => {
        const listing = listings.get(result.id);
        const listingStats = stats.get(result.id);
        return listing && listingStats
          ? [
              {
                listing: { ...listing, stats: listingStats },
                score: result.score,
                matchedBy: result.matchedBy,
              },
            ]
          : [];
      });
      return { results, nextCursor: page.nextCursor };
    },
  };
}

/** The search service's type. */
export type SearchService = ReturnType<typeof createSearchService>;
