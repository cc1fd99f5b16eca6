import { reembedCatalog, reembedWorkflowId } from '../workflows/reembed-catalog.js';
import { startOwnedWorkflow, type StartWorkflowDeps } from './start-workflow.js';

/**
 * Starts `reembed:<model>` (owned by the platform), which embeds every searchable version lacking a
 * vector by the current model (after a model change, or versions indexed before search existed).
 * Safe on every start: a running one is left alone.
 */
export async function startReembedding(deps: StartWorkflowDeps, model: string): Promise<void> {
  await startOwnedWorkflow(deps, {
    workflow: reembedCatalog,
    workflowId: reembedWorkflowId(model),
    kind: 'reembed',
    ownerOrgId: null,
    arg: {},
  });
}
