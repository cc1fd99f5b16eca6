import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities/index.js';
import { connectionOptions, type TemporalEndpoint } from './client.js';

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
  workflowBundle?: WorkerOptions['workflowBundle'];
}): Promise<Worker> {
  return Worker.create({
    connection: input.connection,
    namespace: input.namespace,
    taskQueue: input.taskQueue,
    activities: input.activities,
    ...(input.workflowBundle ? { workflowBundle: input.workflowBundle } : { workflowsPath }),
  });
}
