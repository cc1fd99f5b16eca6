import { createRoute, z } from '@hono/zod-openapi';
import { advisorySchema } from '../../domain/catalog/advisory.js';
import { semverSchema } from '../../domain/catalog/schemas.js';
import { versionAdvisory } from '../../services/version-advisory.js';
import type { ApiDeps } from '../env.js';
import { access, errorResponses, jsonResponse } from '../openapi.js';
import { createRouter } from '../router.js';
import { listingParamsSchema } from '../schemas.js';

const advisoryRoute = createRoute({
  method: 'get',
  path: '/v1/listings/{id}/advisory',
  tags: ['listings'],
  summary:
    'What moving from version `from` to version `to` changes for an installed consumer, with a risk level and its reasons',
  ...access('any-key', { param: 'id', kind: 'visible-listing' }),
  request: {
    params: listingParamsSchema,
    query: z.object({
      from: semverSchema
        .optional()
        .openapi({ description: 'The version installed now (required; checked once the listing is found)' }),
      to: semverSchema
        .optional()
        .openapi({ description: 'The version to move to; default: the latest published' }),
    }),
  },
  responses: {
    200: jsonResponse(advisorySchema, 'The advisory'),
    ...errorResponses(400, 401, 404),
  },
});

/** Upgrade advisories between two versions of a listing. */
export function advisoryRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(advisoryRoute, async (c) => {
    const query = c.req.valid('query');
    const input = { listing: c.req.valid('param').id, from: query.from, to: query.to };
    return c.json(await versionAdvisory(deps, c.get('principal'), input), 200);
  });
}
