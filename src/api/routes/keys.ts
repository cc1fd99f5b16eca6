import { createRoute, z } from '@hono/zod-openapi';
import { platformRoleSchema } from '../../domain/auth/principal.js';
import { issueKey, revokeKey } from '../../services/manage-keys.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { createRouter } from '../router.js';
import { issuedKeySchema } from '../schemas.js';

const revokeKeyRoute = createRoute({
  method: 'delete',
  path: '/v1/keys/{keyId}',
  tags: ['organisations'],
  summary: 'Revoke an API key (its org admin, or platform-admin)',
  ...access(['org-admin', 'platform-admin'], { param: 'keyId', kind: 'api-key' }),
  request: { params: z.object({ keyId: z.string().min(1).max(64) }) },
  responses: { 204: { description: 'Revoked' }, ...errorResponses(401, 403, 404) },
});

const createPlatformKeyRoute = createRoute({
  method: 'post',
  path: '/v1/platform/keys',
  tags: ['platform'],
  summary: 'Issue a platform key: platform-admin or reviewer (platform-admin)',
  ...access('platform-admin'),
  request: jsonBody(z.object({ name: z.string().trim().min(1).max(200), role: platformRoleSchema })),
  responses: {
    201: jsonResponse(issuedKeySchema, 'Issued; the token is shown once'),
    ...errorResponses(400, 401, 403),
  },
});

/** Key revocation and platform keys. */
export function keyRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(revokeKeyRoute, async (c) => {
      await revokeKey(deps, c.get('principal'), c.req.valid('param'));
      return c.body(null, 204);
    })
    .openapi(createPlatformKeyRoute, async (c) =>
      c.json(await issueKey(deps, c.get('principal'), { orgId: null, ...c.req.valid('json') }), 201),
    );
}
