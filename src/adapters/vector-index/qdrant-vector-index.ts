import { createHash } from 'node:crypto';
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { normalizeVector } from '../embeddings/embedder.js';
import {
  assertPointFits,
  type VectorFilter,
  type VectorHit,
  type VectorIndex,
  type VectorPoint,
} from './vector-index.js';

/** Settings of the Qdrant index; values come from the config module. */
export interface QdrantVectorIndexOptions {
  url: string;
  apiKey?: string;
  embeddingModel: string;
  dimensions: number;
  /** Defaults to `bazaar_listings_<model>`: one collection per model, so vectors never mix. */
  collectionName?: string;
  /** Skip the client's server-version check (it makes a request at construction). */
  checkCompatibility?: boolean;
}

type QdrantFilter = Schemas['Filter'];
type QdrantCondition = Schemas['Condition'];

const KEYWORD_FIELDS = ['orgId', 'visibility', 'category', 'pricingModel', 'tags', 'listingId'] as const;

/** Production vector index on Qdrant, filtering with payload conditions on the server. */
export class QdrantVectorIndex implements VectorIndex {
  readonly embeddingModel: string;
  readonly dimensions: number;
  readonly collectionName: string;
  private readonly client: QdrantClient;
  private collectionReady: Promise<void> | undefined;

  constructor(options: QdrantVectorIndexOptions) {
    this.embeddingModel = options.embeddingModel;
    this.dimensions = options.dimensions;
    this.collectionName =
      options.collectionName ?? `bazaar_listings_${options.embeddingModel.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
    this.client = new QdrantClient({
      url: options.url,
      apiKey: options.apiKey,
      checkCompatibility: options.checkCompatibility ?? false,
    });
  }

  async upsert(points: VectorPoint[]): Promise<void> {
    if (points.length === 0) return;
    for (const point of points) assertPointFits(this, point);
    await this.ensureCollection();
    await this.client.upsert(this.collectionName, {
      wait: true,
      points: points.map((point) => ({
        id: toQdrantId(point.id),
        vector: Array.from(normalizeVector(point.vector)),
        payload: { ...point.payload, pointId: point.id },
      })),
    });
  }

  async delete(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.ensureCollection();
    await this.client.delete(this.collectionName, { wait: true, points: ids.map(toQdrantId) });
  }

  async search(vector: Float32Array, k: number, filter: VectorFilter): Promise<VectorHit[]> {
    if (vector.length !== this.dimensions) {
      throw new Error(`query has ${vector.length} dimensions, index expects ${this.dimensions}`);
    }
    if (k <= 0) return [];
    await this.ensureCollection();
    const response = await this.client.query(this.collectionName, {
      query: Array.from(normalizeVector(vector)),
      limit: k,
      filter: toQdrantFilter(filter),
      with_payload: ['pointId'],
    });
    return response.points.map((point) => ({ id: String(point.payload?.['pointId']), score: point.score }));
  }

  async size(): Promise<number> {
    await this.ensureCollection();
    const { count } = await this.client.count(this.collectionName, { exact: true });
    return count;
  }

  /** Drops the whole collection (tests, and retiring an old embedding model). */
  async dropCollection(): Promise<void> {
    this.collectionReady = undefined;
    const { exists } = await this.client.collectionExists(this.collectionName);
    if (exists) await this.client.deleteCollection(this.collectionName);
  }

  async close(): Promise<void> {}

  private ensureCollection(): Promise<void> {
    this.collectionReady ??= this.createCollectionIfMissing().catch((error: unknown) => {
      this.collectionReady = undefined;
      throw error;
    });
    return this.collectionReady;
  }

  private async createCollectionIfMissing(): Promise<void> {
    const { exists } = await this.client.collectionExists(this.collectionName);
    if (!exists) {
      try {
        await this.client.createCollection(this.collectionName, {
          vectors: { size: this.dimensions, distance: 'Cosine' },
        });
      } catch (error) {
        // Another process may have created it between our check and our create.
        const { exists: nowExists } = await this.client.collectionExists(this.collectionName);
        if (!nowExists) throw error;
      }
    }
    // Payload indexes make filtered search plan well; creating an existing one is a no-op.
    for (const field of KEYWORD_FIELDS) {
      await this.client.createPayloadIndex(this.collectionName, {
        field_name: field,
        field_schema: 'keyword',
        wait: true,
      });
    }
    await this.client.createPayloadIndex(this.collectionName, {
      field_name: 'published',
      field_schema: 'bool',
      wait: true,
    });
    await this.client.createPayloadIndex(this.collectionName, {
      field_name: 'rating',
      field_schema: 'float',
      wait: true,
    });
  }
}

/** Qdrant accepts only UUIDs or integers as ids: derive a stable UUID from the caller's id. */
export function toQdrantId(id: string): string {
  const hex = createHash('sha256').update(`bazaar:${id}`).digest('hex');
  // Shape it as a version-5-style UUID (the variant and version bits set) so any validator accepts it.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Translates our filter, access rule included, into Qdrant payload conditions. */
export function toQdrantFilter(filter: VectorFilter): QdrantFilter {
  const must: QdrantCondition[] = [];
  if (!filter.includeUnpublished) must.push({ key: 'published', match: { value: true } });
  const visible: QdrantCondition[] = [{ key: 'visibility', match: { value: 'public' } }];
  if (filter.viewerOrgId !== null) visible.push({ key: 'orgId', match: { value: filter.viewerOrgId } });
  must.push({ should: visible });
  if (filter.category !== undefined) must.push({ key: 'category', match: { value: filter.category } });
  if (filter.pricingModel !== undefined)
    must.push({ key: 'pricingModel', match: { value: filter.pricingModel } });
  for (const tag of filter.tags ?? []) must.push({ key: 'tags', match: { value: tag } });
  if (filter.minRating !== undefined) must.push({ key: 'rating', range: { gte: filter.minRating } });
  return { must };
}
