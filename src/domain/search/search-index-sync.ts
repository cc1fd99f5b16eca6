import pg from 'pg';
import { InMemoryVectorIndex, type VectorIndex } from '../../adapters/vector-index/index.js';
import {
  readVectorIndexSnapshot,
  writeVectorIndexSnapshot,
} from '../../adapters/vector-index/vector-index-snapshot.js';
import type { Db } from '../../db/pool.js';
import type { Logger } from '../../logger.js';
import { loadIndexPoints, loadIndexStamps, SEARCH_CHANGES_CHANNEL } from './search-repository.js';

/** Listings read, and points written to the index, at a time. */
const FETCH_BATCH = 1000;
const RECONNECT_DELAY_MS = 1000;
const DEFAULT_SNAPSHOT_INTERVAL_MS = 5 * 60_000;

/** How the index was made ready at start: from a snapshot or not, and what PostgreSQL changed in it. */
export interface SearchIndexStart {
  /** Whether a snapshot was loaded (then only the differences were read from PostgreSQL). */
  restored: boolean;
  /** Points read from PostgreSQL and inserted: all of them without a snapshot, the changed ones with. */
  inserted: number;
  /** Points removed because their listing is no longer searchable. */
  deleted: number;
  /** Points in the index once ready. */
  points: number;
}

/** What the sync needs; snapshotDir enables snapshots of an in-process (hnswlib) index. */
export interface SearchIndexSyncDeps {
  databaseUrl: string;
  db: Db;
  index: VectorIndex;
  logger: Logger;
  /** Where the index's snapshot is kept between starts; absent: rebuilt from PostgreSQL at every start. */
  snapshotDir?: string | null;
  /** The least time between two snapshot writes after changes; default 5 minutes. */
  snapshotIntervalMs?: number;
}

/**
 * Keeps a vector index equal to what PostgreSQL says is searchable: at start it loads the last
 * snapshot (when there is one) and reads from PostgreSQL only the points that changed since, else
 * builds the whole index; then it applies one listing at a time as the catalog announces changes
 * (LISTEN/NOTIFY). After a lost connection it reconnects and compares every point again, so nothing
 * announced meanwhile is missed. The snapshot is a cache, never the source of truth: any replica can
 * start without it and catch up from the database.
 */
export class SearchIndexSync {
  private listener: pg.Client | null = null;
  /** The stamp of each point in the index, by listing id (see loadIndexStamps). */
  private readonly indexed = new Map<string, string>();
  private stopped = false;
  private pending: Promise<void> = Promise.resolve();
  private readonly appliedListeners: Array<() => void> = [];
  /** The index changed since the last snapshot written. */
  private unsaved = false;
  private snapshotTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: SearchIndexSyncDeps) {}

  /** Listens for changes, then loads the snapshot and catches up with PostgreSQL; resolves when the index is complete. */
  async start(): Promise<SearchIndexStart> {
    await this.listen();
    let started: SearchIndexStart = { restored: false, inserted: 0, deleted: 0, points: 0 };
    await this.enqueue(async () => {
      started = await this.restoreAndCatchUp();
    });
    // Written after start resolves: the first search need not wait for the disk.
    if (this.unsaved && !started.restored) void this.enqueue(() => this.writeSnapshot());
    return started;
  }

  /** Stops listening and writes the snapshot if the index changed since the last; the index keeps its contents. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    await this.listener?.end().catch(() => undefined);
    await this.pending;
    await this.writeSnapshot();
  }

  /** Calls listener each time a change (or a rebuild) has reached the index: what was read before may be stale. */
  onApplied(listener: () => void): void {
    this.appliedListeners.push(listener);
  }

  private async restoreAndCatchUp(): Promise<SearchIndexStart> {
    const restored = await this.restoreSnapshot();
    const { inserted, deleted } = await this.apply();
    const started = { restored, inserted, deleted, points: this.indexed.size };
    this.deps.logger.info(started, restored ? 'search index loaded and caught up' : 'search index rebuilt');
    return started;
  }

  private async restoreSnapshot(): Promise<boolean> {
    const { index, snapshotDir, logger } = this.deps;
    if (!snapshotDir || !(index instanceof InMemoryVectorIndex)) return false;
    try {
      const stamps = await readVectorIndexSnapshot(snapshotDir, index);
      if (!stamps) return false;
      this.indexed.clear();
      for (const [id, stamp] of stamps) this.indexed.set(id, stamp);
      return true;
    } catch (error) {
      logger.warn(
        { err: error, dir: snapshotDir },
        'search index snapshot unusable; rebuilding from PostgreSQL',
      );
      return false;
    }
  }

  /**
   * Brings the given listings (all when omitted) up to date: reads their stamps, fetches the vectors
   * of those whose stamp differs from the index's, and removes those no longer searchable.
   */
  private async apply(listingIds?: string[]): Promise<{ inserted: number; deleted: number }> {
    const { db, index } = this.deps;
    const current = await loadIndexStamps(db, index.embeddingModel, listingIds);
    const present = new Set<string>();
    const stale: string[] = [];
    let inserted = 0;
    for (const [id, stamp] of current) {
      if (this.indexed.get(id) === stamp) present.add(id);
      else stale.push(id);
    }
    // Most of the catalog stale (a build from scratch): one read of every point, faster than by ids.
    const readAll = listingIds === undefined && stale.length > current.size / 2;
    const batches = readAll ? [undefined] : chunks(stale, FETCH_BATCH);
    const wanted = new Set(stale);
    for (const ids of batches) {
      const all = await loadIndexPoints(db, index.embeddingModel, ids);
      for (const points of chunks(
        all.filter((point) => wanted.has(point.id)),
        FETCH_BATCH,
      )) {
        await index.upsert(points);
        inserted += points.length;
        for (const point of points) {
          this.indexed.set(point.id, point.stamp);
          present.add(point.id);
        }
      }
    }
    const candidates = listingIds ?? [...this.indexed.keys()];
    // A stale listing may have gone between the two reads: it is not present either.
    const gone = candidates.filter((id) => !present.has(id));
    if (gone.length) await index.delete(gone);
    const deleted = gone.filter((id) => this.indexed.delete(id)).length;
    if (inserted || deleted) this.indexChanged();
    for (const listener of this.appliedListeners) listener();
    return { inserted, deleted };
  }

  private indexChanged(): void {
    this.unsaved = true;
    if (!this.deps.snapshotDir || this.snapshotTimer || this.stopped) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      void this.enqueue(() => this.writeSnapshot());
    }, this.deps.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS);
    this.snapshotTimer.unref();
  }

  // Runs in the queue (or after it, at stop), so the index does not change while it is written.
  private async writeSnapshot(): Promise<void> {
    const { index, snapshotDir, logger } = this.deps;
    if (!this.unsaved || !snapshotDir || !(index instanceof InMemoryVectorIndex)) return;
    this.unsaved = false;
    const startedAt = performance.now();
    try {
      const written = await writeVectorIndexSnapshot(snapshotDir, index, this.indexed);
      if (written)
        logger.info(
          { points: this.indexed.size, bytes: written.bytes, ms: Math.round(performance.now() - startedAt) },
          'search index snapshot written',
        );
    } catch (error) {
      // A failed write costs only a longer next start; the index itself is intact.
      logger.warn({ err: error, dir: snapshotDir }, 'search index snapshot not written');
    }
  }

  // Changes are applied one after another so a slow rebuild never overtakes a newer change.
  private enqueue(work: () => Promise<void>): Promise<void> {
    this.pending = this.pending.then(work).catch((error) => {
      this.deps.logger.error({ err: error }, 'search index sync failed; rebuilding');
      if (!this.stopped) setTimeout(() => void this.rebuild(), RECONNECT_DELAY_MS).unref();
    });
    return this.pending;
  }

  private rebuild(): Promise<void> {
    return this.enqueue(async () => {
      const { inserted, deleted } = await this.apply();
      this.deps.logger.info({ points: this.indexed.size, inserted, deleted }, 'search index caught up');
    });
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.deps.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel === SEARCH_CHANGES_CHANNEL && message.payload) {
        const listingId = message.payload;
        void this.enqueue(async () => {
          await this.apply([listingId]);
        });
      }
    });
    client.on('error', (error) => this.deps.logger.warn({ err: error }, 'search change listener lost'));
    client.on('end', () => {
      if (this.stopped) return;
      setTimeout(() => void this.listen().then(() => this.rebuild()), RECONNECT_DELAY_MS).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${SEARCH_CHANGES_CHANNEL}`);
    this.listener = client;
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}
