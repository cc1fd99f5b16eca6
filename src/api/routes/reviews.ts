import { createRoute, z } from '@hono/zod-openapi';
import { listPendingReviews } from '../../domain/catalog/repository.js';
import { decideReview } from '../../services/decide-review.js';
import { publishWorkflowId } from '../../workflows/publish-review.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { withRequestTrace } from '../middleware/trace-requests.js';
import { createRouter } from '../router.js';
import { listingSchema, versionSchema, workflowAcceptedSchema } from '../schemas.js';

const reviewQueueRoute = createRoute({
  method: 'get',
  path: '/v1/reviews',
  tags: ['reviews'],
  summary: 'The review queue (reviewer or platform-admin)',
  ...access('reviewer'),
  request: {
    query: z.object({
      status: z.literal('pending').default('pending'),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({
        reviews: z.array(
          z.object({ version: versionSchema, listing: listingSchema, workflowId: z.string() }),
        ),
      }),
      'Versions awaiting a decision, oldest first',
    ),
    ...errorResponses(400, 401, 403),
  },
});

const decisionSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    reason: z.string().trim().min(1).max(2000).optional(),
  })
  .refine((body) => body.decision === 'approve' || body.reason !== undefined, {
    path: ['reason'],
    message: 'a rejection needs a reason the publisher can act on',
  });

const decisionRoute = createRoute({
  method: 'post',
  path: '/v1/reviews/{versionId}/decision',
  tags: ['reviews'],
  summary: 'Approve or reject a version in review (reviewer or platform-admin)',
  ...access('reviewer'),
  request: { params: z.object({ versionId: z.string().min(1).max(64) }), ...jsonBody(decisionSchema) },
  responses: {
    202: jsonResponse(workflowAcceptedSchema, 'Decision delivered to the workflow'),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

/** The review queue and reviewers' decisions. */
export function reviewRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(reviewQueueRoute, async (c) => {
      const pending = await listPendingReviews(deps.db, c.req.valid('query').limit);
      return c.json(
        {
          reviews: pending.map((review) => ({ ...review, workflowId: publishWorkflowId(review.version.id) })),
        },
        200,
      );
    })
    .openapi(decisionRoute, async (c) => {
      const input = { versionId: c.req.valid('param').versionId, ...c.req.valid('json') };
      return c.json(await decideReview(withRequestTrace(c, deps), c.get('principal'), input), 202);
    });
}
