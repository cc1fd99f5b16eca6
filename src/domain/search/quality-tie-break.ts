// Quality signals (ratings with their count, success rate, usage) only break near-ties in search:
// each result's relevance score moves by at most ±QUALITY_SPREAD / 2, so a listing clearly more
// relevant always stays ahead, and a new listing with no signals at all moves by exactly nothing —
// it is never pushed below an equally relevant one for being new, only below one with good evidence.
import { compareResults } from './hybrid-fusion.js';

/** What search knows of a listing's quality, read from the catalog's aggregates. */
export interface QualitySignals {
  ratingAverage: number | null;
  ratingCount: number;
  activeInstallations: number;
  executions30d: number;
  succeeded30d: number;
}

/** The widest a score can move for quality: results further apart than this never swap. */
export const QUALITY_SPREAD = 0.02;

// Shrunk towards a neutral prior by pseudo-counts, so one 5-star rating or two lucky runs barely count.
const RATING_PRIOR = 3.5;
const RATING_PSEUDO_COUNT = 5;
const SUCCESS_PRIOR = 0.9;
const SUCCESS_PSEUDO_COUNT = 20;

const clamp = (value: number) => Math.max(-1, Math.min(1, value));

/** A listing's quality in [-1, 1]: 0 for no evidence, positive for good evidence, negative for bad. */
export function qualityOf(signals: QualitySignals): number {
  const starsSum = (signals.ratingAverage ?? 0) * signals.ratingCount;
  const rating =
    (RATING_PRIOR * RATING_PSEUDO_COUNT + starsSum) / (RATING_PSEUDO_COUNT + signals.ratingCount);
  const success =
    (SUCCESS_PRIOR * SUCCESS_PSEUDO_COUNT + signals.succeeded30d) /
    (SUCCESS_PSEUDO_COUNT + signals.executions30d);
  const ratingPart = clamp((rating - RATING_PRIOR) / 1.5);
  const successPart = clamp((success - SUCCESS_PRIOR) / 0.1);
  // Usage only adds (a used listing is evidence), a little, on a log scale.
  const usagePart = Math.min(1, Math.log10(1 + signals.activeInstallations) / 3);
  return clamp(0.5 * ratingPart + 0.35 * successPart + 0.15 * usagePart);
}

/** Results re-scored with their quality (at most ±QUALITY_SPREAD / 2) and re-sorted; others unchanged. */
export function breakTiesByQuality<T extends { id: string; score: number }>(
  results: readonly T[],
  signals: ReadonlyMap<string, QualitySignals>,
): T[] {
  return results
    .map((result) => {
      const known = signals.get(result.id);
      if (!known) return result;
      const score = result.score + (QUALITY_SPREAD / 2) * qualityOf(known);
      return { ...result, score: Math.round(score * 1e6) / 1e6 };
    })
    .sort(compareResults);
}

/**
 * The results whose quality can matter for one page, so only they are looked up: those around the
 * cursor (within QUALITY_SPREAD / 2 of it), then down until `limit` results lie surely after the
 * cursor, then all within QUALITY_SPREAD of the last of those. Any result further down stays below
 * the page however good it is, since no score moves by more than QUALITY_SPREAD / 2.
 */
export function tieBreakWindow(
  ordered: readonly { id: string; score: number }[],
  page: { limit: number; afterScore?: number },
): string[] {
  const half = QUALITY_SPREAD / 2;
  const ceiling = page.afterScore === undefined ? Infinity : page.afterScore + half;
  const surelyAfter = page.afterScore === undefined ? Infinity : page.afterScore - half;
  const window: string[] = [];
  let counted = 0;
  let floor = -Infinity;
  for (const result of ordered) {
    if (result.score > ceiling) continue;
    if (counted >= page.limit && result.score < floor) break;
    window.push(result.id);
    if (result.score < surelyAfter && ++counted === page.limit) floor = result.score - QUALITY_SPREAD;
  }
  return window;
}
