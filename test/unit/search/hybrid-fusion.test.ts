import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCORE_FUSION,
  fuseByReciprocalRank,
  fuseByScore,
  scoreFusionFor,
  type ScoreFusionOptions,
} from '../../../src/domain/search/hybrid-fusion.js';

const noThreshold: ScoreFusionOptions = { ...DEFAULT_SCORE_FUSION, minScore: 0 };

describe('fuseByScore', () => {
  it('labels each result by the retrievers that found it', () => {
    const results = fuseByScore(
      [
        { id: 'a', score: 0.08 },
        { id: 'b', score: 0.04 },
      ],
      [
        { id: 'a', score: 0.55 },
        { id: 'c', score: 0.5 },
      ],
      noThreshold,
    );
    const byId = Object.fromEntries(results.map((r) => [r.id, r.matchedBy]));
    expect(byId).toEqual({ a: 'both', b: 'lexical', c: 'semantic' });
    expect(results[0]!.id).toBe('a');
  });

  it('ranks a listing found by both retrievers above one found by either alone with the same scores', () => {
    const results = fuseByScore(
      [
        { id: 'both', score: 0.05 },
        { id: 'lexical-only', score: 0.05 },
      ],
      [
        { id: 'both', score: 0.45 },
        { id: 'semantic-only', score: 0.45 },
      ],
      noThreshold,
    );
    expect(results.map((r) => r.id)).toEqual(['both', 'semantic-only', 'lexical-only']);
  });

  it('keeps scores within [0, 1] and ordered best first with ties broken by id', () => {
    const results = fuseByScore(
      [{ id: 'x', score: 50 }],
      [
        { id: 'x', score: 0.99 },
        { id: 'b', score: 0.4 },
        { id: 'a', score: 0.4 },
      ],
      noThreshold,
    );
    expect(results.map((r) => r.id)).toEqual(['x', 'a', 'b']);
    for (const r of results) expect(r.score).toBeGreaterThanOrEqual(0);
    expect(results[0]!.score).toBeLessThanOrEqual(1);
  });

  it('drops results under the threshold, and semantic candidates below the calibration floor', () => {
    const results = fuseByScore(
      [],
      [
        { id: 'strong', score: 0.6 },
        { id: 'weak', score: 0.25 },
        { id: 'unrelated', score: 0.1 },
      ],
      DEFAULT_SCORE_FUSION,
    );
    expect(results.map((r) => r.id)).toEqual(['strong']);
    expect(fuseByScore([], [{ id: 'unrelated', score: 0.1 }], noThreshold)).toEqual([]);
  });

  it('returns nothing for no candidates', () => {
    expect(fuseByScore([], [])).toEqual([]);
  });

  it('uses the best score when a retriever lists an id twice and ignores non-finite scores', () => {
    const [result] = fuseByScore(
      [],
      [
        { id: 'a', score: 0.3 },
        { id: 'a', score: 0.5 },
        { id: 'b', score: Number.NaN },
      ],
      noThreshold,
    );
    expect(result?.semanticScore).toBe(0.5);
    expect(fuseByScore([], [{ id: 'b', score: Number.NaN }], noThreshold)).toEqual([]);
  });

  it('takes the calibration of the embedding model', () => {
    expect(scoreFusionFor('use-lite-512').semanticFloor).toBe(0.15);
    expect(scoreFusionFor('unknown-model', { minScore: 0.5 }).minScore).toBe(0.5);
  });
});

describe('fuseByReciprocalRank', () => {
  it('gives a first place in both lists the score 1 and sums reciprocal ranks', () => {
    const results = fuseByReciprocalRank(
      [
        { id: 'a', score: 9 },
        { id: 'b', score: 1 },
      ],
      [
        { id: 'a', score: 0.9 },
        { id: 'c', score: 0.8 },
      ],
    );
    expect(results[0]).toMatchObject({ id: 'a', score: 1, matchedBy: 'both' });
    expect(results.slice(1).map((r) => r.id)).toEqual(['b', 'c']);
  });
});
