export { type VectorFilter, type VectorIndex, type VectorPoint } from './vector-index.js';
export { InMemoryVectorIndex } from './in-memory-vector-index.js';
export { QdrantVectorIndex } from './qdrant-vector-index.js';
