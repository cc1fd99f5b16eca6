import { z } from 'zod';
import { decodeOpaqueCursor, encodeOpaqueCursor, fingerprintOf } from '../opaque-cursor.js';
import { SearchInputError } from './search-errors.js';
import type { SearchQuery } from './search-query.js';

/** Position after the last result of a page: its score and id, in the (score desc, id asc) order. */
export interface SearchCursor {
  /** Ties the cursor to the query and filters it was issued for. */
  fingerprint: string;
  afterScore: number;
  afterId: string;
}

const positionShape = {
  s: z.number().finite(),
  i: z.string().min(1).max(200),
};

/**
 * Identifies what a cursor may continue: the normalised query and every filter, plus a caller scope
 * (the organisation), since another caller would see different results. Page size is left out so a
 * client may change it between pages.
 */
export function searchFingerprint(
  query: Pick<SearchQuery, 'q' | 'category' | 'pricingModel' | 'tags' | 'minRating'>,
  scope = '',
): string {
  return fingerprintOf([
    query.q.toLowerCase(),
    query.category ?? null,
    query.pricingModel ?? null,
    [...(query.tags ?? [])].sort(),
    query.minRating ?? null,
    scope,
  ]);
}

/** Serialises a cursor into an opaque URL-safe string. */
export function encodeSearchCursor(cursor: SearchCursor): string {
  return encodeOpaqueCursor(cursor.fingerprint, { s: cursor.afterScore, i: cursor.afterId });
}

/** Parses a cursor issued for this fingerprint; anything else is a SearchInputError('invalid_cursor'). */
export function decodeSearchCursor(token: string, expectedFingerprint: string): SearchCursor {
  const decoded = decodeOpaqueCursor(token, positionShape, expectedFingerprint);
  if ('refused' in decoded) {
    throw invalidCursor(
      decoded.refused === 'malformed'
        ? 'cursor is malformed; pass back nextCursor exactly as received'
        : 'cursor belongs to a different query or filters; start again without a cursor',
    );
  }
  return { fingerprint: expectedFingerprint, afterScore: decoded.position.s, afterId: decoded.position.i };
}

function invalidCursor(message: string): SearchInputError {
  return new SearchInputError('invalid_cursor', message, [{ path: 'cursor', message }]);
}
