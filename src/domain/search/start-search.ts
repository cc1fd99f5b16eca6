import { CachedEmbedder, type Embedder } from '../../adapters/embeddings/index.js';
import {
  InMemoryVectorIndex,
  QdrantVectorIndex,
  type VectorIndex,
} from '../../adapters/vector-index/index.js';
import type { Config } from '../../config.js';
import type { NotifiedCache } from '../../db/notified-cache.js';
import type { Db } from '../../db/pool.js';
import type { Logger } from '../../logger.js';
import { SearchIndexSync } from './search-index-sync.js';
import type { SearchCard } from './search-repository.js';
import { createSearchService } from './search-service.js';

/** Builds the configured vector index: Qdrant when QDRANT_URL is set, else the in-process index. */
export function createVectorIndex(
  config: Pick<Config, 'qdrantUrl' | 'qdrantApiKey'>,
  embedder: Embedder,
): VectorIndex {
  const model = { embeddingModel: embedder.model, dimensions: embedder.dimensions };
  return config.qdrantUrl
    ? new QdrantVectorIndex({ url: config.qdrantUrl, apiKey: config.qdrantApiKey, ...model })
    : new InMemoryVectorIndex(model);
}

/**
 * Starts the API's search stack: the configured embedder (cached for repeated queries), the vector
 * index loaded from its snapshot or rebuilt from PostgreSQL and kept in sync with it, and the search
 * service over both.
 */
export async function startSearch(input: {
  config: Config;
  db: Db;
  logger: Logger;
  embedder: Embedder;
  /** Listings' search cards kept in memory (invalidated by catalog announcements); absent: read each time. */
  cards?: NotifiedCache<SearchCard>;
}) {
  const index = createVectorIndex(input.config, input.embedder);
  if (index instanceof InMemoryVectorIndex)
    input.logger.info({ engine: index.engine }, 'in-process vector index');
  const sync = new SearchIndexSync({
    databaseUrl: input.config.databaseUrl,
    db: input.db,
    index,
    logger: input.logger,
    snapshotDir: input.config.searchIndexDir,
  });
  await sync.start();
  const search = createSearchService({
    db: input.db,
    embedder: new CachedEmbedder(input.embedder),
    index,
    cards: input.cards,
  });
  return {
    search,
    sync,
    index,
    async stop() {
      await sync.stop();
      await index.close();
    },
  };
}
