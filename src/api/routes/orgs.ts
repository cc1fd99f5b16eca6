import { createRoute, z } from '@hono/zod-openapi';
import { orgRoleSchema } from '../../domain/auth/principal.js';
import { findOrganization, listApiKeys, listOrganizations } from '../../domain/auth/repository.js';
import { notFound } from '../../domain/errors.js';
import { issueKey } from '../../services/manage-keys.js';
import { changeOrganizationStatus, createOrganization } from '../../services/manage-organizations.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { createRouter } from '../router.js';
import { apiKeySchema, issuedKeySchema, organizationSchema } from '../schemas.js';

const createOrgRoute = createRoute({
  method: 'post',
  path: '/v1/orgs',
  tags: ['organisations'],
  summary: 'Create an organisation and its first admin key (platform-admin)',
  ...access('platform-admin'),
  request: jsonBody(z.object({ name: z.string().trim().min(1).max(200) })),
  responses: {
    201: jsonResponse(
      z.object({ org: organizationSchema, apiKey: issuedKeySchema }),
      'Created; the key is shown once',
    ),
    ...errorResponses(400, 401, 403),
  },
});

const listOrgsRoute = createRoute({
  method: 'get',
  path: '/v1/orgs',
  tags: ['organisations'],
  summary: 'Every organisation, newest first, with its status (platform-admin)',
  ...access('platform-admin'),
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }) },
  responses: {
    200: jsonResponse(z.object({ organizations: z.array(organizationSchema) }), 'Organisations'),
    ...errorResponses(400, 401, 403),
  },
});

const orgParams = z.object({ orgId: z.string().min(1).max(64) });

const createKeyRoute = createRoute({
  method: 'post',
  path: '/v1/orgs/{orgId}/keys',
  tags: ['organisations'],
  summary: 'Issue an API key for the organisation (org admin)',
  ...access(['org-admin', 'platform-admin'], { param: 'orgId', kind: 'organization' }),
  request: {
    params: orgParams,
    ...jsonBody(z.object({ name: z.string().trim().min(1).max(200), role: orgRoleSchema })),
  },
  responses: {
    201: jsonResponse(issuedKeySchema, 'Issued; the token is shown once'),
    ...errorResponses(400, 401, 403, 404),
  },
});

const listKeysRoute = createRoute({
  method: 'get',
  path: '/v1/orgs/{orgId}/keys',
  tags: ['organisations'],
  summary: "List the organisation's keys (org admin)",
  ...access(['org-admin', 'platform-admin'], { param: 'orgId', kind: 'organization' }),
  request: { params: orgParams },
  responses: {
    200: jsonResponse(z.object({ keys: z.array(apiKeySchema) }), 'Keys'),
    ...errorResponses(401, 403, 404),
  },
});

const suspendRoute = createRoute({
  method: 'post',
  path: '/v1/orgs/{orgId}/suspend',
  tags: ['organisations'],
  summary:
    'Suspend an organisation (platform-admin): it keeps reading its data but can neither install nor invoke agents',
  ...access('platform-admin'),
  request: { params: orgParams, ...jsonBody(z.object({ reason: z.string().trim().min(1).max(500) })) },
  responses: { 200: jsonResponse(organizationSchema, 'Suspended'), ...errorResponses(400, 401, 403, 404) },
});

const reinstateRoute = createRoute({
  method: 'post',
  path: '/v1/orgs/{orgId}/reinstate',
  tags: ['organisations'],
  summary: 'Lift a suspension (platform-admin)',
  ...access('platform-admin'),
  request: { params: orgParams },
  responses: { 200: jsonResponse(organizationSchema, 'Active again'), ...errorResponses(401, 403, 404) },
});

/** Organisations and their keys. */
export function orgRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(createOrgRoute, async (c) =>
      c.json(await createOrganization(deps, c.get('principal'), c.req.valid('json')), 201),
    )
    .openapi(listOrgsRoute, async (c) =>
      c.json({ organizations: await listOrganizations(deps.db, c.req.valid('query').limit) }, 200),
    )
    .openapi(createKeyRoute, async (c) => {
      const input = { orgId: c.req.valid('param').orgId, ...c.req.valid('json') };
      return c.json(await issueKey(deps, c.get('principal'), input), 201);
    })
    .openapi(listKeysRoute, async (c) => {
      const org = await findOrganization(deps.db, c.req.valid('param').orgId);
      if (!org) throw notFound('organisation');
      return c.json({ keys: await listApiKeys(deps.db, org.id) }, 200);
    })
    .openapi(suspendRoute, async (c) => {
      const input = {
        orgId: c.req.valid('param').orgId,
        status: 'suspended' as const,
        ...c.req.valid('json'),
      };
      return c.json(await changeOrganizationStatus(deps, c.get('principal'), input), 200);
    })
    .openapi(reinstateRoute, async (c) => {
      const input = { orgId: c.req.valid('param').orgId, status: 'active' as const, reason: null };
      return c.json(await changeOrganizationStatus(deps, c.get('principal'), input), 200);
    });
}
