export { type Embedder } from './embedder.js';
export { CachedEmbedder } from './cached-embedder.js';
export { createEmbedder } from './create-embedder.js';
