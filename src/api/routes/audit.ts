import { createRoute, z } from '@hono/zod-openapi';
import { auditActions, listAudit } from '../../domain/audit/repository.js';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonResponse, access } from '../openapi.js';
import { createRouter } from '../router.js';

const auditEventSchema = z
  .object({
    id: z.string(),
    orgId: z.uuid().nullable(),
    actorKeyId: z.string().nullable(),
    actorRole: z.string().nullable(),
    action: z.enum(auditActions),
    subjectType: z.string(),
    subjectId: z.string(),
    reason: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    createdAt: z.iso.datetime(),
  })
  .openapi('AuditEvent');

const auditRoute = createRoute({
  method: 'get',
  path: '/v1/audit',
  tags: ['audit'],
  summary: "The organisation's audit trail (org admin)",
  ...access('org-admin'),
  request: {
    query: z.object({
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(200),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ events: z.array(auditEventSchema) }), 'Events, oldest first'),
    ...errorResponses(400, 401, 403),
  },
});

/** The audit trail. */
export function auditRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(auditRoute, async (c) => {
    const principal = asOrgPrincipal(c.get('principal'));
    const query = c.req.valid('query');
    return c.json({ events: await listAudit(deps.db, { orgId: principal.orgId, ...query }) }, 200);
  });
}
