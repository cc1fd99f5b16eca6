import { createRoute, z } from '@hono/zod-openapi';
import { SIGNING_SECRET_GRACE_MS } from '../../runtime/remote/signing-secrets.js';
import { rotateListingSigningSecret } from '../../services/rotate-listing-signing-secret.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonResponse, access } from '../openapi.js';
import { createRouter } from '../router.js';
import { listingParamsSchema } from '../schemas.js';

const signingSecretSchema = z
  .object({
    listingId: z.uuid(),
    secret: z.string().openapi({
      description: 'Shown only now: `whsec_` and the base64 of the HMAC-SHA256 key (Standard Webhooks)',
    }),
    rotatedAt: z.iso.datetime(),
    previousValidUntil: z.iso
      .datetime()
      .nullable()
      .openapi({
        description: `Until when requests are also signed with the secret this one replaced (${SIGNING_SECRET_GRACE_MS / 3_600_000} h); null for the first secret`,
      }),
  })
  .openapi('SigningSecret');

const rotateRoute = createRoute({
  method: 'post',
  path: '/v1/listings/{id}/signing-secret',
  tags: ['listings'],
  summary:
    "Create or rotate the secret that signs requests to the listing's remote endpoint (publisher admin)",
  description:
    'Bazaar signs every request to a remote agent’s endpoint with this secret (headers `webhook-id`, `webhook-timestamp`, `webhook-signature`, per Standard Webhooks). The new secret is returned once; the one it replaces keeps signing alongside it for a grace period.',
  ...access('org-admin', { param: 'id', kind: 'listing' }),
  request: { params: listingParamsSchema },
  responses: {
    201: jsonResponse(signingSecretSchema, 'The new secret, shown once'),
    ...errorResponses(401, 403, 404, 503),
  },
});

/** Signing secrets: the shared key publishers verify Bazaar's requests to their remote agents with. */
export function signingSecretRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(rotateRoute, async (c) =>
    c.json(
      await rotateListingSigningSecret(deps, c.get('principal'), { listing: c.req.valid('param').id }),
      201,
    ),
  );
}
