import { condition, continueAsNew, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks.js';

const { deliverDueWebhooks } = proxyActivities<WebhookActivities>({
  // A round sends for at most 20 s, and one attempt may take 15 s more.
  startToCloseTimeout: '2 minutes',
  // The activity heartbeats every 2 s: a killed worker is noticed within 10 s and the round retried.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Wakes an endpoint's delivery loop: something became due (new event, retry, recovery, re-enabled). */
export const wakeWebhookDeliveries = defineSignal('wake');

/** The id of an endpoint's delivery workflow. */
export const webhookDeliveryWorkflowId = (endpointId: string) => `webhooks:${endpointId}`;

// Rounds per run before continuing as new: about 6 history events a round keeps a run under ~1,500.
const DEFAULT_ROUNDS_PER_RUN = 200;
// With nothing pending, how long the loop waits for a wake-up before ending (the next one starts it again).
const IDLE_MS = 10 * 60 * 1000;

/**
 * Drains one endpoint's outbox: sends what is due (an activity, in event order), then sleeps until
 * the next retry is due or a wake-up signal arrives; ends when the endpoint is gone or idle long
 * enough. The deliveries live in PostgreSQL, so this loop holds no state a crash could lose.
 */
export async function deliverWebhooks({
  endpointId,
  roundsPerRun = DEFAULT_ROUNDS_PER_RUN,
}: {
  endpointId: string;
  /** Rounds before the loop continues as a new run (a test sets it low to see that happen). */
  roundsPerRun?: number;
}): Promise<void> {
  let woken = false;
  setHandler(wakeWebhookDeliveries, () => {
    woken = true;
  });
  for (let round = 0; round < roundsPerRun; round++) {
    woken = false;
    const result = await deliverDueWebhooks({ endpointId });
    if (result.next === 'gone') return;
    if (result.next === 'more') continue;
    const wait = result.next === 'later' ? result.inMs : IDLE_MS;
    await condition(() => woken, wait);
    // A wake-up handled in the same activation as the timer still counts: never end with one unseen.
    if (!woken && result.next === 'idle') return;
  }
  await continueAsNew<typeof deliverWebhooks>({ endpointId, roundsPerRun });
}
