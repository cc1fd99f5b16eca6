export { normalizeVector, type Embedder } from './embedder.js';
export { LocalEmbedder, LOCAL_EMBEDDING_MODEL, LOCAL_EMBEDDING_DIMENSIONS } from './local-embedder.js';
export {
  OpenAIEmbedder,
  DEFAULT_OPENAI_EMBEDDING_MODEL,
  type OpenAIEmbedderOptions,
} from './openai-embedder.js';
export { CachedEmbedder } from './cached-embedder.js';
export { createEmbedder, type EmbedderOptions } from './create-embedder.js';
