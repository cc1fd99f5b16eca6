// The search index's snapshot on real PostgreSQL: a start without one builds the index and writes it;
// the next start loads it and reads from PostgreSQL only the listings that changed meanwhile, and
// then answers exactly as an index built from scratch.
import { mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryVectorIndex } from '../../src/adapters/vector-index/in-memory-vector-index.js';
import { loadHnswlib } from '../../src/adapters/vector-index/native-hnsw-graph.js';
import type { VectorFilter } from '../../src/adapters/vector-index/vector-index.js';
import { createPool, type Db } from '../../src/db/pool.js';
import { SearchIndexSync } from '../../src/domain/search/search-index-sync.js';
import {
  announceListingChanged,
  removeFromSearch,
  storeEmbedding,
} from '../../src/domain/search/search-repository.js';
import { createLogger } from '../../src/logger.js';
import { createOwnDatabase } from '../support/own-database.js';
import { seedOrg, seedPublishedListings, type SeededListing } from '../support/seed.js';
import { waitFor } from '../support/wait-for.js';

const MODEL = 'snapshot-integration-model';
const DIMENSIONS = 8;

let seed = 7;
function randomVector(): Float32Array {
  return Float32Array.from({ length: DIMENSIONS }, () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 30 - 1;
  });
}

describe.skipIf(!loadHnswlib())('search index snapshot', () => {
  let database: Awaited<ReturnType<typeof createOwnDatabase>>;
  let db: Db;
  let dir: string;
  let publisherId: string;
  const logger = createLogger('silent');

  /** Searchable listings: published, latest version set, embedded by MODEL. */
  async function seedSearchable(count: number, prefix: string): Promise<SeededListing[]> {
    const listings = await seedPublishedListings(db, {
      publisherOrgId: publisherId,
      listings: Array.from({ length: count }, (_, n) => ({ slug: `${prefix}-${n}`, name: `${prefix} ${n}` })),
      manifest: { description: 'a listing', pricing: { model: 'free' } },
    });
    for (const listing of listings) {
      await db.query('UPDATE listings SET latest_version_id = $2, tags = $3 WHERE id = $1', [
        listing.id,
        listing.versionId,
        listing.slug.endsWith('0') ? ['ten'] : [],
      ]);
      await storeEmbedding(db, {
        versionId: listing.versionId,
        model: MODEL,
        vector: randomVector(),
        sha256: `sha-${listing.slug}`,
      });
    }
    return listings;
  }

  /** Starts a sync over a new index (with the snapshot directory given) and returns both once ready. */
  async function startIndex(snapshotDir: string | null, snapshotIntervalMs?: number) {
    const index = new InMemoryVectorIndex({
      embeddingModel: MODEL,
      dimensions: DIMENSIONS,
      engine: 'hnswlib',
    });
    const sync = new SearchIndexSync({
      databaseUrl: database.url,
      db,
      index,
      logger,
      snapshotDir,
      snapshotIntervalMs,
    });
    const started = await sync.start();
    return { index, sync, started };
  }

  const queries = Array.from({ length: 20 }, randomVector);
  const filters: VectorFilter[] = [
    { viewerOrgId: null },
    { viewerOrgId: 'someone-else', minRating: 3 },
    { viewerOrgId: null, tags: ['ten'] },
  ];
  async function answers(index: InMemoryVectorIndex, viewerOrgId: string) {
    const all = [...filters, { viewerOrgId }];
    return Promise.all(all.flatMap((filter) => queries.map((q) => index.search(q, 10, filter))));
  }

  beforeAll(async () => {
    database = await createOwnDatabase();
    db = createPool(database.url, logger);
    dir = join(await mkdtemp(join(tmpdir(), 'bazaar-search-index-')), 'search-index');
    publisherId = (await seedOrg(db)).id;
  });
  afterAll(async () => {
    await db?.end();
    await database?.drop();
    if (dir) await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('loads the snapshot at the next start and reads only what changed while it was down', async () => {
    const listings = await seedSearchable(40, 'first');
    const first = await startIndex(dir);
    expect(first.started).toEqual({ restored: false, inserted: 40, deleted: 0, points: 40 });
    await first.sync.stop();
    expect((await stat(join(dir, 'snapshot.json'))).mode & 0o777).toBe(0o600);

    // While the API is down: a listing added, one no longer searchable, a rating and a visibility changed.
    const [added] = await seedSearchable(1, 'added');
    await removeFromSearch(db, listings[0]!.versionId);
    await db.query('UPDATE listings SET rating_average = 4.5 WHERE id = $1', [listings[1]!.id]);
    await db.query(`UPDATE listings SET visibility = 'private' WHERE id = $1`, [listings[2]!.id]);

    const second = await startIndex(dir);
    expect(second.started).toEqual({ restored: true, inserted: 3, deleted: 1, points: 40 });
    const scratch = await startIndex(null);
    expect(scratch.started).toEqual({ restored: false, inserted: 40, deleted: 0, points: 40 });
    expect(await answers(second.index, publisherId)).toEqual(await answers(scratch.index, publisherId));
    const ids = (await answers(second.index, publisherId)).flat().map((hit) => hit.id);
    expect(ids).toContain(added!.id);
    expect(ids).not.toContain(listings[0]!.id);
    expect((await answers(second.index, 'another-org')).flat().map((hit) => hit.id)).not.toContain(
      listings[2]!.id,
    );
    await second.sync.stop();
    await scratch.sync.stop();

    // Nothing changed since: the third start reads no vector at all.
    const third = await startIndex(dir, 100);
    expect(third.started).toEqual({ restored: true, inserted: 0, deleted: 0, points: 40 });

    // A change while running reaches the snapshot after the interval, without a stop.
    const written = (await stat(join(dir, 'snapshot.json'))).mtimeMs;
    await db.query('UPDATE listings SET rating_average = 1.5 WHERE id = $1', [listings[3]!.id]);
    await announceListingChanged(db, listings[3]!.id);
    await waitFor(
      async () => (await stat(join(dir, 'snapshot.json'))).mtimeMs !== written,
      'the snapshot written after the change',
    );
    const fourth = await startIndex(dir);
    expect(fourth.started).toEqual({ restored: true, inserted: 0, deleted: 0, points: 40 });
    await third.sync.stop();
    await fourth.sync.stop();
  });

  it('rebuilds from PostgreSQL when the snapshot is damaged, and writes a good one again', async () => {
    await truncate(join(dir, 'snapshot.json'), 100);
    const damaged = await startIndex(dir);
    expect(damaged.started).toEqual({ restored: false, inserted: 40, deleted: 0, points: 40 });
    await damaged.sync.stop();
    const next = await startIndex(dir);
    expect(next.started).toEqual({ restored: true, inserted: 0, deleted: 0, points: 40 });
    await next.sync.stop();
  });
});
