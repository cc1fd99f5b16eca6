/**
 * The PostgreSQL full-text side of hybrid search, as SQL fragments the catalog repository embeds.
 * Kept here, next to the fusion it feeds, so the relevance evaluation runs exactly this SQL.
 * Expected: a `tsvector` column built with listingSearchDocumentSql (generated column) and a GIN index.
 */

/**
 * SQL building the weighted document from three SQL expressions: name + tags (A), description (B),
 * long description (C). Immutable, so it can define a generated column.
 */
export function listingSearchDocumentSql(
  nameAndTags: string,
  description: string,
  longDescription: string,
): string {
  return [
    `setweight(to_tsvector('english', coalesce(${nameAndTags}, '')), 'A')`,
    `setweight(to_tsvector('english', coalesce(${description}, '')), 'B')`,
    `setweight(to_tsvector('english', coalesce(${longDescription}, '')), 'C')`,
  ].join(' || ');
}

/**
 * SQL ranking `document` against a query text parameter (from toLexicalQueryText). Weights are
 * {D, C, B, A}; normalisation 1 divides by 1 + log(length) so long descriptions do not win by volume.
 */
export function lexicalRankSql(document: string, queryParam: string): string {
  return `ts_rank('{0.1, 0.3, 0.6, 1.0}', ${document}, websearch_to_tsquery('english', ${queryParam}), 1)`;
}

/** SQL predicate paired with lexicalRankSql; a GIN index on `document` serves it. */
export function lexicalMatchSql(document: string, queryParam: string): string {
  return `${document} @@ websearch_to_tsquery('english', ${queryParam})`;
}

/**
 * Rewrites a user's query so websearch_to_tsquery ORs its words. People describe problems in
 * sentences; requiring every word (websearch_to_tsquery's default AND) would match almost nothing,
 * while ts_rank still rewards listings that contain more of them. Quoted phrases and -exclusions
 * are kept as the user wrote them.
 */
export function toLexicalQueryText(query: string): string {
  const tokens = query.match(/-?"[^"]*"|\S+/g) ?? [];
  const words = tokens
    .map((token) =>
      token.startsWith('"') || token.startsWith('-"')
        ? token
        : token.replace(/[^\p{L}\p{N}'-]+/gu, ' ').trim(),
    )
    .flatMap((token) => (token.startsWith('"') || token.startsWith('-"') ? [token] : token.split(/\s+/)))
    .filter((token) => token.length > 0 && token.toLowerCase() !== 'or');
  const exclusions = words.filter((word) => word.startsWith('-') && word.length > 1);
  const alternatives = words.filter((word) => !word.startsWith('-'));
  return [alternatives.join(' or '), ...exclusions].filter(Boolean).join(' ');
}
