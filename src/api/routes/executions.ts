import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { findVersionById } from '../../domain/catalog/repository.js';
import { AppError, conflict, notFound } from '../../domain/errors.js';
import {
  createExecution,
  findByIdempotencyKey,
  findExecution,
  summarizeUsage,
  toPublicExecution,
  type StoredExecution,
} from '../../domain/executions/repository.js';
import { entitlementRefusal } from '../../domain/executions/entitlement.js';
import { findInstallation } from '../../domain/installs/repository.js';
import { executeAgent } from '../../workflows/execute.js';
import type { ApiDeps } from '../env.js';
import { startInstallationWorkflow } from '../installation-workflows.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { createRouter } from '../router.js';

const MAX_INPUT_BYTES = 256 * 1024;
const TERMINAL = new Set(['succeeded', 'failed', 'timed_out']);

const executionSchema = z
  .object({
    id: z.uuid(),
    installationId: z.uuid(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'timed_out']),
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

const getExecutionRoute = createRoute({
  method: 'get',
  path: '/v1/executions/{id}',
  tags: ['executions'],
  summary: 'Status, output, tokens, duration and cost of an execution',
  ...access('org-member', { param: 'id', kind: 'execution' }),
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: { 200: jsonResponse(executionSchema, 'The execution'), ...errorResponses(401, 404) },
});

const usageRoute = createRoute({
  method: 'get',
  path: '/v1/usage',
  tags: ['executions'],
  summary: "The organisation's metered usage per listing: invocations, tokens, average duration, cost",
  ...access('org-member'),
  request: {
    query: z.object({
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      listing: z.string().min(1).max(64).optional().openapi({ description: 'Listing id or slug' }),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({
        usage: z.array(
          z.object({
            listingId: z.uuid(),
            listingSlug: z.string(),
            currency: z.string(),
            invocations: z.number().int(),
            tokensIn: z.number().int(),
            tokensOut: z.number().int(),
            averageDurationMs: z.number().int(),
            cost: z.string().openapi({ description: 'Exact decimal' }),
          }),
        ),
      }),
      'Usage per listing and currency',
    ),
    ...errorResponses(400, 401, 403),
  },
});

/** Waits (polling PostgreSQL) until the execution ends or the wait is over; returns it either way. */
async function waitForEnd(
  deps: ApiDeps,
  execution: StoredExecution,
  seconds: number,
): Promise<StoredExecution> {
  const deadline = Date.now() + seconds * 1000;
  let current = execution;
  while (!TERMINAL.has(current.status) && Date.now() < deadline) {
    await sleep(20);
    current = (await findExecution(deps.db, execution.id)) ?? current;
  }
  return current;
}

/** Executions: invoke an installed agent, read an execution. */
export function executionRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(executeRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      const installation = await findInstallation(deps.db, c.req.valid('param').id, principal.orgId);
      if (!installation) throw notFound('installation');
      if (installation.status !== 'active') {
        throw new AppError(
          'rule_violation',
          `the installation is ${installation.status}; only an active one can be invoked`,
        );
      }
      const body = c.req.valid('json');
      const canonical = JSON.stringify(body.input ?? null);
      if (Buffer.byteLength(canonical) > MAX_INPUT_BYTES) {
        throw new AppError('invalid_request', `input is larger than ${MAX_INPUT_BYTES} bytes`, [
          { path: 'json.input', message: 'too large' },
        ]);
      }
      const version = await findVersionById(deps.db, installation.versionId);
      if (!version) throw notFound('version');
      const idempotencyKey = c.req.valid('header')['idempotency-key'] ?? null;
      // A repeated idempotent request is not a new execution: it is answered, not checked again.
      const repeat = idempotencyKey
        ? await findByIdempotencyKey(deps.db, installation.id, idempotencyKey)
        : null;
      if (!repeat) {
        const refusal = await entitlementRefusal(deps.db, {
          installationId: installation.id,
          rateLimitPerMinute: deps.config.executionRateLimitPerMinute,
        });
        if (refusal) throw new AppError(refusal.code, refusal.message);
      }
      const requestSha256 = createHash('sha256').update(canonical).digest('hex');
      const { execution, created } = await createExecution(deps.db, {
        orgId: principal.orgId,
        installationId: installation.id,
        versionId: installation.versionId,
        input: body.input ?? null,
        idempotencyKey,
        requestSha256,
        createdBy: principal.keyId,
      });
      if (!created && execution.requestSha256 !== requestSha256) {
        throw conflict('this Idempotency-Key was used with a different request body');
      }
      const workflowId = `execute:${execution.id}`;
      if (created) {
        await startInstallationWorkflow(deps, {
          workflow: executeAgent,
          workflowId,
          kind: 'execute',
          installation,
          arg: { executionId: execution.id, timeoutSeconds: version.manifest.resources.timeoutSeconds },
        });
      }
      if (body.mode === 'sync') {
        const ended = await waitForEnd(deps, execution, deps.config.executionSyncWaitSeconds);
        if (TERMINAL.has(ended.status)) return c.json(toPublicExecution(ended), 200);
      }
      return c.json({ executionId: execution.id, workflowId }, 202);
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
      return c.json(toPublicExecution(execution), 200);
    });
}
