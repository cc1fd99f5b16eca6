import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { eventTypeSchema } from '../../domain/events/event-types.js';
import { listEvents } from '../../domain/events/repository.js';
import type { ApiDeps } from '../env.js';
import { access, errorResponses, jsonResponse } from '../openapi.js';
import { createRouter } from '../router.js';

const eventSchema = z
  .object({
    id: z.uuid(),
    type: eventTypeSchema,
    occurredAt: z.iso.datetime(),
    data: z.record(z.string(), z.unknown()).openapi({ description: 'Ids and names only, never secrets' }),
  })
  .openapi('Event');

const eventsRoute = createRoute({
  method: 'get',
  path: '/v1/events',
  tags: ['events'],
  summary: "The organisation's events, newest first (org admin)",
  ...access('org-admin'),
  request: {
    query: z.object({
      type: z
        .union([eventTypeSchema, z.array(eventTypeSchema)])
        .optional()
        .openapi({ description: 'Only these types (repeat the parameter for several)' }),
      from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Occurred at or after' }),
      to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Occurred before' }),
      cursor: z.string().max(512).optional().openapi({ description: 'nextCursor of the page before' }),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ events: z.array(eventSchema), nextCursor: z.string().nullable() }),
      'Events, newest first; nextCursor is null on the last page',
    ),
    ...errorResponses(400, 401, 403),
  },
});

/** The organisation's event log. */
export function eventRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(eventsRoute, async (c) => {
    const principal = asOrgPrincipal(c.get('principal'));
    const { type, ...query } = c.req.valid('query');
    const page = await listEvents(deps.db, {
      orgId: principal.orgId,
      types: type === undefined ? undefined : [type].flat(),
      ...query,
    });
    return c.json(page, 200);
  });
}
