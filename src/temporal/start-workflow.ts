import type { Context as TraceContext } from '@opentelemetry/api';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributePair } from '@temporalio/common';
import type { Db } from '../db/pool.js';
import { recordWorkflowOwner } from '../domain/workflows/repository.js';
import { inTrace } from '../observability/tracing.js';

/** What starting a workflow needs. */
export interface StartWorkflowDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** The trace the start belongs to (a request's); absent: the active context. */
  traceContext?: TraceContext;
}

/**
 * Starts a workflow Bazaar owns: records which organisation owns it (null: the platform), tags it
 * with search attributes for the Web UI, and treats "already started" as success, so starting twice
 * is safe. Answers whether this call started it.
 */
export async function startOwnedWorkflow<A>(
  deps: StartWorkflowDeps,
  input: {
    workflow: (arg: A) => Promise<unknown>;
    workflowId: string;
    kind: string;
    ownerOrgId: string | null;
    arg: A;
    searchAttributes?: SearchAttributePair[];
  },
): Promise<{ started: boolean }> {
  await recordWorkflowOwner(deps.db, {
    workflowId: input.workflowId,
    orgId: input.ownerOrgId,
    kind: input.kind,
  });
  try {
    await inTrace(deps.traceContext, () =>
      deps.temporal.workflow.start(input.workflow, {
        workflowId: input.workflowId,
        taskQueue: deps.taskQueue,
        args: [input.arg],
        typedSearchAttributes: new TypedSearchAttributes(input.searchAttributes ?? []),
      }),
    );
    return { started: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
    throw error;
  }
}
