import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { notFound } from '../../domain/errors.js';
import {
  executionStatusSchema,
  findExecution,
  listExecutions,
  summarizeUsage,
  toPublicExecution,
} from '../../domain/executions/repository.js';
import { listToolCalls } from '../../domain/gateway/tool-calls.js';
import { invokeInstallation } from '../../services/invoke-installation.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { withRequestTrace } from '../middleware/trace-requests.js';
import { createRouter } from '../router.js';

const executionSchema = z
  .object({
    id: z.uuid(),
    installationId: z.uuid(),
    status: executionStatusSchema,
    output: z.unknown().openapi({ description: "The agent's JSON output, once it succeeded" }),
    reason: z.string().nullable().openapi({ description: 'Why it failed or timed out' }),
    tokensIn: z.number().int().nullable(),
    tokensOut: z.number().int().nullable(),
    durationMs: z.number().int().nullable(),
    cost: z
      .string()
      .nullable()
      .openapi({ description: 'Exact decimal, from the installation’s pricing snapshot' }),
    currency: z.string().nullable(),
    usageSource: z.enum(['gateway', 'agent']).nullable().openapi({
      description:
        'Where the tokens come from: measured by the tool gateway (then billed, whatever the agent reported), or reported by the agent',
    }),
    workflowId: z.string(),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .openapi('Execution');

const executeRoute = createRoute({
  method: 'post',
  path: '/v1/installations/{id}/executions',
  tags: ['executions'],
  summary:
    'Invoke an installed agent; the same Idempotency-Key with the same body returns the same execution',
  ...access('org-member', { param: 'id', kind: 'installation' }),
  request: {
    params: z.object({ id: z.string().min(1).max(64) }),
    headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
    ...jsonBody(
      z.object({ input: z.unknown().default(null), mode: z.enum(['sync', 'async']).default('sync') }),
    ),
  },
  responses: {
    200: jsonResponse(executionSchema, 'Sync: the finished execution'),
    202: jsonResponse(
      z.object({ executionId: z.uuid(), workflowId: z.string() }),
      'Async, or sync still running',
    ),
    ...errorResponses(400, 401, 403, 404, 409, 422, 429),
  },
  description:
    'Refused before anything runs: 403 when the organisation is suspended; 429 when the per-minute rate limit, a free listing’s monthly quota or the installation’s monthly budget is reached.',
});

const toolCallSchema = z
  .object({
    tool: z.string(),
    model: z.string().optional(),
    status: z.enum(['succeeded', 'failed']),
    tokensIn: z.number().int(),
    tokensOut: z.number().int(),
    durationMs: z.number().int(),
  })
  .openapi('ToolCall');

const getExecutionRoute = createRoute({
  method: 'get',
  path: '/v1/executions/{id}',
  tags: ['executions'],
  summary: 'Status, output, tokens, duration and cost of an execution',
  ...access('org-member', { param: 'id', kind: 'execution' }),
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: {
    200: jsonResponse(
      executionSchema.extend({
        toolCalls: z
          .array(toolCallSchema)
          .openapi({ description: 'Each call the agent made through the tool gateway, in order' }),
      }),
      'The execution',
    ),
    ...errorResponses(401, 404),
  },
});

const usageRoute = createRoute({
  method: 'get',
  path: '/v1/usage',
  tags: ['executions'],
  summary:
    "The organisation's metered usage per listing: invocations, tokens, average duration, cost, and the tools' part of it",
  ...access('org-member'),
  request: {
    query: z.object({
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      listing: z.string().min(1).max(64).optional().openapi({ description: 'Listing id or slug' }),
      by: z
        .enum(['listing', 'day'])
        .default('listing')
        .openapi({ description: '`day`: one row per UTC day, listing and currency, with `day` set' }),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({
        usage: z.array(
          z.object({
            day: z.iso.date().optional().openapi({ description: 'The UTC day, with `by=day`' }),
            listingId: z.uuid(),
            listingSlug: z.string(),
            currency: z.string(),
            invocations: z.number().int(),
            tokensIn: z.number().int(),
            tokensOut: z.number().int(),
            averageDurationMs: z.number().int(),
            cost: z.string().openapi({ description: 'Exact decimal' }),
            toolCost: z.string().openapi({
              description:
                "The part of `cost` charged for the gateway's tools at their prices per 1k tokens (exact decimal; billed on a line of its own)",
            }),
            toolTokens: z.number().int().openapi({ description: 'The tokens of the priced tool calls' }),
          }),
        ),
      }),
      'Usage per listing and currency',
    ),
    ...errorResponses(400, 401, 403),
  },
});

const listExecutionsRoute = createRoute({
  method: 'get',
  path: '/v1/installations/{id}/executions',
  tags: ['executions'],
  summary: "An installation's executions, newest first (status, duration, tokens, cost, reason)",
  ...access('org-member', { param: 'id', kind: 'installation' }),
  request: {
    params: z.object({ id: z.string().min(1).max(64) }),
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      before: z.iso
        .datetime({ offset: true })
        .optional()
        .openapi({ description: 'Only executions created before this (the last createdAt of a page)' }),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ executions: z.array(executionSchema) }), 'Executions, newest first'),
    ...errorResponses(400, 401, 403, 404),
  },
});

/** Executions: invoke an installed agent, read an execution. */
export function executionRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(executeRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      const body = c.req.valid('json');
      const invocation = await invokeInstallation(withRequestTrace(c, deps), principal, {
        installationId: c.req.valid('param').id,
        input: body.input,
        mode: body.mode,
        idempotencyKey: c.req.valid('header')['idempotency-key'] ?? null,
      });
      if (invocation.finished) return c.json(toPublicExecution(invocation.execution), 200);
      return c.json({ executionId: invocation.executionId, workflowId: invocation.workflowId }, 202);
    })
    .openapi(listExecutionsRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      const executions = await listExecutions(deps.db, {
        orgId: principal.orgId,
        installationId: c.req.valid('param').id,
        ...c.req.valid('query'),
      });
      return c.json({ executions: executions.map(toPublicExecution) }, 200);
    })
    .openapi(usageRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      return c.json(
        { usage: await summarizeUsage(deps.db, { orgId: principal.orgId, ...c.req.valid('query') }) },
        200,
      );
    })
    .openapi(getExecutionRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      const execution = await findExecution(deps.db, c.req.valid('param').id, principal.orgId);
      if (!execution) throw notFound('execution');
      const toolCalls = (await listToolCalls(deps.db, execution.id)).map(({ model, ...call }) =>
        model === null ? call : { ...call, model },
      );
      return c.json({ ...toPublicExecution(execution), toolCalls }, 200);
    });
}
