import { createRoute, z } from '@hono/zod-openapi';
import { withTransaction } from '../../db/pool.js';
import { recordAudit } from '../../domain/audit/repository.js';
import { orgRoleSchema, type Principal } from '../../domain/auth/principal.js';
import {
  createApiKey,
  createOrganization,
  findOrganization,
  listApiKeys,
  setOrganizationStatus,
} from '../../domain/auth/repository.js';
import { notFound } from '../../domain/errors.js';
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

/** Loads an organisation its declared access already let the caller administer. */
async function findAdministeredOrg(deps: ApiDeps, orgId: string) {
  const org = await findOrganization(deps.db, orgId);
  if (!org) throw notFound('organisation');
  return org;
}

/** Organisations and their keys. */
export function orgRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(createOrgRoute, async (c) => {
      const principal = c.get('principal');
      const { name } = c.req.valid('json');
      const result = await withTransaction(deps.db, async (tx) => {
        const org = await createOrganization(tx, name);
        const issued = await createApiKey(tx, {
          orgId: org.id,
          role: 'admin',
          name: 'first admin key',
          createdBy: principal.keyId,
        });
        await recordAudit(tx, {
          orgId: org.id,
          actor: principal,
          action: 'org.created',
          subjectType: 'organization',
          subjectId: org.id,
        });
        return { org, apiKey: issued };
      });
      return c.json(result, 201);
    })
    .openapi(createKeyRoute, async (c) => {
      const principal = c.get('principal');
      const org = await findAdministeredOrg(deps, c.req.valid('param').orgId);
      const body = c.req.valid('json');
      const issued = await withTransaction(deps.db, async (tx) => {
        const created = await createApiKey(tx, {
          orgId: org.id,
          role: body.role,
          name: body.name,
          createdBy: principal.keyId,
        });
        await recordAudit(tx, {
          orgId: org.id,
          actor: principal,
          action: 'key.created',
          subjectType: 'api_key',
          subjectId: created.key.id,
          details: { role: body.role },
        });
        return created;
      });
      return c.json(issued, 201);
    })
    .openapi(listKeysRoute, async (c) => {
      const org = await findAdministeredOrg(deps, c.req.valid('param').orgId);
      return c.json({ keys: await listApiKeys(deps.db, org.id) }, 200);
    })
    .openapi(suspendRoute, async (c) => {
      const principal = c.get('principal');
      const { reason } = c.req.valid('json');
      const org = await changeStatus(deps, principal, c.req.valid('param').orgId, 'suspended', reason);
      return c.json(org, 200);
    })
    .openapi(reinstateRoute, async (c) => {
      const principal = c.get('principal');
      const org = await changeStatus(deps, principal, c.req.valid('param').orgId, 'active', null);
      return c.json(org, 200);
    });
}

/** Suspends or reinstates an organisation and audits it (visible in the organisation's own trail). */
async function changeStatus(
  deps: ApiDeps,
  principal: Principal,
  orgId: string,
  status: 'active' | 'suspended',
  reason: string | null,
) {
  return withTransaction(deps.db, async (tx) => {
    const org = await setOrganizationStatus(tx, { id: orgId, status, reason });
    if (!org) throw notFound('organisation');
    await recordAudit(tx, {
      orgId: org.id,
      actor: principal,
      action: status === 'suspended' ? 'org.suspended' : 'org.reinstated',
      subjectType: 'organization',
      subjectId: org.id,
      reason: reason ?? undefined,
    });
    return org;
  });
}
