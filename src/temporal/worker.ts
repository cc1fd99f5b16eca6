import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities/index.js';
import type { Metrics } from '../observability/metrics.js';
import { connectionOptions, type TemporalEndpoint } from './client.js';
import { activityMetrics, metricsInterceptorsPath, workflowMetricsSinks } from './worker-metrics.js';

/** Path of the module that exports every workflow; the worker bundles it. */
export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Connects the worker's native connection to the Temporal frontend. */
export function connectWorker(endpoint: TemporalEndpoint): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(endpoint));
}

/** Creates the worker that runs Bazaar's workflows and activities on one task queue. */
export function createWorker(input: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** Records activity attempts and workflow outcomes into these metrics. */
  metrics?: Metrics;
  workflowBundle?: WorkerOptions['workflowBundle'];
}): Promise<Worker> {
  return Worker.create({
    connection: input.connection,
    namespace: input.namespace,
    taskQueue: input.taskQueue,
    activities: input.activities,
    ...(input.metrics && {
      interceptors: {
        activity: activityMetrics(input.metrics),
        workflowModules: [metricsInterceptorsPath],
      },
      sinks: workflowMetricsSinks(input.metrics),
    }),
    ...(input.workflowBundle ? { workflowBundle: input.workflowBundle } : { workflowsPath }),
  });
}
