import { createRoute, z } from '@hono/zod-openapi';
import {
  listTools,
  toPublicTool,
  toolChangesSchema,
  toolDefinitionSchema,
} from '../../domain/gateway/tools.js';
import { changeTool, createTool, removeTool } from '../../services/manage-tools.js';
import type { ApiDeps } from '../env.js';
import { access, errorResponses, jsonBody, jsonResponse } from '../openapi.js';
import { createRouter } from '../router.js';
import { catalogToolSchema } from '../schemas.js';

const toolSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['llm', 'http']),
    description: z.string(),
    baseUrl: z.string(),
    credentialName: z.string(),
    injection: z.object({ header: z.string(), template: z.string() }),
    models: z.array(z.string()),
    allowedMethods: z.array(z.string()),
    allowedPathPrefixes: z.array(z.string()),
    pricePer1kInputTokens: z.number().nullable(),
    pricePer1kOutputTokens: z.number().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Tool');

const toolParams = z.object({ name: z.string().min(1).max(64) });

const listToolsRoute = createRoute({
  method: 'get',
  path: '/v1/tools',
  tags: ['tools'],
  summary: "The platform's tool catalog: what agents may declare in requiredTools",
  ...access('any-key'),
  responses: {
    200: jsonResponse(z.object({ tools: z.array(catalogToolSchema) }), 'Tools, by name'),
    ...errorResponses(401),
  },
});

const createToolRoute = createRoute({
  method: 'post',
  path: '/v1/platform/tools',
  tags: ['tools'],
  summary: 'Add a tool to the catalog (platform-admin, audited)',
  description:
    'An `llm` tool is an OpenAI-compatible upstream (`baseUrl` up to where `/chat/completions` starts) and the models it allows; an `http` tool an upstream with the methods and path prefixes allowed. The gateway authenticates upstream with the consumer’s credential `credentialName`, never given to the agent.',
  ...access('platform-admin'),
  request: jsonBody(toolDefinitionSchema),
  responses: {
    201: jsonResponse(toolSchema, 'Created'),
    ...errorResponses(400, 401, 403, 409),
  },
});

const changeToolRoute = createRoute({
  method: 'patch',
  path: '/v1/platform/tools/{name}',
  tags: ['tools'],
  summary: 'Change a tool (platform-admin, audited); its name and kind stay',
  ...access('platform-admin'),
  request: { params: toolParams, ...jsonBody(toolChangesSchema) },
  responses: { 200: jsonResponse(toolSchema, 'Changed'), ...errorResponses(400, 401, 403, 404) },
});

const deleteToolRoute = createRoute({
  method: 'delete',
  path: '/v1/platform/tools/{name}',
  tags: ['tools'],
  summary: 'Remove a tool (platform-admin, audited); 409 while a submitted or published version needs it',
  ...access('platform-admin'),
  request: { params: toolParams },
  responses: { 204: { description: 'Removed' }, ...errorResponses(401, 403, 404, 409) },
});

/** The tool catalog: read by any key, managed by platform admins. */
export function toolRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(listToolsRoute, async (c) =>
      c.json({ tools: (await listTools(deps.db)).map(toPublicTool) }, 200),
    )
    .openapi(createToolRoute, async (c) =>
      c.json(await createTool(deps, c.get('principal'), c.req.valid('json')), 201),
    )
    .openapi(changeToolRoute, async (c) => {
      const input = { name: c.req.valid('param').name, changes: c.req.valid('json') };
      return c.json(await changeTool(deps, c.get('principal'), input), 200);
    })
    .openapi(deleteToolRoute, async (c) => {
      await removeTool(deps, c.get('principal'), { name: c.req.valid('param').name });
      return c.body(null, 204);
    });
}
