import { nonRetryable } from '../domain/failures.js';
import { heartbeat } from '@temporalio/activity';
import type { Embedder } from '../adapters/embeddings/index.js';
import { withTransaction, type Db } from '../db/pool.js';
import {
  announceListingChanged,
  hasEmbedding,
  loadEmbeddingText,
  removeFromSearch,
  storeEmbedding,
  versionsMissingEmbedding,
  writeSearchDocument,
} from '../domain/search/search-repository.js';

/** What the search activities need. */
export interface SearchActivityDeps {
  db: Db;
  embedder: Embedder;
}

/** The activities that keep search data in PostgreSQL. */
export type SearchActivities = ReturnType<typeof createSearchActivities>;

/** Builds the search activities. The vector index follows PostgreSQL through announced changes. */
export function createSearchActivities({ db, embedder }: SearchActivityDeps) {
  /** Embeds one version (skipped when this exact text is already embedded) and writes its full-text document. */
  async function indexOne(versionId: string): Promise<string> {
    const source = await loadEmbeddingText(db, versionId);
    if (!source) throw nonRetryable('VersionNotFound', `version ${versionId} does not exist`);
    const embedded = await hasEmbedding(db, versionId, embedder.model, source.sha256);
    const [vector] = embedded ? [] : await embedder.embed([source.text]);
    await withTransaction(db, async (tx) => {
      if (vector)
        await storeEmbedding(tx, { versionId, model: embedder.model, vector, sha256: source.sha256 });
      await writeSearchDocument(tx, versionId);
      await announceListingChanged(tx, source.listingId);
    });
    return source.listingId;
  }

  return {
    /**
     * Indexes a version for search while it is still hidden: the embedding and full-text document
     * are stored, and become searchable only when the version is published and promoted.
     */
    async indexVersionForSearch({ versionId }: { versionId: string }): Promise<void> {
      await indexOne(versionId);
    },

    /** Compensation for indexVersionForSearch: removes the version's search data. */
    async unindexVersion({ versionId, listingId }: { versionId: string; listingId: string }): Promise<void> {
      await withTransaction(db, async (tx) => {
        await removeFromSearch(tx, versionId);
        await announceListingChanged(tx, listingId);
      });
    },

    /** Embeds up to batchSize versions that have no embedding by the current model; returns how many. */
    async embedMissingVersions({ batchSize }: { batchSize: number }): Promise<number> {
      const versionIds = await versionsMissingEmbedding(db, embedder.model, batchSize);
      for (const versionId of versionIds) {
        await indexOne(versionId);
        heartbeat(versionId);
      }
      return versionIds.length;
    },
  };
}
