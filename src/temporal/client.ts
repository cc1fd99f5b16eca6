import type { AsyncLocalStorage } from 'node:async_hooks';
import { Client, Connection, type CallContext, type WorkflowClientInterceptor } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client/index.js';
import type { Metrics } from '../observability/metrics.js';

/** How to reach Temporal: its frontend address and, for Temporal Cloud, an API key (TLS then on). */
export interface TemporalEndpoint {
  address: string;
  apiKey?: string;
}

/** Connection options shared by the client and the worker: TLS whenever an API key is sent. */
export function connectionOptions({ address, apiKey }: TemporalEndpoint) {
  return apiKey ? { address, apiKey, tls: true } : { address };
}

/**
 * Opens the API's Temporal client, returning its connection too (for operator calls and closing);
 * with metrics, every workflow it starts counts in `bazaar_workflow_starts_total`; with tracing,
 * every start and signal carries the caller's trace context in the workflow's headers.
 */
export async function createTemporalClient(
  input: TemporalEndpoint & { namespace: string; metrics?: Metrics; tracing?: boolean },
) {
  const connection = await Connection.connect(connectionOptions(input));
  keepCallContextSynchronously(connection.callContextStorage);
  const workflow = [
    ...(input.tracing ? [new OpenTelemetryWorkflowClientInterceptor()] : []),
    ...(input.metrics ? [countWorkflowStarts(input.metrics)] : []),
  ];
  return {
    connection,
    client: new Client({ connection, namespace: input.namespace, interceptors: { workflow } }),
  };
}

// Counted once Temporal accepted the start: "already started" throws and is not a start.
function countWorkflowStarts(metrics: Metrics): WorkflowClientInterceptor {
  return {
    async startWithDetails(input, next) {
      const output = await next(input);
      metrics.workflowStarts.inc({ type: input.workflowType });
      return output;
    },
  };
}

// The connection hands each call's context (the namespace header, a deadline) to its RPC through an
// AsyncLocalStorage, read synchronously inside run() (protobufjs calls the RPC before returning).
// On Node 20 an AsyncLocalStorage in use runs a hook for every promise the whole process makes, and
// every namespaced call uses it: a few % of each cached read, though no read calls Temporal. A
// variable set for the duration of run() does the same job here. The cost: a context given to
// withMetadata/withDeadline no longer reaches calls made after an await inside it; Bazaar gives none.
function keepCallContextSynchronously(storage: AsyncLocalStorage<CallContext>): void {
  let current: CallContext | undefined;
  storage.getStore = () => current;
  storage.run = <R, A extends unknown[]>(store: CallContext, callback: (...args: A) => R, ...args: A): R => {
    const previous = current;
    current = store;
    try {
      return callback(...args);
    } finally {
      current = previous;
    }
  };
  storage.disable();
}
