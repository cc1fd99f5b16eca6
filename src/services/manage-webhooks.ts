import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { OrgPrincipal } from '../domain/auth/principal.js';
import { AppError, notFound } from '../domain/errors.js';
import { rotateSecret } from '../domain/signing/rotating-secrets.js';
import {
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  publicEndpoint,
  updateEndpoint,
  wakeEndpoint,
  webhookSecretName,
  type WebhookEndpoint,
} from '../domain/webhooks/repository.js';
import {
  RemoteEndpointRefusedError,
  RemoteEndpointUnresolvedError,
  resolveEndpoint,
} from '../runtime/remote/resolve-endpoint.js';
import type { ServiceDeps } from './deps.js';

/** The address rules of remote agents, for webhooks: public https only, unless configured otherwise. */
export function webhookAddressPolicy(config: ServiceDeps['config']) {
  const allow = config.webhooks.allowPrivateNetworks;
  return { allowPrivateNetworks: allow, allowPlainHttp: allow };
}

/** Refuses (422, naming `json.url`) a URL Bazaar would never deliver to. */
async function checkUrl(deps: ServiceDeps, url: string): Promise<void> {
  try {
    await resolveEndpoint(url, webhookAddressPolicy(deps.config));
  } catch (error) {
    if (error instanceof RemoteEndpointRefusedError || error instanceof RemoteEndpointUnresolvedError) {
      const message = error.message.replaceAll('the remote endpoint', 'the webhook URL');
      throw new AppError('rule_violation', message, [{ path: 'json.url', message }]);
    }
    throw error;
  }
}

/** Registers a webhook endpoint and makes its signing secret, answered this once. */
export async function createWebhook(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { url: string; eventTypes: string[]; description?: string },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await checkUrl(deps, input.url);
  const endpoint = await insertEndpoint(deps.db, {
    orgId: principal.orgId,
    url: input.url,
    eventTypes: input.eventTypes,
    description: input.description ?? null,
  });
  let secret: string;
  try {
    ({ secret } = await rotateSecret(deps.secrets, {
      orgId: principal.orgId,
      name: webhookSecretName(endpoint.id),
    }));
  } catch (error) {
    // Without a secret nothing could be signed: the endpoint does not stay half made.
    await deleteEndpoint(deps.db, endpoint.id, principal.orgId);
    throw error;
  }
  await recordAudit(deps.db, {
    orgId: principal.orgId,
    actor: principal,
    action: 'webhook.created',
    subjectType: 'webhook_endpoint',
    subjectId: endpoint.id,
    details: { eventTypes: endpoint.eventTypes },
  });
  return { endpoint: publicEndpoint(endpoint), secret };
}

/** The organisation's webhook endpoints. */
export async function listWebhooks(deps: ServiceDeps, principal: OrgPrincipal): Promise<WebhookEndpoint[]> {
  return (await listEndpoints(deps.db, principal.orgId)).map(publicEndpoint);
}

/** One of the organisation's endpoints (404 otherwise). */
export async function getWebhook(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { id: string },
): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(deps.db, input.id, principal.orgId);
  if (!endpoint) throw notFound('webhook');
  return publicEndpoint(endpoint);
}

/** Changes an endpoint's URL, types, description or status (re-enabling wakes its deliveries). */
export async function updateWebhook(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: {
    id: string;
    url?: string;
    eventTypes?: string[];
    description?: string | null;
    status?: 'active' | 'disabled';
  },
): Promise<WebhookEndpoint> {
  if (input.url !== undefined) await checkUrl(deps, input.url);
  const endpoint = await withTransaction(deps.db, async (tx) => {
    const updated = await updateEndpoint(tx, { ...input, orgId: principal.orgId });
    if (!updated) throw notFound('webhook');
    if (updated.status === 'active') await wakeEndpoint(tx, updated.id);
    await recordAudit(tx, {
      orgId: principal.orgId,
      actor: principal,
      action: 'webhook.updated',
      subjectType: 'webhook_endpoint',
      subjectId: updated.id,
      details: { changed: Object.keys(input).filter((key) => key !== 'id') },
    });
    return updated;
  });
  return publicEndpoint(endpoint);
}

/** Deletes an endpoint, its deliveries and its signing secrets. */
export async function deleteWebhook(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { id: string },
): Promise<void> {
  if (!(await deleteEndpoint(deps.db, input.id, principal.orgId))) throw notFound('webhook');
  await deps.secrets.delete(principal.orgId, webhookSecretName(input.id));
  await recordAudit(deps.db, {
    orgId: principal.orgId,
    actor: principal,
    action: 'webhook.deleted',
    subjectType: 'webhook_endpoint',
    subjectId: input.id,
  });
}

/** A new signing secret, answered this once; the old one keeps signing beside it for 24 h. */
export async function rotateWebhookSecret(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { id: string },
): Promise<{ secret: string; rotatedAt: string; previousValidUntil: string | null }> {
  const endpoint = await findEndpoint(deps.db, input.id, principal.orgId);
  if (!endpoint) throw notFound('webhook');
  const rotated = await rotateSecret(deps.secrets, {
    orgId: principal.orgId,
    name: webhookSecretName(endpoint.id),
  });
  await recordAudit(deps.db, {
    orgId: principal.orgId,
    actor: principal,
    action: 'webhook.secret_rotated',
    subjectType: 'webhook_endpoint',
    subjectId: endpoint.id,
    details: { previousValidUntil: rotated.previousValidUntil },
  });
  return rotated;
}
