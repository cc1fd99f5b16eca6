export {
  assertPointFits,
  vectorPayloadSchema,
  type VectorFilter,
  type VectorHit,
  type VectorIndex,
  type VectorPayload,
  type VectorPoint,
} from './vector-index.js';
export { matchesFilter } from './payload-filter.js';
export { HnswGraph, type HnswOptions, type GraphHit } from './hnsw-graph.js';
export { InMemoryVectorIndex, type InMemoryVectorIndexOptions } from './in-memory-vector-index.js';
export {
  QdrantVectorIndex,
  toQdrantFilter,
  toQdrantId,
  type QdrantVectorIndexOptions,
} from './qdrant-vector-index.js';
