/** A candidate from one retriever, best first: ts_rank for lexical, cosine similarity for semantic. */
export interface RankedCandidate {
  id: string;
  score: number;
}

/** Which retrievers found a result. */
export type MatchedBy = 'lexical' | 'semantic' | 'both';

/** One fused result with the evidence behind it. */
export interface FusedResult {
  id: string;
  /** In [0, 1]; comparable across queries, which is what makes a fixed threshold meaningful. */
  score: number;
  matchedBy: MatchedBy;
  lexicalScore?: number;
  semanticScore?: number;
}

/**
 * Weights of the score fusion. We fuse normalised scores rather than ranks (reciprocal rank fusion)
 * because RRF throws away how good the best match is: its scores look the same for a great match and
 * for the least bad of a hundred poor ones, so no threshold can drop noise. Here cosine similarity is
 * mapped through the embedding model's own calibration (floor → 0, ceiling → 1) and ts_rank through a
 * saturating curve, then mixed. On our relevance set this also beats RRF (see bench/relevance.ts).
 */
export interface ScoreFusionOptions {
  /** Share of the lexical signal in the final score, 0..1. */
  lexicalWeight: number;
  /** Cosine similarity at which a listing starts counting as semantically related. */
  semanticFloor: number;
  /** Cosine similarity treated as a perfect semantic match. */
  semanticCeiling: number;
  /** ts_rank at which the lexical signal reaches one half. */
  lexicalHalfSaturation: number;
  /** Results scoring below this are dropped as noise. */
  minScore: number;
}

/** Per-model semantic calibration: cosine distributions differ widely between models. */
export interface SemanticCalibration {
  semanticFloor: number;
  semanticCeiling: number;
}

/**
 * Calibrations measured on test/fixtures/relevance (unrelated pairs sit below the floor, correct
 * matches mostly above the midpoint). Models not listed fall back to the local model's values.
 */
export const SEMANTIC_CALIBRATIONS: Record<string, SemanticCalibration> = {
  'use-lite-512': { semanticFloor: 0.15, semanticCeiling: 0.6 },
  // Not measured here (no network); OpenAI's text-embedding-3 cosines run lower and tighter.
  'text-embedding-3-small': { semanticFloor: 0.2, semanticCeiling: 0.6 },
};

/** Tuned on the relevance set with bench/relevance.ts; see the README's search section for numbers. */
export const DEFAULT_SCORE_FUSION: ScoreFusionOptions = {
  lexicalWeight: 0.4,
  semanticFloor: 0.15,
  semanticCeiling: 0.6,
  lexicalHalfSaturation: 0.05,
  /**
   * The documented threshold. 0.2 is a listing with cosine 0.30 and no keyword in common, or
   * a keyword match with weak semantics. On the relevance set it keeps the correct listing for 49 of
   * 54 queries while five off-topic queries return 7 results in all, none scoring above 0.33
   * (bench/relevance.ts prints the whole trade-off curve).
   */
  minScore: 0.2,
};

/** Fusion options for an embedding model, using its calibration when one was measured. */
export function scoreFusionFor(
  embeddingModel: string,
  overrides: Partial<ScoreFusionOptions> = {},
): ScoreFusionOptions {
  return { ...DEFAULT_SCORE_FUSION, ...SEMANTIC_CALIBRATIONS[embeddingModel], ...overrides };
}

/** Fuses lexical and semantic candidates into one ranking, dropping results under the threshold. */
export function fuseByScore(
  lexical: RankedCandidate[],
  semantic: RankedCandidate[],
  options: ScoreFusionOptions = DEFAULT_SCORE_FUSION,
): FusedResult[] {
  const lexicalById = bestScoreById(lexical);
  const semanticById = bestScoreById(semantic);
  const results: FusedResult[] = [];
  for (const id of new Set([...lexicalById.keys(), ...semanticById.keys()])) {
    const lexicalScore = lexicalById.get(id);
    const semanticScore = semanticById.get(id);
    const lexicalPart =
      lexicalScore === undefined ? 0 : saturate(lexicalScore, options.lexicalHalfSaturation);
    const semanticPart =
      semanticScore === undefined
        ? 0
        : clamp01(
            (semanticScore - options.semanticFloor) / (options.semanticCeiling - options.semanticFloor),
          );
    const score = options.lexicalWeight * lexicalPart + (1 - options.lexicalWeight) * semanticPart;
    if (score < options.minScore) continue;
    const matchedBy = matchKind(lexicalPart > 0, semanticPart > 0);
    if (!matchedBy) continue;
    results.push({ id, score: roundScore(score), matchedBy, lexicalScore, semanticScore });
  }
  return results.sort(compareResults);
}

/**
 * Reciprocal rank fusion (Cormack et al., 2009), kept as the baseline the score fusion is measured
 * against. Scores are scaled so a first place in both lists is 1.
 */
export function fuseByReciprocalRank(
  lexical: RankedCandidate[],
  semantic: RankedCandidate[],
  options: { k?: number; semanticFloor?: number } = {},
): FusedResult[] {
  const k = options.k ?? 60;
  const semanticFloor = options.semanticFloor ?? -Infinity;
  const relevantSemantic = semantic.filter((candidate) => candidate.score >= semanticFloor);
  const scores = new Map<string, { rrf: number; lexical?: number; semantic?: number }>();
  const add = (list: RankedCandidate[], side: 'lexical' | 'semantic') =>
    list.forEach((candidate, rank) => {
      const entry = scores.get(candidate.id) ?? { rrf: 0 };
      if (entry[side] !== undefined) return;
      entry.rrf += 1 / (k + rank + 1);
      entry[side] = candidate.score;
      scores.set(candidate.id, entry);
    });
  add(lexical, 'lexical');
  add(relevantSemantic, 'semantic');
  const best = 2 / (k + 1);
  return [...scores.entries()]
    .map(([id, entry]) => ({
      id,
      score: roundScore(entry.rrf / best),
      matchedBy: matchKind(entry.lexical !== undefined, entry.semantic !== undefined)!,
      lexicalScore: entry.lexical,
      semanticScore: entry.semantic,
    }))
    .sort(compareResults);
}

/** Total order of results: score descending, then id, so equal scores page deterministically. */
export function compareResults(a: { score: number; id: string }, b: { score: number; id: string }): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function matchKind(lexical: boolean, semantic: boolean): MatchedBy | undefined {
  if (lexical && semantic) return 'both';
  if (lexical) return 'lexical';
  if (semantic) return 'semantic';
  return undefined;
}

function bestScoreById(candidates: RankedCandidate[]): Map<string, number> {
  const byId = new Map<string, number>();
  for (const { id, score } of candidates) {
    if (!Number.isFinite(score)) continue;
    const known = byId.get(id);
    if (known === undefined || score > known) byId.set(id, score);
  }
  return byId;
}

function saturate(value: number, halfSaturation: number): number {
  return value <= 0 ? 0 : value / (value + halfSaturation);
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

// Six decimals: stable across platforms in cursors, and finer than any meaningful difference.
function roundScore(score: number): number {
  return Math.round(score * 1e6) / 1e6;
}
