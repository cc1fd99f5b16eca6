// Search latency, throughput, ANN recall, build time and memory on synthetic catalogs.
// Run: npx tsx --expose-gc bench/search.bench.ts [--sizes=10000,100000] [--ef=96] [--efc=64] [--m=16] [--index-only]
//   [--seed-texts=N]: also embed N generated listing texts as seeds, for a catalog with more distinct
//   listings (by default every synthetic listing mixes two of the relevance set's embeddings)
//   [--engine=hnswlib|javascript]: the in-process index's HNSW engine (default: hnswlib when installed)
//   [--hnswlib]: also build hnswlib-node (the C++ hnswlib) on the same catalog, with the same m,
//   efConstruction and efSearch, and measure its build, recall against the same exact search and latency
// Never part of the test suite.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CachedEmbedder } from '../src/adapters/embeddings/cached-embedder.js';
import { normalizeVector, type Embedder } from '../src/adapters/embeddings/embedder.js';
import { LocalEmbedder } from '../src/adapters/embeddings/local-embedder.js';
import {
  defaultVectorGraphEngine,
  InMemoryVectorIndex,
  type VectorGraphEngine,
} from '../src/adapters/vector-index/in-memory-vector-index.js';
import { matchesFilter } from '../src/adapters/vector-index/payload-filter.js';
import type { VectorFilter, VectorPayload } from '../src/adapters/vector-index/vector-index.js';
import { fuseByScore } from '../src/domain/search/hybrid-fusion.js';
import { listingEmbeddingText } from '../src/domain/search/listing-search-text.js';
import { paginateResults } from '../src/domain/search/paginate-results.js';
import { loadRelevanceSet } from '../test/fixtures/relevance/relevance-set.js';

const args = new Map(
  process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]),
);
const sizes = (args.get('sizes') ?? '10000,100000').split(',').map(Number);
const efValues = (args.get('ef') ?? '96').split(',').map(Number);
const efSearch = efValues[0]!;
const efConstruction = args.has('efc') ? Number(args.get('efc')) : undefined;
const linksPerNode = args.has('m') ? Number(args.get('m')) : undefined;
const indexOnly = args.has('index-only');
const seedTextCount = Number(args.get('seed-texts') ?? 0);
const engine = (args.get('engine') as VectorGraphEngine | undefined) ?? defaultVectorGraphEngine();
const CANDIDATES = 50;
const CLIENTS = 20;

let seed = 42;
function random(): number {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
function pick<T>(items: T[]): T {
  return items[Math.floor(random() * items.length)]!;
}
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

// Query texts nobody typed before: every one costs a real model call unless cached.
const VERBS = [
  'automate',
  'speed up',
  'help with',
  'get rid of manual',
  'find an agent for',
  'outsource',
  'check',
  'plan',
];
const OBJECTS = [
  'customer refunds',
  'supplier invoices',
  'job applicants',
  'security alerts',
  'tax returns',
  'delivery routes',
  'contract reviews',
  'social media posts',
  'meeting notes',
  'product descriptions',
  'sales calls',
  'data pipelines',
  'patient intake',
  'school homework',
  'travel bookings',
  'cloud costs',
  'log errors',
  'grant applications',
];
const AUDIENCES = [
  'for a small shop',
  'for our finance team',
  'at a hospital',
  'for a startup',
  'in a warehouse',
  'for freelancers',
  'for a law firm',
  'for our support desk',
  'every week',
  'across 12 countries',
];
function uniqueQueries(count: number): string[] {
  const out = new Set<string>();
  while (out.size < count) out.add(`${pick(VERBS)} ${pick(OBJECTS)} ${pick(AUDIENCES)} ${out.size}`);
  return [...out];
}

/** Distinct listing-like texts: an agent that does two jobs for one audience. */
function generatedListingTexts(count: number): string[] {
  const out = new Set<string>();
  while (out.size < count)
    out.add(`An agent to ${pick(VERBS)} ${pick(OBJECTS)} and ${pick(OBJECTS)} ${pick(AUDIENCES)}`);
  return [...out];
}

/** Synthetic listing vectors in the model's own space: mixtures of real listing and query embeddings plus noise. */
function synthesiseVectors(seeds: Float32Array[], count: number): Float32Array[] {
  const dimensions = seeds[0]!.length;
  return Array.from({ length: count }, () => {
    const a = pick(seeds);
    const b = pick(seeds);
    const mix = 0.6 + 0.4 * random();
    const noise = 0.35 / Math.sqrt(dimensions);
    const v = new Float32Array(dimensions);
    for (let i = 0; i < dimensions; i++) v[i] = mix * a[i]! + (1 - mix) * b[i]! + noise * gaussian();
    return normalizeVector(v);
  });
}

const CATEGORIES = [
  'customer-support',
  'finance',
  'legal',
  'hr',
  'engineering',
  'data',
  'security',
  'marketing',
  'sales',
  'healthcare',
  'education',
  'travel',
  'real-estate',
  'logistics',
  'ecommerce',
  'productivity',
  'content',
  'research',
  'devops',
];
const PRICING = ['free', 'usage_based', 'subscription', 'one_time'] as const;
function syntheticPayload(i: number, model: string): VectorPayload {
  return {
    listingId: `listing-${i}`,
    orgId: `org-${i % 500}`,
    visibility: random() < 0.05 ? 'private' : 'public',
    published: random() > 0.03,
    category: pick(CATEGORIES),
    pricingModel: pick([...PRICING]),
    tags: [`tag-${Math.floor(random() * 200)}`, `tag-${Math.floor(random() * 200)}`],
    rating: Math.round(random() * 50) / 10,
    embeddingModel: model,
  };
}

function heapBytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const viewer: VectorFilter = { viewerOrgId: 'org-1' };

async function searchOnce(embedder: Embedder, index: InMemoryVectorIndex, q: string): Promise<number> {
  const started = performance.now();
  const [vector] = await embedder.embed([q]);
  const semantic = await index.search(vector!, CANDIDATES, viewer);
  // The lexical list comes from PostgreSQL in production and is not part of this benchmark.
  const fused = fuseByScore([], semantic);
  paginateResults(fused, { limit: 20, fingerprint: '0000000000000000' });
  return performance.now() - started;
}

async function sequentialLatency(
  embedder: Embedder,
  index: InMemoryVectorIndex,
  queries: string[],
): Promise<number[]> {
  const times: number[] = [];
  for (const q of queries) times.push(await searchOnce(embedder, index, q));
  return times.sort((a, b) => a - b);
}

async function concurrentThroughput(embedder: Embedder, index: InMemoryVectorIndex, queries: string[]) {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < queries.length) times.push(await searchOnce(embedder, index, queries[next++]!));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { qps: queries.length / seconds, p50: percentile(times, 50), p95: percentile(times, 95) };
}

/** Index-only timings (query vectors precomputed): what the ANN itself costs. */
function indexOnlyLatency(index: InMemoryVectorIndex, vectors: Float32Array[]): Promise<number[]> {
  return (async () => {
    const times: number[] = [];
    for (const v of vectors) {
      const started = performance.now();
      await index.search(v, CANDIDATES, viewer);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b);
  })();
}

const local = new LocalEmbedder();
await local.whenReady();
const { listings, queries } = loadRelevanceSet();
const seedTexts = [
  ...listings.map(listingEmbeddingText),
  ...queries.map((q) => q.query),
  ...generatedListingTexts(seedTextCount),
];
let started = performance.now();
const seedVectors = await local.embed(seedTexts);
console.log(`embedded ${seedTexts.length} seed texts in ${ms(performance.now() - started)} (${local.model})`);

// Does embedding block the event loop? It runs on a worker; measure the main thread's lag meanwhile.
const lag = monitorEventLoopDelay({ resolution: 5 });
lag.enable();
await Promise.all(uniqueQueries(40).map((q) => local.embed([q])));
lag.disable();
console.log(
  `main-thread event loop delay while embedding 40 queries on the worker: p99 ${ms(lag.percentile(99) / 1e6)}, max ${ms(lag.max / 1e6)}`,
);

for (const size of sizes) {
  console.log(
    `\n=== ${size.toLocaleString('en')} listings, engine ${engine}, efSearch ${efSearch}, efConstruction ${efConstruction ?? 'default'}, m ${linksPerNode ?? 'default'}, ${CANDIDATES} candidates per search ===`,
  );
  const vectors = synthesiseVectors(seedVectors, size);
  const points = vectors.map((vector, i) => ({
    id: `listing-${i}`,
    vector,
    payload: syntheticPayload(i, local.model),
  }));
  const before = heapBytes();
  const index = new InMemoryVectorIndex({
    embeddingModel: local.model,
    dimensions: local.dimensions,
    efSearch,
    engine,
    hnsw: { efConstruction, m: linksPerNode },
  });
  started = performance.now();
  await index.upsert(points);
  const buildMs = performance.now() - started;
  const after = heapBytes();
  console.log(
    `build: ${(buildMs / 1000).toFixed(1)} s (${Math.round(size / (buildMs / 1000))} inserts/s); memory: +${((after - before) / 2 ** 20).toFixed(0)} MiB measured, ${(index.estimateMemoryBytes() / 2 ** 20).toFixed(0)} MiB estimated`,
  );

  // Recall of the graph against exact search, on real query embeddings and on held-out synthetic listings.
  const realQueryVectors = await local.embed(uniqueQueries(100));
  const probeVectors = [...realQueryVectors, ...synthesiseVectors(seedVectors, 100)];
  for (const ef of efValues) {
    index.efSearch = ef;
    let found = 0;
    for (const v of probeVectors) {
      const approximate = new Set((await index.search(v, 10, viewer)).map((h) => h.id));
      found += (await index.searchExact(v, 10, viewer)).filter((h) => approximate.has(h.id)).length;
    }
    const annTimes = await indexOnlyLatency(index, probeVectors);
    console.log(
      `efSearch ${ef}: recall@10 vs exact ${(found / (probeVectors.length * 10)).toFixed(4)} over ${probeVectors.length} queries; ANN p50 ${ms(percentile(annTimes, 50))} p95 ${ms(percentile(annTimes, 95))}`,
    );
  }
  index.efSearch = efSearch;
  const exactTimes: number[] = [];
  for (const v of probeVectors.slice(0, 30)) {
    const t = performance.now();
    await index.searchExact(v, CANDIDATES, viewer);
    exactTimes.push(performance.now() - t);
  }
  exactTimes.sort((a, b) => a - b);
  console.log(`exact scan for comparison: p50 ${ms(percentile(exactTimes, 50))}`);
  if (args.has('hnswlib')) await measureHnswlib(points, probeVectors, index);
  if (indexOnly) continue;

  const cold = await sequentialLatency(local, index, uniqueQueries(150));
  console.log(
    `end to end, every query new (model call each time): p50 ${ms(percentile(cold, 50))} p95 ${ms(percentile(cold, 95))}`,
  );

  // Repeated queries, as search logs show: Zipf-distributed over 2,000 distinct queries, LRU cache in front.
  const pool = uniqueQueries(2_000);
  const zipfWeights = pool.map((_, rank) => 1 / (rank + 1));
  const total = zipfWeights.reduce((a, b) => a + b, 0);
  const zipfStream = Array.from({ length: 600 }, () => {
    let r = random() * total;
    let i = 0;
    while ((r -= zipfWeights[i]!) > 0) i++;
    return pool[i]!;
  });
  const cached = new CachedEmbedder(local, 10_000);
  const warm = await sequentialLatency(cached, index, zipfStream);
  const hitRate = 1 - cached.size / zipfStream.length;
  console.log(
    `end to end, Zipf query stream with query-vector cache (hit rate ${(hitRate * 100).toFixed(0)}%): p50 ${ms(percentile(warm, 50))} p95 ${ms(percentile(warm, 95))}`,
  );

  const loadCold = await concurrentThroughput(local, index, uniqueQueries(300));
  console.log(
    `${CLIENTS} concurrent clients, every query new: ${loadCold.qps.toFixed(0)} queries/s, p50 ${ms(loadCold.p50)} p95 ${ms(loadCold.p95)}`,
  );
  const cachedLoad = new CachedEmbedder(local, 10_000);
  const loadWarm = await concurrentThroughput(cachedLoad, index, zipfStream);
  console.log(
    `${CLIENTS} concurrent clients, Zipf stream with cache: ${loadWarm.qps.toFixed(0)} queries/s, p50 ${ms(loadWarm.p50)} p95 ${ms(loadWarm.p95)}`,
  );
}
await local.close();

/** The same catalog in hnswlib-node: build time, recall@10 against the same exact search, latency, a saved graph. */
async function measureHnswlib(
  points: { vector: Float32Array; payload: VectorPayload }[],
  probeVectors: Float32Array[],
  reference: InMemoryVectorIndex,
): Promise<void> {
  // CommonJS, and optional: a machine where its native build failed still runs the rest of the bench.
  const { HierarchicalNSW } = (await import('hnswlib-node')).default;
  const m = linksPerNode ?? 16;
  const efc = efConstruction ?? 128;
  const native = new HierarchicalNSW('cosine', points[0]!.vector.length);
  let began = performance.now();
  native.initIndex(points.length, m, efc, 100);
  points.forEach((point, label) => native.addPoint(Array.from(point.vector), label));
  const buildMs = performance.now() - began;
  const accept = (label: number) => matchesFilter(points[label]!.payload, viewer);
  const search = (v: Float32Array, k: number) =>
    native.searchKnn(Array.from(v), k, accept).neighbors.map((label) => `listing-${label}`);
  for (const ef of efValues) {
    native.setEf(Math.max(ef, CANDIDATES));
    let found = 0;
    const times: number[] = [];
    for (const v of probeVectors) {
      const approximate = new Set(search(v, 10));
      found += (await reference.searchExact(v, 10, viewer)).filter((h) => approximate.has(h.id)).length;
      const t = performance.now();
      search(v, CANDIDATES);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(
      `hnswlib-node, efSearch ${ef}: recall@10 vs exact ${(found / (probeVectors.length * 10)).toFixed(4)}; ANN p50 ${ms(percentile(times, 50))} p95 ${ms(percentile(times, 95))}; build ${(buildMs / 1000).toFixed(1)} s`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-hnsw-'));
  try {
    const file = join(dir, 'graph.bin');
    began = performance.now();
    native.writeIndexSync(file);
    const writeMs = performance.now() - began;
    const loaded = new HierarchicalNSW('cosine', points[0]!.vector.length);
    began = performance.now();
    loaded.readIndexSync(file);
    console.log(
      `hnswlib-node graph saved in ${ms(writeMs)} (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB), loaded in ${ms(performance.now() - began)} (${loaded.getCurrentCount()} points)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
