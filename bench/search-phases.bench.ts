// Where one search request's time goes, phase by phase, on a catalog of --listings searchable
// listings in a fresh PostgreSQL database (no Temporal needed): embedding the query (new and cached),
// the full-text SQL, the vector search, fusion, the quality-signal SQL, hydration SQL (listings and
// stats), and serialising the answer; then the whole search service, sequentially and with
// --clients concurrent callers, for new queries and for one repeated query.
// Run: npx tsx bench/search-phases.bench.ts [--listings=10000] [--queries=60] [--clients=20] [--keep]
//   [--no-caches]: the whole-service figures without the in-memory search cards and result cache
//   (add `node --cpu-prof --import tsx` instead of `npx tsx` for a CPU profile of the same run)
// Never part of the test suite. The machine may be shared: the load average is printed with the figures.
import { loadavg } from 'node:os';
import { CachedEmbedder } from '../src/adapters/embeddings/cached-embedder.js';
import { LocalEmbedder } from '../src/adapters/embeddings/local-embedder.js';
import type { VectorFilter } from '../src/adapters/vector-index/vector-index.js';
import type { Config } from '../src/config.js';
import { readListingsStats } from '../src/domain/catalog/listing-stats.js';
import { fuseByScore, scoreFusionFor } from '../src/domain/search/hybrid-fusion.js';
import { breakTiesByQuality, tieBreakWindow } from '../src/domain/search/quality-tie-break.js';
import { paginateResults } from '../src/domain/search/paginate-results.js';
import {
  lexicalCandidates,
  loadQualitySignals,
  loadSearchCards,
  loadSearchListings,
  type SearchCard,
  storeEmbedding,
  writeSearchDocument,
} from '../src/domain/search/search-repository.js';
import { searchQuerySchema } from '../src/domain/search/search-query.js';
import { startSearch } from '../src/domain/search/start-search.js';
import { cacheSearchResults, type SearchPage } from '../src/domain/search/search-result-cache.js';
import { CATALOG_CHANGES_CHANNEL } from '../src/domain/catalog/repository.js';
import { NotifiedCache } from '../src/db/notified-cache.js';
import { createLogger } from '../src/logger.js';
import { createPool } from '../src/db/pool.js';
import { ensureDatabase, migrate } from '../src/db/migrate.js';
import { seedOrg, seedPublishedListings, seedSearchableListings } from '../test/support/seed.js';
import { adminDatabaseUrl } from '../test/support/test-services.js';
import { percentile } from './bench-bazaar.js';
import pg from 'pg';

const args = new Map(
  process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]),
);
const listingCount = Number(args.get('listings') ?? 10_000);
const queryCount = Number(args.get('queries') ?? 60);
const clients = Number(args.get('clients') ?? 20);
const CANDIDATES = 200;

const logger = createLogger('warn');
const adminUrl = new URL(adminDatabaseUrl());
const databaseName = `bazaar_phases_${Date.now()}_${process.pid}`;
const databaseUrl = new URL(adminUrl);
databaseUrl.pathname = `/${databaseName}`;
await ensureDatabase(databaseUrl.toString());
await migrate(databaseUrl.toString());
const db = createPool(databaseUrl.toString(), logger);
const embedder = new LocalEmbedder();
let search: Awaited<ReturnType<typeof startSearch>> | undefined;
let stopCaches = async () => {};

try {
  // Three listings embedded for real; the rest borrow their embeddings (with noise) and descriptions.
  const descriptions = [
    'Decides refund requests against the store policy and answers the customer',
    'Reads supplier invoices, checks totals and routes them for approval',
    'Triages support tickets by urgency and routes them to the right team',
  ];
  const publisher = await seedOrg(db, 'phases-publisher');
  const real = await seedPublishedListings(db, {
    publisherOrgId: publisher.id,
    listings: descriptions.map((_, i) => ({ slug: `real-${i}`, name: `Real agent ${i}` })),
    category: 'bench',
  });
  const vectors = await embedder.embed(descriptions);
  for (const [i, listing] of real.entries()) {
    await db.query(
      `UPDATE listing_versions SET manifest = jsonb_build_object('description', $2::text,
         'pricing', jsonb_build_object('model', 'free', 'currency', 'usd')), published_at = now() WHERE id = $1`,
      [listing.versionId, descriptions[i]],
    );
    await db.query('UPDATE listings SET latest_version_id = $2 WHERE id = $1', [
      listing.id,
      listing.versionId,
    ]);
    await writeSearchDocument(db, listing.versionId);
    await storeEmbedding(db, {
      versionId: listing.versionId,
      model: embedder.model,
      vector: vectors[i]!,
      sha256: `real-${i}`,
    });
  }
  await seedSearchableListings(db, {
    publisherOrgId: publisher.id,
    count: listingCount - real.length,
    slugPrefix: 'seeded',
    descriptions: descriptions.map((d) => `${d}, for another team`),
    embeddingsOf: real.map((l) => l.versionId),
  });
  await db.query('ANALYZE');
  const config = { databaseUrl: databaseUrl.toString() } as Config;
  // --no-caches: the search service as it was before the in-memory cards and result cache.
  const cached = !args.has('no-caches');
  const cacheOf = <V>(anyChangeClearsAll: boolean) =>
    new NotifiedCache<V>({
      databaseUrl: config.databaseUrl,
      logger,
      channel: CATALOG_CHANGES_CHANNEL,
      ttlMs: 60_000,
      maxEntries: 20_000,
      anyChangeClearsAll,
    });
  const cards = cached ? cacheOf<SearchCard>(false) : undefined;
  const pages = cached ? cacheOf<SearchPage>(true) : undefined;
  await cards?.start();
  await pages?.start();
  if (pages) cards?.onForget(() => pages.clear());
  stopCaches = async () => {
    await cards?.stop();
    await pages?.stop();
  };
  search = await startSearch({ config, db, logger, embedder, cards });
  const viewer = (await seedOrg(db, 'phases-viewer')).id;
  const filter: VectorFilter = { viewerOrgId: viewer };
  const words = ['refund policy', 'invoice totals', 'support tickets', 'routing urgency', 'money back'];
  const newQuery = (i: number, tag: string) => `${words[i % words.length]} ${tag} ${i}`;
  await embedder.embed(['warm up the model']);

  const phases = new Map<string, number[]>();
  const time = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    const result = await work();
    phases.set(name, [...(phases.get(name) ?? []), performance.now() - started]);
    return result;
  };
  const queryVectors = new CachedEmbedder(embedder);
  for (let i = 0; i < queryCount; i++) {
    const q = newQuery(i, 'phase');
    const [vector] = await time('embed the query (new text, model call)', () => queryVectors.embed([q]));
    await time('embed the query (cached)', () => queryVectors.embed([q]));
    const lexical = await time('full-text SQL (200 candidates)', () =>
      lexicalCandidates(db, { query: q, filter, limit: CANDIDATES }),
    );
    const semantic = await time('vector search (200 candidates)', () =>
      search!.index.search(vector!, CANDIDATES, filter),
    );
    const fused = await time('fusion', () => fuseByScore(lexical, semantic, scoreFusionFor(embedder.model)));
    const window = tieBreakWindow(fused, { limit: 20 });
    const signals = await time('quality-signal SQL', () => loadQualitySignals(db, window));
    const page = paginateResults(breakTiesByQuality(fused, signals), {
      limit: 20,
      fingerprint: '0000000000000000',
    });
    const ids = page.results.map((r) => r.id);
    const [listings, stats] = await time('hydration SQL (listings ∥ stats)', () =>
      Promise.all([loadSearchListings(db, ids, viewer), readListingsStats(db, ids)]),
    );
    await time('search cards SQL for the window (one round trip)', () => loadSearchCards(db, window));
    const body = page.results.map((r) => ({ listing: { ...listings.get(r.id), stats: stats.get(r.id) } }));
    await time('JSON.stringify of the page', () => JSON.stringify({ results: body, nextCursor: null }));
  }
  console.log(
    `${listingCount.toLocaleString('en')} listings, ${queryCount} queries; load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}; node ${process.version}`,
  );
  for (const [name, times] of phases) {
    times.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(42)} p50 ${percentile(times, 50).toFixed(2).padStart(7)} ms   p95 ${percentile(times, 95)
        .toFixed(2)
        .padStart(7)} ms`,
    );
  }

  const service = pages ? cacheSearchResults(search.search, pages) : search.search;
  console.log(cached ? 'with the search cards and result caches' : 'without caches (--no-caches)');
  const parse = (q: string) => searchQuerySchema.parse({ q });
  const run = async (label: string, queries: string[], concurrency: number) => {
    const times: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < queries.length) {
          const q = queries[next++]!;
          const t = performance.now();
          JSON.stringify(await service.search(parse(q), viewer));
          times.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    times.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(52)} ${(queries.length / seconds).toFixed(0).padStart(6)} searches/s   p50 ${percentile(times, 50).toFixed(1)} ms   p95 ${percentile(times, 95).toFixed(1)} ms`,
    );
  };
  const fresh = (tag: string) => Array.from({ length: queryCount }, (_, i) => newQuery(i, tag));
  console.log('\nthe search service, whole:');
  await run('new queries, one at a time', fresh('seq'), 1);
  await run(`new queries, ${clients} concurrent callers`, fresh('conc'), clients);
  await run('one repeated query, one at a time', Array(queryCount * 5).fill('refund requests'), 1);
  await run(
    `one repeated query, ${clients} concurrent callers`,
    Array(queryCount * 20).fill('refund requests'),
    clients,
  );
} finally {
  await search?.stop();
  await stopCaches();
  await embedder.close();
  await db.end();
  if (args.has('keep')) console.log(`kept database ${databaseUrl}`);
  else {
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
    await admin.end();
  }
}
