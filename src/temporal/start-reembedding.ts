import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { reembedCatalog } from '../workflows/reembed-catalog.js';

/**
 * Starts `reembed:<model>`, which embeds every searchable version lacking a vector by the current
 * model (after a model change, or versions indexed before search existed). Safe on every start:
 * a running one is left alone, and a finished one runs again only to pick up stragglers.
 */
export async function startReembedding(client: Client, taskQueue: string, model: string): Promise<void> {
  try {
    await client.workflow.start(reembedCatalog, { workflowId: `reembed:${model}`, taskQueue, args: [{}] });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
