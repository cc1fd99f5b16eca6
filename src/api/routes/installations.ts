import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { riskSchema } from '../../domain/catalog/advisory.js';
import { amount, semverSchema } from '../../domain/catalog/schemas.js';
import { notFound } from '../../domain/errors.js';
import {
  findInstallation,
  installationStatusSchema,
  listInstallations,
  type Installation,
} from '../../domain/installations/repository.js';
import { installListing } from '../../services/install-listing.js';
import { removeInstallation } from '../../services/remove-installation.js';
import { upgradeInstallation } from '../../services/upgrade-installation.js';
import { provisionWorkflowId } from '../../workflows/provision.js';
import { setInstallationBudget } from '../../services/set-installation-budget.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { withRequestTrace } from '../middleware/trace-requests.js';
import { createRouter } from '../router.js';

const installationSchema = z
  .object({
    id: z.uuid(),
    listingId: z.uuid(),
    listingSlug: z.string(),
    version: z.string(),
    status: installationStatusSchema,
    statusReason: z
      .string()
      .nullable()
      .openapi({ description: 'Why it failed, in words a person can act on' }),
    upgradeAvailable: z.object({ version: z.string(), risk: riskSchema }).nullable().openapi({
      description:
        'The newest published version, when newer than the installed one, with the risk of its upgrade advisory (GET /v1/listings/{id}/advisory)',
    }),
    credentialNames: z
      .array(z.string())
      .openapi({ description: 'The credentials injected into its runtime' }),
    monthlyBudget: z.string().nullable().openapi({
      description: 'Cap on metered cost per calendar month (UTC), exact decimal, in the pricing currency',
    }),
    workflowId: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Installation');

const monthlyBudgetSchema = amount.meta({
  description:
    "Cap on this installation's metered cost per calendar month (UTC), in its pricing currency: once the month's usage reaches it, executions answer 429",
  example: 50,
});

const createInstallationRoute = createRoute({
  method: 'post',
  path: '/v1/installations',
  tags: ['installations'],
  summary:
    'Install a listing version into an isolated runtime (org admin); 422 names every missing credential',
  ...access('org-admin'),
  request: jsonBody(
    z.object({
      listing: z.string().min(1).max(64).openapi({ description: 'Listing id or slug' }),
      version: semverSchema.optional().openapi({ description: 'Default: the latest published version' }),
      monthlyBudget: monthlyBudgetSchema.optional(),
    }),
  ),
  responses: {
    202: jsonResponse(z.object({ installationId: z.uuid(), workflowId: z.string() }), 'Provisioning started'),
    ...errorResponses(400, 401, 403, 404, 422),
  },
});

const listInstallationsRoute = createRoute({
  method: 'get',
  path: '/v1/installations',
  tags: ['installations'],
  summary: "The organisation's installations, newest first",
  ...access('org-member'),
  responses: {
    200: jsonResponse(z.object({ installations: z.array(installationSchema) }), 'Installations'),
    ...errorResponses(401, 403),
  },
});

const getInstallationRoute = createRoute({
  method: 'get',
  path: '/v1/installations/{id}',
  tags: ['installations'],
  summary: 'One installation and its status',
  ...access('org-member', { param: 'id', kind: 'installation' }),
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: { 200: jsonResponse(installationSchema, 'The installation'), ...errorResponses(401, 403, 404) },
});

const updateInstallationRoute = createRoute({
  method: 'patch',
  path: '/v1/installations/{id}',
  tags: ['installations'],
  summary: "Set or clear the installation's monthly budget (org admin)",
  ...access('org-admin', { param: 'id', kind: 'installation' }),
  request: {
    params: z.object({ id: z.string().min(1).max(64) }),
    ...jsonBody(z.object({ monthlyBudget: monthlyBudgetSchema.nullable() })),
  },
  responses: { 200: jsonResponse(installationSchema, 'Updated'), ...errorResponses(400, 401, 403, 404) },
});

const deleteInstallationRoute = createRoute({
  method: 'delete',
  path: '/v1/installations/{id}',
  tags: ['installations'],
  summary: 'Deprovision: revoke secrets, destroy the runtime, close the meter (org admin)',
  ...access('org-admin', { param: 'id', kind: 'installation' }),
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: {
    202: jsonResponse(z.object({ workflowId: z.string() }), 'Deprovisioning started (safe to repeat)'),
    ...errorResponses(401, 403, 404, 409),
  },
});

const upgradeInstallationRoute = createRoute({
  method: 'post',
  path: '/v1/installations/{id}/upgrade',
  tags: ['installations'],
  summary:
    'Move an active installation to another published version, with rollback (org admin); 422 names missing credentials, or refuses a high-risk advisory without acceptRisk',
  ...access('org-admin', { param: 'id', kind: 'installation' }),
  request: {
    params: z.object({ id: z.string().min(1).max(64) }),
    ...jsonBody(
      z.object({
        version: semverSchema,
        acceptRisk: z.boolean().optional().openapi({
          description:
            'Required (true) to upgrade across a high-risk advisory; otherwise the upgrade answers 422',
        }),
      }),
    ),
  },
  responses: {
    202: jsonResponse(z.object({ workflowId: z.string() }), 'Upgrade started'),
    ...errorResponses(400, 401, 403, 404, 409, 422),
  },
});

/** What the API shows of an installation: not its runtime location, key or internal ids. */
function toResponse(installation: Installation) {
  const {
    orgId: _orgId,
    versionId: _versionId,
    runtime: _runtime,
    createdBy: _createdBy,
    ...shown
  } = installation;
  return { ...shown, workflowId: provisionWorkflowId(installation.id) };
}

/** Installations: install (provision), list, read. */
export function installationRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(createInstallationRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      return c.json(await installListing(withRequestTrace(c, deps), principal, c.req.valid('json')), 202);
    })
    .openapi(updateInstallationRoute, async (c) => {
      const input = { installationId: c.req.valid('param').id, ...c.req.valid('json') };
      const updated = await setInstallationBudget(deps, asOrgPrincipal(c.get('principal')), input);
      return c.json(toResponse(updated), 200);
    })
    .openapi(deleteInstallationRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      const installationId = c.req.valid('param').id;
      return c.json(await removeInstallation(withRequestTrace(c, deps), principal, { installationId }), 202);
    })
    .openapi(upgradeInstallationRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      const input = { installationId: c.req.valid('param').id, ...c.req.valid('json') };
      return c.json(await upgradeInstallation(withRequestTrace(c, deps), principal, input), 202);
    })
    .openapi(listInstallationsRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      return c.json(
        { installations: (await listInstallations(deps.db, principal.orgId)).map(toResponse) },
        200,
      );
    })
    .openapi(getInstallationRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      const installation = await findInstallation(deps.db, c.req.valid('param').id, principal.orgId);
      if (!installation) throw notFound('installation');
      return c.json(toResponse(installation), 200);
    });
}
