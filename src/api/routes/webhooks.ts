import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { eventTypes } from '../../domain/events/event-types.js';
import { deliveryStatusSchema } from '../../domain/webhooks/repository.js';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  rotateWebhookSecret,
  updateWebhook,
} from '../../services/manage-webhooks.js';
import {
  listWebhookDeliveries,
  recoverWebhookDeliveries,
  retryWebhookDelivery,
  sendWebhookTest,
} from '../../services/webhook-deliveries.js';
import type { ApiDeps } from '../env.js';
import { access, errorResponses, jsonBody, jsonResponse } from '../openapi.js';
import { createRouter } from '../router.js';

// Every type but webhook.test, which goes only to the endpoint it is sent for.
const subscribableTypeSchema = z.enum(eventTypes.filter((type) => type !== 'webhook.test'));

const endpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    description: z.string().nullable(),
    status: z.enum(['active', 'disabled']),
    disabledReason: z.string().nullable().openapi({ description: 'Why it is disabled (null when active)' }),
    disabledAt: z.iso.datetime().nullable(),
    failingSince: z.iso.datetime().nullable().openapi({
      description: 'The first failed attempt since the last success; disabled after WEBHOOKS_DISABLE_AFTER',
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('WebhookEndpoint');

const attemptSchema = z.object({
  attemptedAt: z.iso.datetime(),
  statusCode: z.number().int().nullable(),
  latencyMs: z.number().int(),
  responseExcerpt: z.string().nullable().openapi({ description: 'The first 1 KiB of the answer' }),
  error: z.string().nullable(),
  nextRetryAt: z.iso.datetime().nullable(),
});

const deliverySchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid().openapi({ description: 'The webhook-id header of every attempt' }),
    eventType: z.string(),
    status: deliveryStatusSchema,
    attemptCount: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    attempts: z.array(attemptSchema).openapi({ description: 'Newest first (the last 20)' }),
  })
  .openapi('WebhookDelivery');

const urlSchema = z.string().min(1).max(2048).openapi({ example: 'https://example.com/bazaar-events' });
const idParams = z.object({ id: z.uuid() });
const owned = { param: 'id', kind: 'webhook' } as const;

const createWebhookRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks',
  tags: ['webhooks'],
  summary: 'Register a webhook endpoint; its signing secret is answered this once (org admin)',
  ...access('org-admin'),
  request: {
    ...jsonBody(
      z.object({
        url: urlSchema,
        eventTypes: z.array(subscribableTypeSchema).min(1).max(eventTypes.length),
        description: z.string().max(500).optional(),
      }),
    ),
  },
  responses: {
    201: jsonResponse(
      z.object({
        endpoint: endpointSchema,
        secret: z.string().openapi({ description: 'whsec_…: shown once, never again' }),
      }),
      'Registered',
    ),
    ...errorResponses(400, 401, 403, 422),
  },
});

const listWebhooksRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks',
  tags: ['webhooks'],
  summary: "The organisation's webhook endpoints (org admin)",
  ...access('org-admin'),
  responses: {
    200: jsonResponse(z.object({ endpoints: z.array(endpointSchema) }), 'Endpoints, newest first'),
    ...errorResponses(401, 403),
  },
});

const getWebhookRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks/{id}',
  tags: ['webhooks'],
  summary: 'One webhook endpoint (org admin)',
  ...access('org-admin', owned),
  request: { params: idParams },
  responses: { 200: jsonResponse(endpointSchema, 'The endpoint'), ...errorResponses(400, 401, 403, 404) },
});

const patchWebhookRoute = createRoute({
  method: 'patch',
  path: '/v1/webhooks/{id}',
  tags: ['webhooks'],
  summary: 'Change a webhook endpoint; status "active" re-enables a disabled one (org admin)',
  ...access('org-admin', owned),
  request: {
    params: idParams,
    ...jsonBody(
      z
        .object({
          url: urlSchema.optional(),
          eventTypes: z.array(subscribableTypeSchema).min(1).max(eventTypes.length).optional(),
          description: z.string().max(500).nullable().optional(),
          status: z.enum(['active', 'disabled']).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    200: jsonResponse(endpointSchema, 'The endpoint as changed'),
    ...errorResponses(400, 401, 403, 404, 422),
  },
});

const deleteWebhookRoute = createRoute({
  method: 'delete',
  path: '/v1/webhooks/{id}',
  tags: ['webhooks'],
  summary: 'Delete a webhook endpoint, its deliveries and its secrets (org admin)',
  ...access('org-admin', owned),
  request: { params: idParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404) },
});

const rotateSecretRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks/{id}/rotate-secret',
  tags: ['webhooks'],
  summary: 'A new signing secret, answered this once; the old one keeps signing for 24 h (org admin)',
  ...access('org-admin', owned),
  request: { params: idParams },
  responses: {
    200: jsonResponse(
      z.object({
        secret: z.string(),
        rotatedAt: z.iso.datetime(),
        previousValidUntil: z.iso.datetime().nullable(),
      }),
      'The new secret',
    ),
    ...errorResponses(400, 401, 403, 404),
  },
});

const testRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks/{id}/test',
  tags: ['webhooks'],
  summary: 'Send a webhook.test event to this endpoint now (org admin)',
  ...access('org-admin', owned),
  request: { params: idParams },
  responses: {
    202: jsonResponse(z.object({ eventId: z.uuid() }), 'Recorded; delivered in the background'),
    ...errorResponses(400, 401, 403, 404, 422),
  },
});

const deliveriesRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks/{id}/deliveries',
  tags: ['webhooks'],
  summary: "A webhook endpoint's deliveries with their attempts, newest first (org admin)",
  ...access('org-admin', owned),
  request: {
    params: idParams,
    query: z.object({
      status: deliveryStatusSchema.optional(),
      cursor: z.string().max(512).optional().openapi({ description: 'nextCursor of the page before' }),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ deliveries: z.array(deliverySchema), nextCursor: z.string().nullable() }),
      'Deliveries, newest first; nextCursor is null on the last page',
    ),
    ...errorResponses(400, 401, 403, 404),
  },
});

const retryRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks/{id}/deliveries/{deliveryId}/retry',
  tags: ['webhooks'],
  summary: 'Send one delivery again now, one attempt (org admin)',
  ...access('org-admin', owned),
  request: { params: z.object({ id: z.uuid(), deliveryId: z.uuid() }) },
  responses: { 202: { description: 'Due now' }, ...errorResponses(400, 401, 403, 404, 422) },
});

const recoverRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks/{id}/recover',
  tags: ['webhooks'],
  summary: "Re-send every event of the endpoint's types since a time, one attempt each (org admin)",
  ...access('org-admin', owned),
  request: { params: idParams, ...jsonBody(z.object({ since: z.iso.datetime({ offset: true }) })) },
  responses: {
    202: jsonResponse(z.object({ deliveries: z.number().int() }), 'How many events will be sent'),
    ...errorResponses(400, 401, 403, 404, 422),
  },
});

/** Webhook endpoints, their secrets and their deliveries. */
export function webhookRoutes(deps: ApiDeps) {
  const principal = (c: { get(key: 'principal'): Parameters<typeof asOrgPrincipal>[0] }) =>
    asOrgPrincipal(c.get('principal'));
  return createRouter(deps)
    .openapi(createWebhookRoute, async (c) =>
      c.json(await createWebhook(deps, principal(c), c.req.valid('json')), 201),
    )
    .openapi(listWebhooksRoute, async (c) =>
      c.json({ endpoints: await listWebhooks(deps, principal(c)) }, 200),
    )
    .openapi(getWebhookRoute, async (c) =>
      c.json(await getWebhook(deps, principal(c), c.req.valid('param')), 200),
    )
    .openapi(patchWebhookRoute, async (c) =>
      c.json(
        await updateWebhook(deps, principal(c), { ...c.req.valid('param'), ...c.req.valid('json') }),
        200,
      ),
    )
    .openapi(deleteWebhookRoute, async (c) => {
      await deleteWebhook(deps, principal(c), c.req.valid('param'));
      return c.body(null, 204);
    })
    .openapi(rotateSecretRoute, async (c) =>
      c.json(await rotateWebhookSecret(deps, principal(c), c.req.valid('param')), 200),
    )
    .openapi(testRoute, async (c) =>
      c.json(await sendWebhookTest(deps, principal(c), c.req.valid('param')), 202),
    )
    .openapi(deliveriesRoute, async (c) =>
      c.json(
        await listWebhookDeliveries(deps, principal(c), { ...c.req.valid('param'), ...c.req.valid('query') }),
        200,
      ),
    )
    .openapi(retryRoute, async (c) => {
      await retryWebhookDelivery(deps, principal(c), c.req.valid('param'));
      return c.body(null, 202);
    })
    .openapi(recoverRoute, async (c) =>
      c.json(
        await recoverWebhookDeliveries(deps, principal(c), {
          ...c.req.valid('param'),
          ...c.req.valid('json'),
        }),
        202,
      ),
    );
}
