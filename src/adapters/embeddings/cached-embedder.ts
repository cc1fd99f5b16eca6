import type { Embedder } from './embedder.js';

/**
 * Wraps an embedder with a least-recently-used cache keyed by the exact text. Meant for search
 * queries: people repeat the same short queries far more often than listings change, and a cache
 * hit skips the 30–50 ms model call.
 */
export class CachedEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  private readonly cache = new Map<string, Float32Array>();

  constructor(
    private readonly inner: Embedder,
    private readonly maxEntries = 10_000,
  ) {
    this.model = inner.model;
    this.dimensions = inner.dimensions;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const found = new Map<string, Float32Array>();
    for (const text of texts) {
      const vector = this.cache.get(text);
      if (vector) found.set(text, vector);
    }
    const missing = [...new Set(texts.filter((text) => !found.has(text)))];
    if (missing.length > 0) {
      const vectors = await this.inner.embed(missing);
      missing.forEach((text, i) => found.set(text, vectors[i]!));
    }
    // Refresh recency (a Map iterates in insertion order) only after every answer is in hand, so an
    // eviction can never take a vector this call still needs.
    for (const [text, vector] of found) {
      this.cache.delete(text);
      this.cache.set(text, vector);
    }
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return texts.map((text) => found.get(text)!);
  }

  /** How many texts are cached. */
  get size(): number {
    return this.cache.size;
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.inner.close();
  }
}
