// What search's quality tie-break adds per query: loadQualitySignals for the candidates it looks up (the
// page window, typically 20–60; at most all 400 fused) on N listings with 30 days of rollups each.
// Also the stats every search hit carries: readListingsStats for one page (--page, default 20).
// Run: npx tsx bench/quality-signals.bench.ts [--listings=10000] [--candidates=400] [--queries=500] [--page=20]
// Never part of the test suite.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ensureDatabase, migrate } from '../src/db/migrate.js';
import { readListingsStats } from '../src/domain/catalog/listing-stats.js';
import { loadQualitySignals } from '../src/domain/search/search-repository.js';
import { seedOrg, seedPublishedListings } from '../test/support/seed.js';
import { percentile } from './bench-bazaar.js';

const args = new Map(
  process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]),
);
const listingCount = Number(args.get('listings') ?? 10_000);
const candidates = Number(args.get('candidates') ?? 400);
const queries = Number(args.get('queries') ?? 500);
const pageSize = Number(args.get('page') ?? 20);

const admin = process.env.BAZAAR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const url = new URL(admin);
const name = `bazaar_bench_quality_${randomUUID().slice(0, 8)}`;
url.pathname = `/${name}`;
await ensureDatabase(url.toString());
await migrate(url.toString());
const db = new pg.Pool({ connectionString: url.toString(), max: 2 });
try {
  const publisher = await seedOrg(db, 'bench-publisher');
  const listings = await seedPublishedListings(db, {
    publisherOrgId: publisher.id,
    listings: Array.from({ length: listingCount }, (_, i) => ({ slug: `bench-${i}`, name: `Bench ${i}` })),
  });
  const ids = listings.map((listing) => listing.id);
  await db.query(
    `UPDATE listings SET rating_average = 1 + random() * 4, rating_count = (random() * 50)::int,
       active_installation_count = (random() * 100)::int`,
  );
  await db.query(
    `INSERT INTO listing_execution_days (listing_id, day, executions, succeeded, duration_buckets)
     SELECT id, (now() AT TIME ZONE 'UTC')::date - d, 100, 90, array_fill(1, ARRAY[72])
     FROM listings, generate_series(0, 29) AS d`,
  );
  await db.query('ANALYZE');
  const measure = async (label: string, load: (batch: string[]) => Promise<unknown>) => {
    const timings: number[] = [];
    for (let q = 0; q < queries; q++) {
      const start = Math.floor(Math.random() * (ids.length - candidates));
      const began = performance.now();
      await load(ids.slice(start, start + candidates));
      timings.push(performance.now() - began);
    }
    timings.sort((a, b) => a - b);
    console.log(
      `${label}: ${listingCount} listings × 30 rollup days, ${candidates} candidates, ${queries} queries: ` +
        `p50 ${percentile(timings, 50).toFixed(2)} ms, p95 ${percentile(timings, 95).toFixed(2)} ms`,
    );
  };
  // The floor: the same ids, listing columns only (what any per-result lookup costs on this machine).
  await measure('listing row only', (batch) =>
    db.query('SELECT id, rating_average FROM listings WHERE id = ANY($1::uuid[])', [batch]),
  );
  await measure('loadQualitySignals', (batch) => loadQualitySignals(db, batch));
  await measure(`readListingsStats, a page of ${pageSize} (of the candidates)`, (batch) =>
    readListingsStats(db, batch.slice(0, pageSize)),
  );
  if (args.has('explain')) {
    const batch = ids.slice(0, candidates);
    const plan = await db.query(
      `EXPLAIN (ANALYZE, BUFFERS) SELECT l.id, COALESCE(d.executions, 0)::int AS executions FROM listings l
       LEFT JOIN LATERAL (SELECT sum(executions) AS executions FROM listing_execution_days
         WHERE listing_id = l.id AND day > (now() AT TIME ZONE 'UTC')::date - 30) d ON true
       WHERE l.id = ANY($1::uuid[])`,
      [batch],
    );
    console.log(plan.rows.map((row) => row['QUERY PLAN']).join('\n'));
  }
} finally {
  await db.end();
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await client.end();
}
