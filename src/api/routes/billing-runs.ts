import { createRoute, z } from '@hono/zod-openapi';
import { startBillingRun } from '../../services/start-billing-run.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { withRequestTrace } from '../middleware/trace-requests.js';
import { createRouter } from '../router.js';
import { periodParam } from './invoices.js';

const startBillingRunRoute = createRoute({
  method: 'post',
  path: '/v1/billing-runs',
  tags: ['billing'],
  summary: 'Bill every tenant for a closed or the current month (platform-admin); safe to repeat',
  ...access('platform-admin'),
  request: jsonBody(z.object({ period: periodParam })),
  responses: {
    202: jsonResponse(
      z.object({ workflowId: z.string() }),
      'The billing run started (or is already running)',
    ),
    ...errorResponses(400, 401, 403),
  },
  description:
    'Starts `billing:<YYYY-MM>`, the workflow the monthly schedule starts. A period already billed is not billed again: invoices are built once per tenant and period, and only late usage is added, to the next invoice.',
});

/** Billing runs: a platform admin bills a period on demand. */
export function billingRunRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(startBillingRunRoute, async (c) =>
    c.json(await startBillingRun(withRequestTrace(c, deps), c.req.valid('json')), 202),
  );
}
