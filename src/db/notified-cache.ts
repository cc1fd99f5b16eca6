import pg from 'pg';
import type { Logger } from '../logger.js';

const RECONNECT_DELAY_MS = 1000;

/** How one cache is kept correct: the channel its changes are announced on, and how long an entry lives. */
export interface NotifiedCacheOptions {
  databaseUrl: string;
  logger: Logger;
  /** The NOTIFY channel; each payload is a tag (e.g. a key or listing id) whose entries are dropped. */
  channel: string;
  ttlMs: number;
  maxEntries?: number;
  /**
   * Every announcement drops every entry, whatever its tag: for values that may depend on any row
   * announced on the channel (a search page can gain or lose any listing).
   */
  anyChangeClearsAll?: boolean;
}

/**
 * An in-process cache of rows read from PostgreSQL, kept correct by the database's announcements
 * (unkey-style): a trigger NOTIFYs a tag at commit and every process drops the entries with that tag.
 * A read taken before a change is never kept after it (snapshot()/set()); while the listener is not
 * connected nothing is served, and the cache starts empty on each (re)connect, so a change announced
 * meanwhile is never missed. The TTL only bounds memory and a bug's reach.
 */
export class NotifiedCache<V> {
  private readonly entries = new Map<string, { value: V; tag: string; until: number }>();
  private listener: pg.Client | null = null;
  private listening = false;
  private stopped = false;
  private reconnecting = false;
  // Bumped by every change heard of: a row read before a change is not kept after it.
  private generation = 0;
  private readonly forgetListeners: Array<() => void> = [];

  constructor(private readonly options: NotifiedCacheOptions) {}

  /** Starts listening; resolves once the cache may be used. */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel !== this.options.channel || !message.payload) return;
      if (this.options.anyChangeClearsAll) this.clear();
      else this.forget(message.payload);
    });
    client.on('error', (error) =>
      this.options.logger.warn({ err: error, channel: this.options.channel }, 'cache change listener lost'),
    );
    client.on('end', () => {
      this.listening = false;
      this.clear();
      if (!this.stopped && this.listener === client) this.reconnectLater();
    });
    this.listener = client;
    await client.connect();
    await client.query(`LISTEN ${this.options.channel}`);
    this.clear();
    this.listening = true;
  }

  private reconnectLater(): void {
    if (this.reconnecting) return;
    this.reconnecting = true;
    setTimeout(() => {
      this.reconnecting = false;
      if (this.stopped) return;
      this.start().catch((error) => {
        this.options.logger.warn({ err: error }, 'cache change listener could not reconnect');
        this.reconnectLater();
      });
    }, RECONNECT_DELAY_MS).unref();
  }

  /** Stops listening and forgets everything. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    this.clear();
    await this.listener?.end().catch(() => undefined);
  }

  /** The cached value, when there is one and the cache is trustworthy now. */
  get(key: string): V | undefined {
    if (!this.listening) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Where the cache stands now: take it before reading from PostgreSQL, give it to set(). */
  snapshot(): number {
    return this.generation;
  }

  /** Keeps a value read from PostgreSQL under a key and tag, unless anything changed since the snapshot. */
  set(key: string, value: V, snapshot: number, tag = key): void {
    if (!this.listening || snapshot !== this.generation) return;
    if (this.entries.size >= (this.options.maxEntries ?? 10_000)) this.entries.clear();
    this.entries.set(key, { value, tag, until: Date.now() + this.options.ttlMs });
  }

  /** Drops every entry with this tag at once (a change made in this process, before its announcement). */
  forget(tag: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (entry.tag === tag) this.entries.delete(key);
    for (const listener of this.forgetListeners) listener();
  }

  /** Drops everything. */
  clear(): void {
    this.generation++;
    this.entries.clear();
    for (const listener of this.forgetListeners) listener();
  }

  /**
   * Calls listener whenever this cache drops entries for a change: for a cache of values built from
   * this one's (each listener connection hears an announcement at its own moment).
   */
  onForget(listener: () => void): void {
    this.forgetListeners.push(listener);
  }
}
