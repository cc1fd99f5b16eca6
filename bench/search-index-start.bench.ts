// The API's search index start-up on N listings in PostgreSQL: built from scratch, then loaded from
// its snapshot (nothing changed), then loaded after --changed listings' ratings changed; with the
// snapshot's size, write time and the longest the write held the event loop. Vectors are synthetic
// (512 dimensions, as the default model's).
// Run: npx tsx bench/search-index-start.bench.ts [--listings=10000] [--changed=100]
// Never part of the test suite.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { InMemoryVectorIndex } from '../src/adapters/vector-index/in-memory-vector-index.js';
import { ensureDatabase, migrate } from '../src/db/migrate.js';
import { SearchIndexSync } from '../src/domain/search/search-index-sync.js';
import { createLogger } from '../src/logger.js';
import { seedOrg, seedPublishedListings } from '../test/support/seed.js';

const args = new Map(
  process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]),
);
const listingCount = Number(args.get('listings') ?? 10_000);
const changed = Number(args.get('changed') ?? 100);
const MODEL = 'bench-model';
const DIMENSIONS = 512;

const admin = process.env.BAZAAR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const url = new URL(admin);
const name = `bazaar_bench_index_start_${randomUUID().slice(0, 8)}`;
url.pathname = `/${name}`;
await ensureDatabase(url.toString());
await migrate(url.toString());
const db = new pg.Pool({ connectionString: url.toString(), max: 4 });
const dir = join(await mkdtemp(join(tmpdir(), 'bazaar-bench-index-')), 'search-index');
const logger = createLogger('warn');

async function start(snapshotDir: string | null) {
  const index = new InMemoryVectorIndex({ embeddingModel: MODEL, dimensions: DIMENSIONS });
  const sync = new SearchIndexSync({ databaseUrl: url.toString(), db, index, logger, snapshotDir });
  const startedAt = performance.now();
  const started = await sync.start();
  const seconds = (performance.now() - startedAt) / 1000;
  return { sync, started, seconds, engine: index.engine };
}

try {
  let t = performance.now();
  const publisher = await seedOrg(db, 'bench-publisher');
  const listings = await seedPublishedListings(db, {
    publisherOrgId: publisher.id,
    listings: Array.from({ length: listingCount }, (_, i) => ({ slug: `bench-${i}`, name: `Bench ${i}` })),
    manifest: { description: 'bench', pricing: { model: 'free' } },
  });
  await db.query(
    `UPDATE listings l SET latest_version_id = v.id FROM listing_versions v WHERE v.listing_id = l.id`,
  );
  await db.query(
    // Clustered like real listings (uniform random vectors are a graph's worst case): 200 centres plus noise.
    `INSERT INTO version_embeddings (version_id, model, dimensions, vector, text_sha256)
     SELECT v.id, $1, $2,
            ARRAY(SELECT sin(((hashtext(v.id::text) & 255) % 200) * 7.3 + j * 1.7) + (random() - 0.5) * 0.3
                  FROM generate_series(1, $2) AS j)::real[],
            md5(v.id::text)
     FROM listing_versions v`,
    [MODEL, DIMENSIONS],
  );
  console.log(`seeded ${listingCount} listings in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const scratch = await start(dir);
  console.log(
    `from scratch (engine ${scratch.engine}): ${scratch.seconds.toFixed(2)} s, ${scratch.started.inserted} inserted`,
  );
  t = performance.now();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  await scratch.sync.stop();
  lag.disable();
  let bytes = 0;
  for (const file of await readdir(dir)) bytes += (await stat(join(dir, file))).size;
  console.log(
    `snapshot written (at stop): ${((performance.now() - t) / 1000).toFixed(2)} s, ${(bytes / 2 ** 20).toFixed(0)} MiB; longest event loop block meanwhile ${(lag.max / 1e6).toFixed(0)} ms`,
  );

  const unchanged = await start(dir);
  console.log(
    `from snapshot, nothing changed: ${unchanged.seconds.toFixed(2)} s, ${unchanged.started.inserted} inserted`,
  );
  await unchanged.sync.stop();

  await db.query(`UPDATE listings SET rating_average = 4.5 WHERE id = ANY($1::uuid[])`, [
    listings.slice(0, changed).map((listing) => listing.id),
  ]);
  const caughtUp = await start(dir);
  console.log(
    `from snapshot, ${changed} ratings changed: ${caughtUp.seconds.toFixed(2)} s, ${caughtUp.started.inserted} inserted`,
  );
  await caughtUp.sync.stop();
} finally {
  await db.end();
  await rm(join(dir, '..'), { recursive: true, force: true });
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await client.end();
}
