import OpenAI from 'openai';
import { normalizeVector, type Embedder } from './embedder.js';

/** Options for the OpenAI embedder; values come from the config module, never from here. */
export interface OpenAIEmbedderOptions {
  apiKey: string;
  /** Defaults to text-embedding-3-small. */
  model?: string;
  /** Defaults to the model's native size (1536 for text-embedding-3-small). */
  dimensions?: number;
  /** For OpenAI-compatible gateways. */
  baseURL?: string;
  /** Inputs per request; OpenAI accepts up to 2048. */
  maxBatchSize?: number;
  timeoutMs?: number;
  maxRetries?: number;
}

/** Model used when an OpenAI key is configured without a model. */
export const DEFAULT_OPENAI_EMBEDDING_MODEL = 'text-embedding-3-small';

const NATIVE_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** Production embedder backed by the OpenAI embeddings API. */
export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  private readonly client: OpenAI;
  private readonly requestedDimensions: number | undefined;
  private readonly maxBatchSize: number;

  constructor(options: OpenAIEmbedderOptions) {
    if (!options.apiKey) throw new Error('OpenAI embedder needs an API key');
    this.model = options.model ?? DEFAULT_OPENAI_EMBEDDING_MODEL;
    const native = NATIVE_DIMENSIONS[this.model];
    this.requestedDimensions = options.dimensions;
    const dimensions = options.dimensions ?? native;
    if (dimensions === undefined) throw new Error(`dimensions must be given for unknown model ${this.model}`);
    this.dimensions = dimensions;
    this.maxBatchSize = options.maxBatchSize ?? 256;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: options.timeoutMs ?? 20_000,
      maxRetries: options.maxRetries ?? 2,
    });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.maxBatchSize) {
      const batch = texts.slice(start, start + this.maxBatchSize);
      const response = await this.client.embeddings.create({
        model: this.model,
        input: batch,
        ...(this.requestedDimensions !== undefined ? { dimensions: this.requestedDimensions } : {}),
      });
      // The API may answer out of order; index says where each vector belongs.
      const ordered = [...response.data].sort((a, b) => a.index - b.index);
      for (const item of ordered) {
        if (item.embedding.length !== this.dimensions) {
          throw new Error(
            `${this.model} returned ${item.embedding.length} dimensions, expected ${this.dimensions}`,
          );
        }
        vectors.push(normalizeVector(item.embedding));
      }
    }
    return vectors;
  }

  async close(): Promise<void> {}
}
