export { SearchInputError, type SearchInputErrorCode } from './search-errors.js';
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_QUERY_LENGTH,
  normalizeQueryText,
  parseSearchQuery,
  searchQuerySchema,
  type SearchQuery,
} from './search-query.js';
export {
  DEFAULT_SCORE_FUSION,
  SEMANTIC_CALIBRATIONS,
  compareResults,
  fuseByReciprocalRank,
  fuseByScore,
  scoreFusionFor,
  type FusedResult,
  type MatchedBy,
  type RankedCandidate,
  type ScoreFusionOptions,
  type SemanticCalibration,
} from './hybrid-fusion.js';
export {
  decodeSearchCursor,
  encodeSearchCursor,
  searchFingerprint,
  type SearchCursor,
} from './search-cursor.js';
export { paginateResults, type ResultPage } from './paginate-results.js';
export { searchHitSchema, searchPageSchema, type SearchHit, type SearchPage } from './search-result.js';
export { listingEmbeddingText, listingLexicalFields, type SearchableListing } from './listing-search-text.js';
export {
  lexicalMatchSql,
  lexicalRankSql,
  listingSearchDocumentSql,
  toLexicalQueryText,
} from './lexical-query.js';
