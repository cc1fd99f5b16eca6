import { proxyActivities } from '@temporalio/workflow';
import type { ExecuteActivities } from '../activities/execute.js';
import { rootCauseMessage } from './saga.js';

/** The id of an execution's workflow. */
export const executeWorkflowId = (executionId: string) => `execute:${executionId}`;

/** What starts an execution: its id (input and output stay in PostgreSQL) and the version's deadline. */
export interface ExecuteInput {
  executionId: string;
  timeoutSeconds: number;
}

const bookkeeping = proxyActivities<ExecuteActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    maximumInterval: '10 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['NotEntitled'],
  },
});

/**
 * Runs one invocation of an installed agent (id `execute:<executionId>`): checks the installation
 * may be invoked, runs the agent under the version's deadline with heartbeats, and records its
 * output and one usage event. Ends in exactly one terminal state, with a reason when it failed.
 */
export async function executeAgent(input: ExecuteInput): Promise<{ status: string; reason: string | null }> {
  // The agent gets its own deadline inside the sandbox; the activity's is a little longer so the
  // sandbox, not Temporal, reports the timeout. A lost worker is noticed by the missing heartbeat.
  const agent = proxyActivities<ExecuteActivities>({
    startToCloseTimeout: `${input.timeoutSeconds + 30} seconds`,
    heartbeatTimeout: '15 seconds',
    retry: {
      initialInterval: '1 second',
      maximumAttempts: 3,
      nonRetryableErrorTypes: ['NotEntitled', 'ExecutionNotFound'],
    },
  });
  try {
    await bookkeeping.beginExecution({ executionId: input.executionId });
    return await agent.runExecution({ executionId: input.executionId });
  } catch (error) {
    const reason = rootCauseMessage(error);
    await bookkeeping.failExecution({ executionId: input.executionId, reason });
    return { status: 'failed', reason };
  }
}
