import { z } from 'zod';
import { pricingModelSchema } from '../../domain/catalog/schemas.js';

/** What the index stores next to each vector, so it can filter without a database round trip. */
export const vectorPayloadSchema = z.object({
  listingId: z.string().min(1),
  versionId: z.string().min(1).optional(),
  orgId: z.string().min(1),
  visibility: z.enum(['public', 'private']),
  /** False while a version is under review (indexed "as hidden"), suspended or deprecated. */
  published: z.boolean(),
  category: z.string().min(1),
  pricingModel: pricingModelSchema,
  tags: z.array(z.string()),
  rating: z.number().min(0).max(5).nullable(),
  /** Embedding model that produced the vector; one index never mixes models. */
  embeddingModel: z.string().min(1),
});
/** Payload stored with each vector. */
export type VectorPayload = z.infer<typeof vectorPayloadSchema>;

/** One vector to store; id is the caller's key (the listing id), upserting replaces it. */
export interface VectorPoint {
  id: string;
  vector: Float32Array;
  payload: VectorPayload;
}

/** Restricts a search; every field given must match. */
export interface VectorFilter {
  /** The caller's organisation: sees public listings and its own private ones. Null: public only. */
  viewerOrgId: string | null;
  category?: string;
  pricingModel?: z.infer<typeof pricingModelSchema>;
  /** The listing must carry every one of these tags. */
  tags?: string[];
  minRating?: number;
  /** Include unpublished points (for the reviewer's preview); default false. */
  includeUnpublished?: boolean;
}

/** One search hit: the point id and its cosine similarity to the query in [-1, 1]. */
export interface VectorHit {
  id: string;
  score: number;
}

/** Nearest-neighbour index over listing vectors with payload filters. */
export interface VectorIndex {
  /** Embedding model and vector length this index accepts. */
  readonly embeddingModel: string;
  readonly dimensions: number;
  /** Inserts or replaces points by id. */
  upsert(points: VectorPoint[]): Promise<void>;
  /** Removes points by id; unknown ids are ignored. */
  delete(ids: string[]): Promise<void>;
  /** Up to k points most similar to the vector that pass the filter, best first. */
  search(vector: Float32Array, k: number, filter: VectorFilter): Promise<VectorHit[]>;
  /** Number of points stored. */
  size(): Promise<number>;
  /** Releases connections; safe to call twice. */
  close(): Promise<void>;
}

/** Rejects a point whose vector or model does not fit the index. */
export function assertPointFits(
  index: Pick<VectorIndex, 'embeddingModel' | 'dimensions'>,
  point: VectorPoint,
): void {
  if (point.vector.length !== index.dimensions) {
    throw new Error(
      `point ${point.id}: vector has ${point.vector.length} dimensions, index expects ${index.dimensions}`,
    );
  }
  if (point.payload.embeddingModel !== index.embeddingModel) {
    throw new Error(
      `point ${point.id}: embedded with ${point.payload.embeddingModel}, index holds ${index.embeddingModel}`,
    );
  }
}
