import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { createListingSchema } from '../../domain/catalog/schemas.js';
import { createListing } from '../../services/create-listing.js';
import { renderOwnListings } from '../../services/own-listings.js';
import { renderListing } from '../../services/show-listing.js';
import { listingUsage } from '../../services/listing-usage.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { sendRendered } from '../rendered-response.js';
import { createRouter } from '../router.js';
import { listingParamsSchema, listingSchema, listingWithVersionsSchema } from '../schemas.js';

const createListingRoute = createRoute({
  method: 'post',
  path: '/v1/listings',
  tags: ['listings'],
  summary: 'Create a listing (org admin or member)',
  ...access('org-member'),
  request: jsonBody(createListingSchema),
  responses: { 201: jsonResponse(listingSchema, 'Created'), ...errorResponses(400, 401, 403, 409) },
});

// What a route answering with sendRendered documents: the ETag it sends, and 304 to If-None-Match.
const entityTagged = {
  parameters: [
    {
      name: 'If-None-Match',
      in: 'header' as const,
      required: false,
      description: 'An ETag this route gave; 304 with no body while the answer is still that one',
      schema: { type: 'string' as const },
    },
  ],
  responses: {
    304: { description: 'Not modified: the answer is still the one the If-None-Match ETag names' },
  },
};
const etagHeader = {
  ETag: {
    description: 'Names this exact answer; send it back in If-None-Match',
    schema: { type: 'string' as const },
  },
};

const listOwnListingsRoute = createRoute({
  method: 'get',
  path: '/v1/listings',
  tags: ['listings'],
  summary: "The caller's organisation's own listings, every status",
  ...access('org-member'),
  parameters: entityTagged.parameters,
  responses: {
    200: { ...jsonResponse(z.object({ listings: z.array(listingSchema) }), 'Listings'), headers: etagHeader },
    ...entityTagged.responses,
    ...errorResponses(401, 403),
  },
});

const getListingRoute = createRoute({
  method: 'get',
  path: '/v1/listings/{id}',
  tags: ['listings'],
  summary:
    'A listing with the versions the caller may see and its stats (ratings, installations, 30-day executions)',
  ...access('any-key'),
  request: { params: listingParamsSchema },
  parameters: entityTagged.parameters,
  responses: {
    200: { ...jsonResponse(listingWithVersionsSchema, 'The listing'), headers: etagHeader },
    ...entityTagged.responses,
    ...errorResponses(401, 404),
  },
});

const usageRoute = createRoute({
  method: 'get',
  path: '/v1/listings/{id}/usage',
  tags: ['listings'],
  summary:
    "The listing's runs and successes per UTC day over every consumer, oldest first (publisher; counts only)",
  ...access('publisher-of-listing'),
  request: {
    params: listingParamsSchema,
    query: z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }),
  },
  responses: {
    200: jsonResponse(
      z.object({
        listingId: z.uuid(),
        days: z.array(
          z.object({
            day: z.string().openapi({ example: '2026-12-01' }),
            executions: z.number().int(),
            succeeded: z.number().int(),
          }),
        ),
      }),
      'Runs per day, the last `days` UTC days including today, zeros included',
    ),
    ...errorResponses(400, 401, 403, 404),
  },
});

/** Listings: create, list own, read one, its usage per day for the publisher. */
export function listingRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(createListingRoute, async (c) =>
      c.json(await createListing(deps, asOrgPrincipal(c.get('principal')), c.req.valid('json')), 201),
    )
    .openapi(listOwnListingsRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      return sendRendered(c, await renderOwnListings(deps, principal.orgId));
    })
    .openapi(getListingRoute, async (c) => {
      const input = { listing: c.req.valid('param').id };
      return sendRendered(c, await renderListing(deps, c.get('principal'), input));
    })
    .openapi(usageRoute, async (c) => {
      const input = { listing: c.req.valid('param').id, days: c.req.valid('query').days };
      return c.json(await listingUsage(deps, input), 200);
    });
}
