import type { Embedder } from './embedder.js';
import { LocalEmbedder } from './local-embedder.js';
import { OpenAIEmbedder } from './openai-embedder.js';

/** Embedder settings as parsed by the config module. */
export interface EmbedderOptions {
  /** When set (non-empty), OpenAI embeddings are used; otherwise the bundled local model. */
  openaiApiKey?: string;
  openaiModel?: string;
  openaiDimensions?: number;
  openaiBaseURL?: string;
}

/** Chooses the embedder from configuration: OpenAI when a key is given, else the local model. */
export function createEmbedder(options: EmbedderOptions = {}): Embedder {
  const apiKey = options.openaiApiKey?.trim();
  if (apiKey) {
    return new OpenAIEmbedder({
      apiKey,
      model: options.openaiModel,
      dimensions: options.openaiDimensions,
      baseURL: options.openaiBaseURL,
    });
  }
  return new LocalEmbedder();
}
