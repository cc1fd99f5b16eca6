import { describe, expect, it } from 'vitest';
import { paginateResults } from '../../../src/domain/search/paginate-results.js';
import {
  QUALITY_SPREAD,
  breakTiesByQuality,
  qualityOf,
  tieBreakWindow,
  type QualitySignals,
} from '../../../src/domain/search/quality-tie-break.js';
import { decodeSearchCursor, type SearchCursor } from '../../../src/domain/search/search-cursor.js';

const FINGERPRINT = '0123456789abcdef';
const none: QualitySignals = {
  ratingAverage: null,
  ratingCount: 0,
  activeInstallations: 0,
  executions30d: 0,
  succeeded30d: 0,
};
const loved: QualitySignals = {
  ratingAverage: 4.8,
  ratingCount: 40,
  activeInstallations: 300,
  executions30d: 5000,
  succeeded30d: 4990,
};
const poor: QualitySignals = {
  ratingAverage: 1.5,
  ratingCount: 30,
  activeInstallations: 3,
  executions30d: 400,
  succeeded30d: 200,
};

describe('quality tie-break', () => {
  it('gives a listing with no evidence exactly zero, good evidence positive, bad negative, all within [-1, 1]', () => {
    expect(qualityOf(none)).toBe(0);
    expect(qualityOf(loved)).toBeGreaterThan(0.8);
    expect(qualityOf(poor)).toBeLessThan(-0.5);
    expect(qualityOf({ ...none, ratingAverage: 5, ratingCount: 1 })).toBeLessThan(0.2); // one rating barely counts
  });

  it('reorders near-ties only: a clearly more relevant listing stays first', () => {
    const signals = new Map([
      ['a-poor', poor],
      ['b-loved', loved],
      ['c-new', none],
    ]);
    const nearTie = [
      { id: 'a-poor', score: 0.7 },
      { id: 'c-new', score: 0.699 },
      { id: 'b-loved', score: 0.698 },
    ];
    expect(breakTiesByQuality(nearTie, signals).map((r) => r.id)).toEqual(['b-loved', 'c-new', 'a-poor']);
    const clear = [
      { id: 'a-poor', score: 0.7 },
      { id: 'b-loved', score: 0.7 - QUALITY_SPREAD - 0.001 },
    ];
    expect(breakTiesByQuality(clear, signals).map((r) => r.id)).toEqual(['a-poor', 'b-loved']);
  });

  it('does not bury a new listing: with no signals its score is unchanged', () => {
    const [result] = breakTiesByQuality([{ id: 'c-new', score: 0.5 }], new Map([['c-new', none]]));
    expect(result!.score).toBe(0.5);
    expect(breakTiesByQuality([{ id: 'unknown', score: 0.5 }], new Map())[0]!.score).toBe(0.5);
  });

  it('pages exactly as with every result looked up, while looking up only the window', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 20; trial++) {
      const results = Array.from({ length: 300 }, (_, i) => ({
        id: `l${String(i).padStart(3, '0')}`,
        score: Math.round((0.2 + random() * 0.8 * (trial % 2 ? 0.05 : 1)) * 1e6) / 1e6,
      })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
      const signals = new Map(
        results.map((r) => [
          r.id,
          random() < 0.3
            ? none
            : { ...loved, ratingAverage: 1 + random() * 4, succeeded30d: random() * 5000 },
        ]),
      );
      const allPages: string[][] = [];
      const windowPages: string[][] = [];
      let looked = 0;
      for (const [pages, windowed] of [
        [allPages, false],
        [windowPages, true],
      ] as const) {
        let after: SearchCursor | undefined;
        do {
          const ids = windowed ? tieBreakWindow(results, { limit: 10, afterScore: after?.afterScore }) : [];
          if (windowed) looked = Math.max(looked, ids.length);
          const known = windowed ? new Map(ids.map((id) => [id, signals.get(id)!])) : signals;
          const page = paginateResults(breakTiesByQuality(results, known), {
            limit: 10,
            fingerprint: FINGERPRINT,
            after,
          });
          pages.push(page.results.map((r) => r.id));
          after = page.nextCursor ? decodeSearchCursor(page.nextCursor, FINGERPRINT) : undefined;
        } while (after);
      }
      expect(windowPages).toEqual(allPages);
      if (trial % 2 === 0) expect(looked).toBeLessThan(60); // spread-out scores: a small window
    }
  });
});
