import type { Embedder } from '../../adapters/embeddings/index.js';
import type { VectorFilter, VectorIndex } from '../../adapters/vector-index/index.js';
import type { NotifiedCache } from '../../db/notified-cache.js';
import type { Db } from '../../db/pool.js';
import type { ListingStats } from '../catalog/listing-stats.js';
import { fuseByScore, scoreFusionFor, type MatchedBy } from './hybrid-fusion.js';
import { paginateResults } from './paginate-results.js';
import { decodeSearchCursor, searchFingerprint } from './search-cursor.js';
import type { SearchQuery } from './search-query.js';
import { breakTiesByQuality, tieBreakWindow } from './quality-tie-break.js';
import {
  lexicalCandidates,
  loadSearchCards,
  visibleTo,
  type SearchCard,
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

/**
 * Hybrid search over the catalog: PostgreSQL full text fused with vector similarity. With `cards`,
 * each listing's summary, stats and quality signals are kept in memory until the catalog announces a
 * change to it, so a result seen recently costs no query.
 */
export function createSearchService(deps: {
  db: Db;
  embedder: Embedder;
  index: VectorIndex;
  cards?: NotifiedCache<SearchCard>;
}) {
  /** Cards of these listings: from memory when cached, the rest in one round trip. */
  async function cardsOf(listingIds: string[]): Promise<Map<string, SearchCard>> {
    const cards = new Map<string, SearchCard>();
    const missing: string[] = [];
    for (const id of listingIds) {
      const card = deps.cards?.get(id);
      if (card) cards.set(id, card);
      else missing.push(id);
    }
    if (missing.length === 0) return cards;
    const snapshot = deps.cards?.snapshot() ?? 0;
    for (const [id, card] of await loadSearchCards(deps.db, missing)) {
      cards.set(id, card);
      deps.cards?.set(id, card, snapshot);
    }
    return cards;
  }

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
      // The vector search starts as soon as the query's embedding is ready, while the SQL may still run.
      const [lexical, semantic] = await Promise.all([
        lexicalCandidates(deps.db, { query: query.q, filter, limit: CANDIDATES_PER_RETRIEVER }),
        deps.embedder
          .embed([query.q])
          .then(([vector]) => deps.index.search(vector!, CANDIDATES_PER_RETRIEVER, filter)),
      ]);
      const fused = fuseByScore(lexical, semantic, scoreFusionFor(deps.embedder.model));
      // Relevance first: quality only reorders results whose scores are within QUALITY_SPREAD, and
      // is looked up only for the results that can reach this page (which holds only those).
      const window = tieBreakWindow(fused, { limit: query.limit, afterScore: after?.afterScore });
      const cards = await cardsOf(window);
      const signals = new Map([...cards].map(([id, card]) => [id, card.quality]));
      const page = paginateResults(breakTiesByQuality(fused, signals), {
        limit: query.limit,
        fingerprint,
        after,
      });
      // The index may lag the database by a moment: visibility and publication are the cards' (read
      // from PostgreSQL, or kept until PostgreSQL announces a change), checked for this viewer.
      // The window holds the page; should it ever not, the rest is looked up rather than dropped.
      const looked = new Set(window);
      const unseen = page.results.map((result) => result.id).filter((id) => !looked.has(id));
      if (unseen.length > 0) for (const [id, card] of await cardsOf(unseen)) cards.set(id, card);
      const results: SearchResult[] = page.results.flatMap((result) => {
        const card = cards.get(result.id);
        return card && visibleTo(card, viewerOrgId)
          ? [
              {
                listing: { ...card.listing, stats: card.stats },
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
