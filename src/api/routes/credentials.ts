import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { credentialNameSchema, credentialValueSchema } from '../../domain/credentials/schemas.js';
import { deleteCredential, storeCredential } from '../../services/store-credential.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { createRouter } from '../router.js';
import { installationsByCredential } from '../../domain/installations/repository.js';
import { isPlatformSecretName } from '../../runtime/remote/signing-secrets.js';

const credentialSchema = z
  .object({
    name: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z.number().int().openapi({ description: '1 when created, +1 on every replacement' }),
    usedBy: z
      .array(z.uuid())
      .openapi({ description: 'Live installations whose runtime holds this credential' }),
  })
  .openapi('Credential');

const nameParams = z.object({ name: credentialNameSchema });

const putCredentialRoute = createRoute({
  method: 'put',
  path: '/v1/credentials/{name}',
  tags: ['credentials'],
  summary: 'Store or replace a credential (org admin); write-only, the value is never shown again',
  ...access('org-admin'),
  request: {
    params: nameParams,
    ...jsonBody(z.object({ value: credentialValueSchema.meta({ format: 'password', writeOnly: true }) })),
  },
  responses: { 204: { description: 'Stored' }, ...errorResponses(400, 401, 403, 503) },
});

const listCredentialsRoute = createRoute({
  method: 'get',
  path: '/v1/credentials',
  tags: ['credentials'],
  summary: "The organisation's credentials: names and metadata, never values (org admin)",
  ...access('org-admin'),
  responses: {
    200: jsonResponse(z.object({ credentials: z.array(credentialSchema) }), 'Credentials by name'),
    ...errorResponses(401, 403, 503),
  },
});

const deleteCredentialRoute = createRoute({
  method: 'delete',
  path: '/v1/credentials/{name}',
  tags: ['credentials'],
  summary: 'Delete a credential and every earlier value (org admin)',
  ...access('org-admin'),
  request: { params: nameParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404, 503) },
});

/** Credentials: an organisation's secrets, write-only (values go to the secret store, never back). */
export function credentialRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(putCredentialRoute, async (c) => {
      const input = { name: c.req.valid('param').name, value: c.req.valid('json').value };
      await storeCredential(deps, asOrgPrincipal(c.get('principal')), input);
      return c.body(null, 204);
    })
    .openapi(listCredentialsRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      const [credentials, usage] = await Promise.all([
        deps.secrets.list(principal.orgId),
        installationsByCredential(deps.db, principal.orgId),
      ]);
      return c.json(
        {
          // Platform records kept beside them (listings' signing secrets) are not credentials.
          credentials: credentials
            .filter((credential) => !isPlatformSecretName(credential.name))
            .map((credential) => ({
              ...credential,
              usedBy: usage.get(credential.name) ?? [],
            })),
        },
        200,
      );
    })
    .openapi(deleteCredentialRoute, async (c) => {
      await deleteCredential(deps, asOrgPrincipal(c.get('principal')), c.req.valid('param'));
      return c.body(null, 204);
    });
}
