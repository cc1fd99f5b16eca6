import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { MAX_EVENTS_PER_REPORT, publisherUsageEventSchema } from '../../domain/metering/publisher-usage.js';
import { reportPublisherUsage } from '../../services/report-publisher-usage.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { createRouter } from '../router.js';

const reportUsageRoute = createRoute({
  method: 'post',
  path: '/v1/usage-events',
  tags: ['executions'],
  summary: "A publisher's remote agent reports usage for installations of its listings",
  description:
    'Each event is priced from the installation’s pricing snapshot and counted once per `id` (per listing): resending a report is safe. A report is all or nothing: 422 names every refused event and stores none.',
  ...access('org-member'),
  request: jsonBody(
    z.object({ events: z.array(publisherUsageEventSchema).min(1).max(MAX_EVENTS_PER_REPORT) }),
  ),
  responses: {
    200: jsonResponse(
      z.object({
        accepted: z.number().int().openapi({ description: 'New events recorded' }),
        duplicates: z.number().int().openapi({ description: 'Events whose id was recorded before' }),
      }),
      'Recorded',
    ),
    ...errorResponses(400, 401, 403, 422),
  },
});

/** Metering for publishers: their remote agents report their own usage events. */
export function usageEventRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(reportUsageRoute, async (c) =>
    c.json(await reportPublisherUsage(deps, asOrgPrincipal(c.get('principal')), c.req.valid('json')), 200),
  );
}
