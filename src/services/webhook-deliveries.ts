import { withTransaction } from '../db/pool.js';
import type { OrgPrincipal } from '../domain/auth/principal.js';
import { AppError, notFound } from '../domain/errors.js';
import {
  findEndpoint,
  insertTestEvent,
  listDeliveries,
  recoverDeliveries,
  retryDelivery,
  wakeEndpoint,
  type OwnedWebhookEndpoint,
} from '../domain/webhooks/repository.js';
import type { ServiceDeps } from './deps.js';

async function ownEndpoint(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  id: string,
  mustBeActive = false,
): Promise<OwnedWebhookEndpoint> {
  const endpoint = await findEndpoint(deps.db, id, principal.orgId);
  if (!endpoint) throw notFound('webhook');
  if (mustBeActive && endpoint.status !== 'active')
    throw new AppError(
      'rule_violation',
      `the webhook is disabled (${endpoint.disabledReason ?? 'no reason given'}); enable it first with PATCH {"status": "active"}`,
    );
  return endpoint;
}

// A manual retry or a recovery is one attempt: the last step of the retry schedule.
const lastStep = (deps: ServiceDeps) => deps.config.webhooks.retryScheduleMs.length - 1;

/** An endpoint's deliveries with their attempts, newest first, cursor paged. */
export async function listWebhookDeliveries(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { id: string; status?: 'pending' | 'succeeded' | 'failed'; cursor?: string; limit: number },
) {
  const endpoint = await ownEndpoint(deps, principal, input.id);
  return listDeliveries(deps.db, { ...input, endpointId: endpoint.id });
}

/** Sends one delivery again now (one attempt), whatever became of it before. */
export async function retryWebhookDelivery(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { id: string; deliveryId: string },
): Promise<void> {
  const endpoint = await ownEndpoint(deps, principal, input.id, true);
  await withTransaction(deps.db, async (tx) => {
    const found = await retryDelivery(tx, {
      endpointId: endpoint.id,
      deliveryId: input.deliveryId,
      lastStep: lastStep(deps),
    });
    if (!found) throw notFound('delivery');
    await wakeEndpoint(tx, endpoint.id);
  });
}

/** Re-sends every event of the endpoint's types since a time; answers how many. */
export async function recoverWebhookDeliveries(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { id: string; since: string },
): Promise<{ deliveries: number }> {
  const endpoint = await ownEndpoint(deps, principal, input.id, true);
  if (Date.parse(input.since) > Date.now()) {
    const message = 'since must not be in the future';
    throw new AppError('invalid_request', message, [{ path: 'json.since', message }]);
  }
  const deliveries = await withTransaction(deps.db, async (tx) => {
    const count = await recoverDeliveries(tx, { endpoint, since: input.since, lastStep: lastStep(deps) });
    await wakeEndpoint(tx, endpoint.id);
    return count;
  });
  return { deliveries };
}

/** Records a webhook.test event and sends it to this endpoint only; answers the event id. */
export async function sendWebhookTest(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { id: string },
): Promise<{ eventId: string }> {
  const endpoint = await ownEndpoint(deps, principal, input.id, true);
  const eventId = await withTransaction(deps.db, (tx) => insertTestEvent(tx, endpoint));
  return { eventId };
}
