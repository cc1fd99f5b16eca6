import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { ratingSchema } from '../../domain/ratings/repository.js';
import { hideRating } from '../../services/hide-rating.js';
import { listRatings } from '../../services/list-ratings.js';
import { myRating } from '../../services/my-rating.js';
import { rateListing } from '../../services/rate-listing.js';
import { removeRating } from '../../services/remove-rating.js';
import { replyToRating } from '../../services/reply-to-rating.js';
import type { ApiDeps } from '../env.js';
import { access, errorResponses, jsonBody, jsonResponse } from '../openapi.js';
import { createRouter } from '../router.js';
import { listingParamsSchema } from '../schemas.js';

const rating = ratingSchema;
// The listing must be one the caller may see, checked before the request is validated.
const visibleListing = { param: 'id', kind: 'visible-listing' } as const;
const ratingIdSchema = z.string().min(1).max(64).openapi({ description: 'Rating id' });
const plainText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .openapi({ description: `Plain text, at most ${max} characters` });

const listRoute = createRoute({
  method: 'get',
  path: '/v1/listings/{id}/ratings',
  tags: ['ratings'],
  summary: "A listing's ratings, newest first (hidden ones left out), with the publisher's replies",
  ...access('any-key', visibleListing),
  request: {
    params: listingParamsSchema,
    query: z.object({
      cursor: z.string().max(512).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({
        ratings: z.array(rating),
        nextCursor: z.string().nullable(),
        histogram: z
          .array(z.object({ stars: z.number().int().min(1).max(5), count: z.number().int() }))
          .openapi({ description: 'How many visible ratings give each number of stars, 5 down to 1' }),
      }),
      'Ratings',
    ),
    ...errorResponses(400, 401, 404),
  },
});

const mineRoute = createRoute({
  method: 'get',
  path: '/v1/listings/{id}/ratings/mine',
  tags: ['ratings'],
  summary:
    "The organisation's own rating of the listing (null when none) and whether it may rate it now, with the reason when not",
  ...access('org-member', visibleListing),
  request: { params: listingParamsSchema },
  responses: {
    200: jsonResponse(
      z.object({
        rating: rating
          .extend({ hidden: z.boolean().openapi({ description: 'Hidden by a platform admin' }) })
          .nullable(),
        canRate: z.boolean(),
        reason: z
          .string()
          .nullable()
          .openapi({ description: 'Why the organisation may not rate it (the 422 of rating), else null' }),
      }),
      'Own rating',
    ),
    ...errorResponses(401, 403, 404),
  },
});

const rateRoute = createRoute({
  method: 'put',
  path: '/v1/listings/{id}/ratings/mine',
  tags: ['ratings'],
  summary:
    "Create or replace the organisation's rating (1–5 stars); 422 unless it has used the agent (an installation with a succeeded execution)",
  ...access('org-member', visibleListing),
  request: {
    params: listingParamsSchema,
    ...jsonBody(
      z.object({
        stars: z.number().int().min(1).max(5),
        title: plainText(200).optional(),
        text: plainText(4000).optional(),
      }),
    ),
  },
  responses: {
    200: jsonResponse(rating, 'Replaced'),
    201: jsonResponse(rating, 'Created'),
    ...errorResponses(400, 401, 403, 404, 422),
  },
});

const removeRoute = createRoute({
  method: 'delete',
  path: '/v1/listings/{id}/ratings/mine',
  tags: ['ratings'],
  summary: "Remove the organisation's rating of the listing",
  ...access('org-member', visibleListing),
  request: { params: listingParamsSchema },
  responses: { 204: { description: 'Removed' }, ...errorResponses(401, 403, 404) },
});

const replyRoute = createRoute({
  method: 'post',
  path: '/v1/listings/{id}/ratings/{ratingId}/reply',
  tags: ['ratings'],
  summary:
    "The publisher's public answer to a rating (publisher's org admin); once per rating, sent again it replaces it",
  ...access('org-admin', { param: 'id', kind: 'listing' }),
  request: {
    params: listingParamsSchema.extend({ ratingId: ratingIdSchema }),
    ...jsonBody(z.object({ text: plainText(4000) })),
  },
  responses: { 200: jsonResponse(rating, 'Replied'), ...errorResponses(400, 401, 403, 404) },
});

const hideRoute = createRoute({
  method: 'post',
  path: '/v1/platform/ratings/{ratingId}/hide',
  tags: ['ratings'],
  summary: 'Hide a rating with a reason (platform-admin, audited): it leaves lists and averages',
  ...access('platform-admin'),
  request: {
    params: z.object({ ratingId: ratingIdSchema }),
    ...jsonBody(z.object({ reason: plainText(2000) })),
  },
  responses: { 204: { description: 'Hidden' }, ...errorResponses(400, 401, 403, 404) },
});

/** Consumers' ratings of listings: list, rate, remove, publisher replies, platform hides. */
export function ratingRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(listRoute, async (c) => {
      const input = { listing: c.req.valid('param').id, ...c.req.valid('query') };
      return c.json(await listRatings(deps, c.get('principal'), input), 200);
    })
    .openapi(mineRoute, async (c) =>
      c.json(
        await myRating(deps, asOrgPrincipal(c.get('principal')), { listing: c.req.valid('param').id }),
        200,
      ),
    )
    .openapi(rateRoute, async (c) => {
      const input = { listing: c.req.valid('param').id, ...c.req.valid('json') };
      const { rating: saved, created } = await rateListing(deps, asOrgPrincipal(c.get('principal')), input);
      return created ? c.json(saved, 201) : c.json(saved, 200);
    })
    .openapi(removeRoute, async (c) => {
      await removeRating(deps, asOrgPrincipal(c.get('principal')), { listing: c.req.valid('param').id });
      return c.body(null, 204);
    })
    .openapi(replyRoute, async (c) => {
      const params = c.req.valid('param');
      const input = { listing: params.id, ratingId: params.ratingId, text: c.req.valid('json').text };
      return c.json(await replyToRating(deps, input), 200);
    })
    .openapi(hideRoute, async (c) => {
      const input = { ratingId: c.req.valid('param').ratingId, reason: c.req.valid('json').reason };
      await hideRating(deps, c.get('principal'), input);
      return c.body(null, 204);
    });
}
