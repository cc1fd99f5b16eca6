import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { listPayouts } from '../../domain/billing/repository.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonResponse, access } from '../openapi.js';
import { createRouter } from '../router.js';
import { periodParam } from './invoices.js';

const payoutSchema = z
  .object({
    listingId: z.uuid(),
    listingSlug: z.string(),
    period: z.string().openapi({ description: 'The invoices’ billing period, YYYY-MM' }),
    currency: z.string(),
    lines: z.number().int(),
    grossMinor: z.number().int().openapi({
      description:
        "Billed to consumers for the listing, integer minor units (the gateway's tool charges excluded)",
    }),
    platformFeeMinor: z.number().int(),
    payoutMinor: z.number().int().openapi({ description: 'grossMinor − platformFeeMinor, exactly' }),
    gross: z.string(),
    platformFee: z.string(),
    payout: z.string(),
  })
  .openapi('Payout');

const listPayoutsRoute = createRoute({
  method: 'get',
  path: '/v1/payouts',
  tags: ['billing'],
  summary:
    "A publisher's revenue per listing, period and currency, from final invoices, after the platform fee",
  ...access('org-member'),
  request: { query: z.object({ period: periodParam.optional() }) },
  responses: {
    200: jsonResponse(z.object({ payouts: z.array(payoutSchema) }), 'Payouts'),
    ...errorResponses(400, 401, 403),
  },
});

/** Payouts: what a publisher earned from its listings. */
export function payoutRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(listPayoutsRoute, async (c) => {
    const principal = asOrgPrincipal(c.get('principal'));
    return c.json({ payouts: await listPayouts(deps.db, principal.orgId, c.req.valid('query')) }, 200);
  });
}
