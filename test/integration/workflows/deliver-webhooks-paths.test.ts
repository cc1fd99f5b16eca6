// The deliverWebhooks loop on the run's dev server with a stub activity: a busy endpoint's loop
// continues as a new run after its rounds (so its history stays bounded) and carries on where it
// was, sending everything, until the endpoint is gone.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookDeliveryWorkflowId, type deliverWebhooks } from '../../../src/workflows/deliver-webhooks.js';
import { startStubWorker, type StubWorker } from '../../support/stub-worker.js';

let stubs: StubWorker;
beforeAll(async () => {
  stubs = await startStubWorker(['deliverDueWebhooks']);
});
afterAll(() => stubs?.stop());

describe('deliverWebhooks', () => {
  it('continues as new after its rounds and keeps draining until the endpoint is gone', async () => {
    const endpointId = randomUUID();
    // Seven busy rounds ("more" is due), then the endpoint is deleted.
    stubs.script(endpointId, {
      returns: { deliverDueWebhooks: (calls: number) => ({ next: calls < 7 ? 'more' : 'gone' }) },
    });
    const workflowId = webhookDeliveryWorkflowId(endpointId);
    const first = await stubs.client.workflow.start<typeof deliverWebhooks>('deliverWebhooks', {
      workflowId,
      taskQueue: stubs.taskQueue,
      args: [{ endpointId, roundsPerRun: 3 }],
    });
    // The handle follows the chain of runs to the last one's result.
    await first.result();
    expect(stubs.calls(endpointId)).toEqual(Array(8).fill('deliverDueWebhooks'));

    const firstRun = await stubs.client.workflow.getHandle(workflowId, first.firstExecutionRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
    const last = await stubs.client.workflow.getHandle(workflowId).describe();
    expect(last.runId).not.toBe(first.firstExecutionRunId);
    expect(last.status.name).toBe('COMPLETED');
    // Three runs (3 + 3 + 2 rounds), found by walking back from the last run to the first.
    const chain: string[] = [];
    let runId: string | undefined = last.runId;
    while (runId) {
      chain.unshift(runId);
      const history = await stubs.client.workflow.getHandle(workflowId, runId).fetchHistory();
      runId =
        history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    }
    expect(chain).toHaveLength(3);
    expect(chain[0]).toBe(first.firstExecutionRunId);
  });
});
