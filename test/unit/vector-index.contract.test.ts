// One contract for every VectorIndex. The in-process index always runs it; the Qdrant index runs it
// when QDRANT_URL points at a real Qdrant (none can be installed on the development machine).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InMemoryVectorIndex,
  type VectorGraphEngine,
} from '../../src/adapters/vector-index/in-memory-vector-index.js';
import { loadHnswlib } from '../../src/adapters/vector-index/native-hnsw-graph.js';
import { QdrantVectorIndex } from '../../src/adapters/vector-index/qdrant-vector-index.js';
import type {
  VectorIndex,
  VectorPayload,
  VectorPoint,
} from '../../src/adapters/vector-index/vector-index.js';

const MODEL = 'contract-test-model';
const DIMENSIONS = 8;
const qdrantUrl = process.env['QDRANT_URL'];

interface IndexFactory {
  name: string;
  create(): Promise<VectorIndex>;
  destroy(index: VectorIndex): Promise<void>;
}

// The in-process index with each HNSW engine it can use: hnswlib-node when its optional native build
// is installed (it is on the development machine and in CI), and the JavaScript graph.
const engines: VectorGraphEngine[] = loadHnswlib() ? ['hnswlib', 'javascript'] : ['javascript'];
if (!loadHnswlib())
  console.info('vector-index contract: hnswlib-node is not installed, so only the JavaScript graph runs.');
const factories: IndexFactory[] = engines.flatMap((engine) => [
  {
    name: `InMemoryVectorIndex, ${engine} (exact scan under 2,000 candidates)`,
    create: async () => new InMemoryVectorIndex({ embeddingModel: MODEL, dimensions: DIMENSIONS, engine }),
    destroy: (index: VectorIndex) => index.close(),
  },
  {
    name: `InMemoryVectorIndex, ${engine} (graph search forced)`,
    create: async () =>
      new InMemoryVectorIndex({ embeddingModel: MODEL, dimensions: DIMENSIONS, exactSearchBelow: 0, engine }),
    destroy: (index: VectorIndex) => index.close(),
  },
]);
if (qdrantUrl) {
  factories.push({
    name: `QdrantVectorIndex at ${qdrantUrl}`,
    create: async () => {
      const index = new QdrantVectorIndex({
        url: qdrantUrl,
        apiKey: process.env['QDRANT_API_KEY'],
        embeddingModel: MODEL,
        dimensions: DIMENSIONS,
        collectionName: `bazaar_contract_${Date.now()}_${Math.floor(Math.random() * 1e6)}`,
      });
      await index.dropCollection();
      return index;
    },
    destroy: async (index) => (index as QdrantVectorIndex).dropCollection(),
  });
} else {
  console.info(
    'vector-index contract: QDRANT_URL is not set, so the Qdrant adapter is skipped; in-process index only.',
  );
}

function unit(...values: number[]): Float32Array {
  const v = Float32Array.from({ length: DIMENSIONS }, (_, i) => values[i] ?? 0);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function payload(overrides: Partial<VectorPayload> = {}): VectorPayload {
  return {
    listingId: 'listing',
    orgId: 'org-a',
    visibility: 'public',
    published: true,
    category: 'finance',
    pricingModel: 'subscription',
    tags: ['invoices'],
    rating: 4,
    embeddingModel: MODEL,
    ...overrides,
  };
}

function point(id: string, vector: Float32Array, overrides: Partial<VectorPayload> = {}): VectorPoint {
  return { id, vector, payload: payload({ listingId: id, ...overrides }) };
}

const publicViewer = { viewerOrgId: null };

describe.each(factories)('VectorIndex contract: $name', (factory) => {
  let index: VectorIndex;
  beforeAll(async () => {
    index = await factory.create();
  });
  afterAll(async () => {
    await factory.destroy(index);
  });

  async function reset(points: VectorPoint[]): Promise<void> {
    const stale = (await index.search(unit(1), 1000, { viewerOrgId: null, includeUnpublished: true })).map(
      (h) => h.id,
    );
    // Private points are only visible to their org; the contract data uses org-a and org-b.
    for (const org of ['org-a', 'org-b']) {
      stale.push(
        ...(await index.search(unit(1), 1000, { viewerOrgId: org, includeUnpublished: true })).map(
          (h) => h.id,
        ),
      );
    }
    await index.delete([...new Set(stale)]);
    await index.upsert(points);
  }

  it('stores points, counts them, and ranks by cosine similarity with scores in [-1, 1]', async () => {
    await reset([
      point('east', unit(1, 0)),
      point('north-east', unit(1, 1)),
      point('north', unit(0, 1)),
      point('west', unit(-1, 0)),
    ]);
    expect(await index.size()).toBe(4);
    const hits = await index.search(unit(1, 0.2), 3, publicViewer);
    expect(hits.map((h) => h.id)).toEqual(['east', 'north-east', 'north']);
    expect(hits[0]!.score).toBeCloseTo(1 / Math.hypot(1, 0.2), 4);
    expect(hits[2]!.score).toBeCloseTo(0.2 / Math.hypot(1, 0.2), 4);
  });

  it('normalises vectors, so magnitude does not matter', async () => {
    await reset([
      point(
        'long',
        unit(1, 0).map((x) => x * 10),
      ),
      point(
        'short',
        unit(0, 1).map((x) => x * 0.1),
      ),
    ]);
    const [hit] = await index.search(unit(0, 3), 1, publicViewer);
    expect(hit).toEqual({ id: 'short', score: expect.closeTo(1, 4) });
  });

  it('replaces a point on upsert with the same id and forgets deleted ones', async () => {
    await reset([point('a', unit(1, 0)), point('b', unit(0, 1))]);
    await index.upsert([point('a', unit(0, 1), { category: 'legal' })]);
    expect(await index.size()).toBe(2);
    expect(
      (await index.search(unit(1, 0), 2, { viewerOrgId: null, category: 'finance' })).map((h) => h.id),
    ).toEqual(['b']);
    await index.delete(['b', 'never-existed']);
    expect(await index.size()).toBe(1);
    expect((await index.search(unit(0, 1), 5, publicViewer)).map((h) => h.id)).toEqual(['a']);
  });

  it('shows private listings only to their own organisation', async () => {
    await reset([
      point('public', unit(1, 0)),
      point('secret', unit(1, 0.1), { visibility: 'private', orgId: 'org-b' }),
    ]);
    expect((await index.search(unit(1, 0), 5, { viewerOrgId: 'org-a' })).map((h) => h.id)).toEqual([
      'public',
    ]);
    expect((await index.search(unit(1, 0), 5, publicViewer)).map((h) => h.id)).toEqual(['public']);
    expect((await index.search(unit(1, 0), 5, { viewerOrgId: 'org-b' })).map((h) => h.id).sort()).toEqual([
      'public',
      'secret',
    ]);
  });

  it('hides unpublished (under review, suspended, deprecated) listings unless asked', async () => {
    await reset([point('live', unit(1, 0)), point('suspended', unit(1, 0.05), { published: false })]);
    expect((await index.search(unit(1, 0), 5, publicViewer)).map((h) => h.id)).toEqual(['live']);
    expect((await index.search(unit(1, 0), 5, { viewerOrgId: null, includeUnpublished: true })).length).toBe(
      2,
    );
  });

  it('filters by category, pricing model, every requested tag and minimum rating', async () => {
    await reset([
      point('p1', unit(1, 0), {
        category: 'finance',
        pricingModel: 'free',
        tags: ['tax', 'irs'],
        rating: 4.5,
      }),
      point('p2', unit(1, 0.1), {
        category: 'finance',
        pricingModel: 'subscription',
        tags: ['tax'],
        rating: 3,
      }),
      point('p3', unit(1, 0.2), {
        category: 'legal',
        pricingModel: 'free',
        tags: ['tax', 'irs'],
        rating: null,
      }),
    ]);
    const ids = async (filter: Parameters<VectorIndex['search']>[2]) =>
      (await index.search(unit(1, 0), 10, filter)).map((h) => h.id);
    expect(await ids({ viewerOrgId: null, category: 'finance' })).toEqual(['p1', 'p2']);
    expect(await ids({ viewerOrgId: null, pricingModel: 'free' })).toEqual(['p1', 'p3']);
    expect(await ids({ viewerOrgId: null, tags: ['tax', 'irs'] })).toEqual(['p1', 'p3']);
    expect(await ids({ viewerOrgId: null, tags: ['missing-tag'] })).toEqual([]);
    expect(await ids({ viewerOrgId: null, minRating: 4 })).toEqual(['p1']);
    expect(
      await ids({
        viewerOrgId: null,
        category: 'finance',
        pricingModel: 'free',
        tags: ['irs'],
        minRating: 4,
      }),
    ).toEqual(['p1']);
  });

  it('returns at most k hits, and none for k = 0', async () => {
    await reset(Array.from({ length: 6 }, (_, i) => point(`p${i}`, unit(1, i / 10))));
    expect(await index.search(unit(1, 0), 4, publicViewer)).toHaveLength(4);
    expect(await index.search(unit(1, 0), 0, publicViewer)).toEqual([]);
  });

  it('refuses vectors of another length or another embedding model, so vectors never mix', async () => {
    await expect(index.upsert([point('short', Float32Array.of(1, 0))])).rejects.toThrow(/dimensions/);
    await expect(
      index.upsert([{ ...point('other', unit(1)), payload: payload({ embeddingModel: 'other-model' }) }]),
    ).rejects.toThrow(/other-model/);
    await expect(index.search(Float32Array.of(1, 0), 1, publicViewer)).rejects.toThrow(/dimensions/);
  });
});
