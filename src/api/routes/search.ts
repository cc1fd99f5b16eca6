import { createRoute, z } from '@hono/zod-openapi';
import { listingStatsSchema } from '../../domain/catalog/listing-stats.js';
import { searchQuerySchema } from '../../domain/search/search-query.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonResponse, access } from '../openapi.js';
import { createRouter } from '../router.js';

const searchResultSchema = z
  .object({
    listing: z.object({
      id: z.uuid(),
      slug: z.string(),
      name: z.string(),
      category: z.string(),
      tags: z.array(z.string()),
      visibility: z.enum(['public', 'private']),
      latestVersion: z.string(),
      description: z.string(),
      pricingModel: z.string(),
      rating: z.number().nullable(),
      /** The same trust signals as GET /v1/listings/{idOrSlug}, read from aggregates. */
      stats: listingStatsSchema,
    }),
    score: z
      .number()
      .openapi({ description: 'In [0, 1]; results under the documented threshold 0.2 are dropped' }),
    matchedBy: z.enum(['lexical', 'semantic', 'both']),
  })
  .openapi('SearchResult');

const searchRoute = createRoute({
  method: 'get',
  path: '/v1/search',
  tags: ['discovery'],
  summary: 'Find published agents by describing a problem (hybrid full-text + semantic search)',
  ...access('any-key'),
  request: { query: searchQuerySchema },
  responses: {
    200: jsonResponse(
      z.object({ results: z.array(searchResultSchema), nextCursor: z.string().nullable() }),
      'Ranked results, best first; pass nextCursor back as cursor for the next page',
    ),
    ...errorResponses(400, 401),
  },
});

/** GET /v1/search. */
export function searchRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(searchRoute, async (c) =>
    c.json(await deps.search.search(c.req.valid('query'), c.get('principal').orgId), 200),
  );
}
