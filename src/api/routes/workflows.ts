import { createRoute, z } from '@hono/zod-openapi';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonResponse, access } from '../openapi.js';
import { inTrace } from '../../observability/tracing.js';
import { createRouter } from '../router.js';

const workflowStatusSchema = z
  .object({
    workflowId: z.string(),
    runId: z.string(),
    type: z.string(),
    status: z.string().openapi({ example: 'RUNNING' }),
    startTime: z.iso.datetime(),
    closeTime: z.iso.datetime().nullable(),
    historyLength: z.number().int(),
    state: z.unknown().optional().openapi({ description: "The workflow's own state query, when it has one" }),
    result: z.unknown().optional(),
    failure: z.string().optional(),
  })
  .openapi('WorkflowStatus');

const getWorkflowRoute = createRoute({
  method: 'get',
  path: '/v1/workflows/{workflowId}',
  tags: ['workflows'],
  summary:
    'Status of a workflow the caller’s organisation owns (platform-admin: any; reviewer: publish reviews)',
  ...access('any-key', { param: 'workflowId', kind: 'workflow' }),
  request: { params: z.object({ workflowId: z.string().min(1).max(200) }) },
  responses: { 200: jsonResponse(workflowStatusSchema, 'Status'), ...errorResponses(401, 404) },
});

/** Workflow status for owners and the platform. */
export function workflowRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(getWorkflowRoute, async (c) => {
    const { workflowId } = c.req.valid('param');
    const handle = deps.temporal.workflow.getHandle(workflowId);
    // The Temporal client's spans belong to this request's trace.
    const traced = c.get('traceContext');
    const description = await inTrace(traced, () => handle.describe());
    const status = description.status.name;
    const extra: { state?: unknown; result?: unknown; failure?: string } = {};
    if (status === 'RUNNING')
      extra.state = await inTrace(traced, () => handle.query('state')).catch(() => undefined);
    else if (status === 'COMPLETED') extra.result = await handle.result();
    else if (status === 'FAILED')
      extra.failure = await handle.result().then(
        () => undefined,
        (error: Error) => (error.cause as Error | undefined)?.message ?? error.message,
      );
    return c.json(
      {
        workflowId,
        runId: description.runId,
        type: description.type,
        status,
        startTime: description.startTime.toISOString(),
        closeTime: description.closeTime?.toISOString() ?? null,
        historyLength: description.historyLength,
        ...extra,
      },
      200,
    );
  });
}
