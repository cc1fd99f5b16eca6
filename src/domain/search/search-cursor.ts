import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SearchInputError } from './search-errors.js';
import type { SearchQuery } from './search-query.js';

/** Position after the last result of a page: its score and id, in the (score desc, id asc) order. */
export interface SearchCursor {
  /** Ties the cursor to the query and filters it was issued for. */
  fingerprint: string;
  afterScore: number;
  afterId: string;
}

const cursorPayloadSchema = z.object({
  v: z.literal(1),
  f: z.string().regex(/^[0-9a-f]{16}$/),
  s: z.number().finite(),
  i: z.string().min(1).max(200),
});

/**
 * Identifies what a cursor may continue: the normalised query and every filter, plus a caller scope
 * (the organisation), since another caller would see different results. Page size is left out so a
 * client may change it between pages.
 */
export function searchFingerprint(
  query: Pick<SearchQuery, 'q' | 'category' | 'pricingModel' | 'tags' | 'minRating'>,
  scope = '',
): string {
  const canonical = JSON.stringify([
    query.q.toLowerCase(),
    query.category ?? null,
    query.pricingModel ?? null,
    [...(query.tags ?? [])].sort(),
    query.minRating ?? null,
    scope,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Serialises a cursor into an opaque URL-safe string. */
export function encodeSearchCursor(cursor: SearchCursor): string {
  const payload = { v: 1, f: cursor.fingerprint, s: cursor.afterScore, i: cursor.afterId };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** Parses a cursor issued for this fingerprint; anything else is a SearchInputError('invalid_cursor'). */
export function decodeSearchCursor(token: string, expectedFingerprint: string): SearchCursor {
  let payload: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('not base64url');
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('cursor is malformed; pass back nextCursor exactly as received');
  }
  const parsed = cursorPayloadSchema.safeParse(payload);
  if (!parsed.success) throw invalidCursor('cursor is malformed; pass back nextCursor exactly as received');
  if (parsed.data.f !== expectedFingerprint) {
    throw invalidCursor('cursor belongs to a different query or filters; start again without a cursor');
  }
  return { fingerprint: parsed.data.f, afterScore: parsed.data.s, afterId: parsed.data.i };
}

function invalidCursor(message: string): SearchInputError {
  return new SearchInputError('invalid_cursor', message, [{ path: 'cursor', message }]);
}
