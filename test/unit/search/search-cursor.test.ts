import { describe, expect, it } from 'vitest';
import { paginateResults } from '../../../src/domain/search/paginate-results.js';
import {
  decodeSearchCursor,
  encodeSearchCursor,
  searchFingerprint,
  type SearchCursor,
} from '../../../src/domain/search/search-cursor.js';
import { SearchInputError } from '../../../src/domain/search/search-errors.js';

const query = { q: 'handle refunds', category: 'customer-support', tags: ['returns', 'ecommerce'] };

describe('search cursor', () => {
  it('round-trips through an opaque URL-safe token', () => {
    const fingerprint = searchFingerprint(query);
    const token = encodeSearchCursor({ fingerprint, afterScore: 0.4321, afterId: 'listing-7' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeSearchCursor(token, fingerprint)).toEqual({
      fingerprint,
      afterScore: 0.4321,
      afterId: 'listing-7',
    });
  });

  it('fingerprints the query and filters but not tag order, case or page size', () => {
    expect(searchFingerprint({ ...query, q: 'Handle Refunds', tags: ['ecommerce', 'returns'] })).toBe(
      searchFingerprint(query),
    );
    expect(searchFingerprint({ ...query, category: 'finance' })).not.toBe(searchFingerprint(query));
    expect(searchFingerprint(query, 'org-1')).not.toBe(searchFingerprint(query, 'org-2'));
  });

  it.each([
    ['garbage', 'not-a-cursor!'],
    ['valid base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['JSON of the wrong shape', Buffer.from(JSON.stringify({ v: 2, s: 'x' })).toString('base64url')],
  ])('rejects %s as invalid_cursor', (_, token) => {
    expect(() => decodeSearchCursor(token, searchFingerprint(query))).toThrowError(
      expect.objectContaining({ code: 'invalid_cursor', name: 'SearchInputError' }) as Error,
    );
  });

  it('rejects a cursor issued for another query with a message saying so', () => {
    const token = encodeSearchCursor({
      fingerprint: searchFingerprint(query),
      afterScore: 0.5,
      afterId: 'a',
    });
    const attempt = () => decodeSearchCursor(token, searchFingerprint({ ...query, q: 'something else' }));
    expect(attempt).toThrow(SearchInputError);
    expect(attempt).toThrow(/different query/);
  });
});

describe('paginateResults', () => {
  const ordered = [
    { id: 'a', score: 0.9 },
    { id: 'b', score: 0.7 },
    { id: 'c', score: 0.7 },
    { id: 'd', score: 0.5 },
    { id: 'e', score: 0.2 },
  ];
  const fingerprint = searchFingerprint(query);

  it('walks every result exactly once, page by page', () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const after: SearchCursor | undefined = cursor ? decodeSearchCursor(cursor, fingerprint) : undefined;
      const page: { results: { id: string }[]; nextCursor: string | null } = paginateResults(ordered, {
        limit: 2,
        fingerprint,
        after,
      });
      seen.push(...page.results.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('has no next cursor when the page holds the rest', () => {
    expect(paginateResults(ordered, { limit: 5, fingerprint }).nextCursor).toBeNull();
    expect(paginateResults([], { limit: 5, fingerprint })).toEqual({ results: [], nextCursor: null });
  });

  it('stays stable when a result before the cursor disappears between requests', () => {
    const first = paginateResults(ordered, { limit: 2, fingerprint });
    const after = decodeSearchCursor(first.nextCursor!, fingerprint);
    const withoutA = ordered.filter((r) => r.id !== 'a');
    expect(paginateResults(withoutA, { limit: 2, fingerprint, after }).results.map((r) => r.id)).toEqual([
      'c',
      'd',
    ]);
  });
});
