import { describe, expect, it } from 'vitest';
import {
  InMemoryVectorIndex,
  type VectorGraphEngine,
} from '../../../src/adapters/vector-index/in-memory-vector-index.js';
import { loadHnswlib } from '../../../src/adapters/vector-index/native-hnsw-graph.js';
import type { VectorPayload } from '../../../src/adapters/vector-index/vector-index.js';

// Clustered unit vectors, like sentence embeddings: topics with variations around them.
function clusteredVectors(count: number, dimensions: number, seed: number): Float32Array[] {
  let state = seed;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const centres = Array.from({ length: 20 }, () => Float32Array.from({ length: dimensions }, random));
  return Array.from({ length: count }, (_, i) => {
    const centre = centres[i % centres.length]!;
    const v = Float32Array.from(centre, (c) => c + random() * 0.8);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

function payload(i: number): VectorPayload {
  return {
    listingId: `l${i}`,
    orgId: `org-${i % 3}`,
    visibility: i % 10 === 0 ? 'private' : 'public',
    published: i % 17 !== 0,
    category: `cat-${i % 4}`,
    pricingModel: 'free',
    tags: [],
    rating: null,
    embeddingModel: 'm',
  };
}

// Both HNSW engines: hnswlib-node when its optional native build is installed, and the JavaScript graph.
const engines: VectorGraphEngine[] = loadHnswlib() ? ['hnswlib', 'javascript'] : ['javascript'];

describe.each(engines)('InMemoryVectorIndex graph search (%s)', (engine) => {
  // A correctness check, not the quality target: this random data is harder than real embeddings
  // (bench/search.bench.ts measures recall@10 on embedding-like data, where the target is 0.99),
  // and a broken graph (lost links, bad pruning, filter cutting paths) lands far below 0.95.
  it('finds the exact top 10 for nearly every query, with and without a broad filter', async () => {
    const dimensions = 64;
    const vectors = clusteredVectors(3_000, dimensions, 7);
    const index = new InMemoryVectorIndex({ embeddingModel: 'm', dimensions, exactSearchBelow: 0, engine });
    await index.upsert(vectors.map((vector, i) => ({ id: `p${i}`, vector, payload: payload(i) })));
    const queries = clusteredVectors(100, dimensions, 99);
    for (const filter of [{ viewerOrgId: 'org-1' }, { viewerOrgId: null, category: 'cat-2' }]) {
      let found = 0;
      for (const query of queries) {
        const approximate = new Set((await index.search(query, 10, filter)).map((h) => h.id));
        const exact = await index.searchExact(query, 10, filter);
        found += exact.filter((h) => approximate.has(h.id)).length;
      }
      expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('keeps answering correctly after most points are replaced (tombstones, then compaction)', async () => {
    const dimensions = 16;
    const vectors = clusteredVectors(2_500, dimensions, 3);
    const index = new InMemoryVectorIndex({ embeddingModel: 'm', dimensions, exactSearchBelow: 0, engine });
    await index.upsert(vectors.map((vector, i) => ({ id: `p${i}`, vector, payload: payload(1) })));
    await index.delete(vectors.slice(0, 2_000).map((_, i) => `p${i}`));
    expect(await index.size()).toBe(500);
    const target = vectors[2_100]!;
    const [hit] = await index.search(target, 1, { viewerOrgId: null });
    expect(hit).toEqual({ id: 'p2100', score: expect.closeTo(1, 5) });
    const all = await index.search(target, 1_000, { viewerOrgId: null });
    expect(all.every((h) => Number(h.id.slice(1)) >= 2_000)).toBe(true);
  });
});
