import { compareResults } from './hybrid-fusion.js';
import { encodeSearchCursor, type SearchCursor } from './search-cursor.js';

/** One page of results and the cursor for the next, if there is one. */
export interface ResultPage<T> {
  results: T[];
  nextCursor: string | null;
}

/**
 * Cuts one page from results ordered by (score desc, id asc), continuing strictly after the cursor.
 * Keyset rather than offset: a listing published or removed between two requests neither repeats
 * nor skips the results around it.
 */
export function paginateResults<T extends { id: string; score: number }>(
  ordered: T[],
  options: { limit: number; fingerprint: string; after?: SearchCursor },
): ResultPage<T> {
  const { after } = options;
  const remaining = after
    ? ordered.filter((result) => compareResults(result, { score: after.afterScore, id: after.afterId }) > 0)
    : ordered;
  const results = remaining.slice(0, options.limit);
  const last = results.at(-1);
  const nextCursor =
    remaining.length > options.limit && last
      ? encodeSearchCursor({ fingerprint: options.fingerprint, afterScore: last.score, afterId: last.id })
      : null;
  return { results, nextCursor };
}
