import { createRoute, z } from '@hono/zod-openapi';
import { withTransaction } from '../../db/pool.js';
import { recordAudit } from '../../domain/audit/repository.js';
import { platformRoleSchema } from '../../domain/auth/principal.js';
import { createApiKey, findApiKey, revokeApiKey } from '../../domain/auth/repository.js';
import { notFound } from '../../domain/errors.js';
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
      const principal = c.get('principal');
      const key = await findApiKey(deps.db, c.req.valid('param').keyId);
      if (!key) throw notFound('key');
      await withTransaction(deps.db, async (tx) => {
        await revokeApiKey(tx, key.id);
        await recordAudit(tx, {
          orgId: key.orgId,
          actor: principal,
          action: 'key.revoked',
          subjectType: 'api_key',
          subjectId: key.id,
        });
      });
      return c.body(null, 204);
    })
    .openapi(createPlatformKeyRoute, async (c) => {
      const principal = c.get('principal');
      const body = c.req.valid('json');
      const issued = await withTransaction(deps.db, async (tx) => {
        const created = await createApiKey(tx, {
          orgId: null,
          role: body.role,
          name: body.name,
          createdBy: principal.keyId,
        });
        await recordAudit(tx, {
          orgId: null,
          actor: principal,
          action: 'key.created',
          subjectType: 'api_key',
          subjectId: created.key.id,
          details: { role: body.role },
        });
        return created;
      });
      return c.json(issued, 201);
    });
}
