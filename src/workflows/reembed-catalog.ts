import { proxyActivities } from '@temporalio/workflow';
import type { SearchActivities } from '../activities/search.js';

const { embedMissingVersions } = proxyActivities<SearchActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** The id of the workflow re-embedding the catalog for a model. */
export const reembedWorkflowId = (model: string) => `reembed:${model}`;

/**
 * Embeds every searchable version that has no vector by the configured model yet, in batches. Runs
 * after a change of embedding model (id `reembed:<model>`); until a version is re-embedded it is
 * found by full text only, never by a vector of another model.
 */
export async function reembedCatalog({ batchSize = 100 }: { batchSize?: number } = {}): Promise<number> {
  let total = 0;
  for (;;) {
    const embedded = await embedMissingVersions({ batchSize });
    total += embedded;
    if (embedded < batchSize) return total;
  }
}
