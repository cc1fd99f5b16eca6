import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker/index.js';
import type { Context as ActivityContext } from '@temporalio/activity';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities/index.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import { connectionOptions, type TemporalEndpoint } from './client.js';
import { activityMetrics, metricsInterceptorsPath, workflowMetricsSinks } from './worker-metrics.js';

/** The OpenTelemetry workflow interceptors (a workflow-sandbox module the worker bundles). */
const tracingInterceptorsPath = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

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
  /** Continues the trace of whoever started a workflow into its workflow and activity spans. */
  tracing?: Tracing | null;
}): Promise<Worker> {
  const { metrics, tracing } = input;
  return Worker.create({
    connection: input.connection,
    namespace: input.namespace,
    taskQueue: input.taskQueue,
    activities: input.activities,
    interceptors: {
      activity: [
        ...(tracing
          ? [(ctx: ActivityContext) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) })]
          : []),
        ...(metrics ? activityMetrics(metrics) : []),
      ] satisfies NonNullable<WorkerOptions['interceptors']>['activity'],
      workflowModules: [
        ...(tracing ? [tracingInterceptorsPath] : []),
        ...(metrics ? [metricsInterceptorsPath] : []),
      ],
    },
    sinks: {
      ...(tracing && { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) }),
      ...(metrics && workflowMetricsSinks(metrics)),
    },
    workflowsPath,
  });
}
