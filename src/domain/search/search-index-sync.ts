import pg from 'pg';
import type { VectorIndex } from '../../adapters/vector-index/index.js';
import type { Db } from '../../db/pool.js';
import type { Logger } from '../../logger.js';
import { loadIndexPoints, SEARCH_CHANGES_CHANNEL } from './search-repository.js';

const REBUILD_BATCH = 1000;
const RECONNECT_DELAY_MS = 1000;

/**
 * Keeps a vector index equal to what PostgreSQL says is searchable: a full rebuild at start, then
 * one listing at a time as the catalog announces changes (LISTEN/NOTIFY). After a lost connection
 * it reconnects and rebuilds, so nothing announced meanwhile is missed. The API process runs one,
 * which keeps the API stateless: any replica can be restarted and catches up from the database.
 */
export class SearchIndexSync {
  private listener: pg.Client | null = null;
  private readonly indexed = new Set<string>();
  private stopped = false;
  private pending: Promise<void> = Promise.resolve();
  private readonly appliedListeners: Array<() => void> = [];

  constructor(private readonly deps: { databaseUrl: string; db: Db; index: VectorIndex; logger: Logger }) {}

  /** Listens for changes, then rebuilds the index from PostgreSQL; resolves when it is complete. */
  async start(): Promise<void> {
    await this.listen();
    await this.rebuild();
  }

  /** Stops listening; the index keeps its contents. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.listener?.end().catch(() => undefined);
    await this.pending;
  }

  /** Calls listener each time a change (or a rebuild) has reached the index: what was read before may be stale. */
  onApplied(listener: () => void): void {
    this.appliedListeners.push(listener);
  }

  /** Re-reads the given listings (all when omitted) and applies them to the index. */
  private async apply(listingIds?: string[]): Promise<void> {
    const { db, index } = this.deps;
    const points = await loadIndexPoints(db, index.embeddingModel, listingIds);
    for (let start = 0; start < points.length; start += REBUILD_BATCH) {
      await index.upsert(points.slice(start, start + REBUILD_BATCH));
    }
    const present = new Set(points.map((point) => point.id));
    const candidates = listingIds ?? [...this.indexed];
    const gone = candidates.filter((id) => !present.has(id));
    if (gone.length) await index.delete(gone);
    for (const id of gone) this.indexed.delete(id);
    for (const id of present) this.indexed.add(id);
    for (const listener of this.appliedListeners) listener();
  }

  private rebuild(): Promise<void> {
    return this.enqueue(async () => {
      await this.apply();
      this.deps.logger.info({ points: this.indexed.size }, 'search index rebuilt');
    });
  }

  // Changes are applied one after another so a slow rebuild never overtakes a newer change.
  private enqueue(work: () => Promise<void>): Promise<void> {
    this.pending = this.pending.then(work).catch((error) => {
      this.deps.logger.error({ err: error }, 'search index sync failed; rebuilding');
      if (!this.stopped) setTimeout(() => void this.rebuild(), RECONNECT_DELAY_MS).unref();
    });
    return this.pending;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.deps.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel === SEARCH_CHANGES_CHANNEL && message.payload) {
        const listingId = message.payload;
        void this.enqueue(() => this.apply([listingId]));
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
