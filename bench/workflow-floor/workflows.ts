// The shape of a billing run with nothing in it: a parent starting one child per "tenant", each
// running one local activity that does nothing.
import { executeChild, proxyLocalActivities } from '@temporalio/workflow';

const local = proxyLocalActivities<{ nothing(): Promise<void> }>({ startToCloseTimeout: '1 minute' });

/** A child that runs one no-op local activity, as `billTenant` runs one to build the invoices. */
export async function emptyChild(): Promise<void> {
  await local.nothing();
}

/** Runs `children` empty children, `concurrency` at a time, as `monthlyBilling` does. */
export async function emptyFanOut(input: { children: number; concurrency: number }): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let n = next++; n < input.children; n = next++) {
      await executeChild(emptyChild, { workflowId: `empty-child-${n}` });
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, lane));
}
