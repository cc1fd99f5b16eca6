// Workflow interceptors the worker loads (interceptors.workflowModules): they report how each
// workflow run ended through a sink, which the worker runs outside the sandbox and not during
// replay, so nothing here adds commands to a history or changes what a workflow decides.
import {
  ContinueAsNew,
  isCancellation,
  proxySinks,
  TemporalFailure,
  type Sinks,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type Next,
} from '@temporalio/workflow';

/** The sink the worker injects: how one workflow run ended. */
export interface MetricsSinks extends Sinks {
  metrics: { workflowEnded(outcome: 'completed' | 'failed' | 'cancelled' | 'continued_as_new'): void };
}

const { metrics } = proxySinks<MetricsSinks>();

/** Reports the run's outcome once it ends; the result or error passes through unchanged. */
class WorkflowOutcomeInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
    try {
      const result = await next(input);
      metrics.workflowEnded('completed');
      return result;
    } catch (error) {
      if (error instanceof ContinueAsNew) metrics.workflowEnded('continued_as_new');
      else if (isCancellation(error)) metrics.workflowEnded('cancelled');
      // Anything else fails only the workflow task, which Temporal retries: not an outcome.
      else if (error instanceof TemporalFailure) metrics.workflowEnded('failed');
      throw error;
    }
  }
}

/** Loaded by the worker from this module's path. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new WorkflowOutcomeInterceptor()],
});
