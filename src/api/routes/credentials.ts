import { createRoute, z } from '@hono/zod-openapi';
import { SecretStoreError } from '../../adapters/secrets/secret-store.js';
import { recordAudit } from '../../domain/audit/repository.js';
import { requireOrg } from '../../domain/auth/principal.js';
import { credentialNameSchema, credentialValueSchema } from '../../domain/credentials/schemas.js';
import { AppError, notFound } from '../../domain/errors.js';
import type { ApiDeps } from '../env.js';
import { bearerAuth, errorResponses, jsonBody, jsonResponse } from '../openapi.js';
import { createRouter } from '../router.js';
import { installationsByCredential } from '../../domain/installs/repository.js';
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
  security: bearerAuth,
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
  security: bearerAuth,
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
  security: bearerAuth,
  request: { params: nameParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404, 503) },
});

/** Runs a secret-store call, answering 503 (not 500) when the store cannot be reached. */
async function usingStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SecretStoreError && error.kind === 'unavailable')
      throw new AppError('unavailable', 'the secret store is unavailable; try again shortly');
    throw error;
  }
}

/** Credentials: an organisation's secrets, write-only (values go to the secret store, never back). */
export function credentialRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(putCredentialRoute, async (c) => {
      const principal = requireOrg(c.get('principal'), true);
      const { name } = c.req.valid('param');
      const stored = await usingStore(() =>
        deps.secrets.put(principal.orgId, name, c.req.valid('json').value),
      );
      await recordAudit(deps.db, {
        orgId: principal.orgId,
        actor: principal,
        action: stored.version === 1 ? 'credential.created' : 'credential.replaced',
        subjectType: 'credential',
        subjectId: name,
        details: { version: stored.version },
      });
      return c.body(null, 204);
    })
    .openapi(listCredentialsRoute, async (c) => {
      const principal = requireOrg(c.get('principal'), true);
      const [credentials, usage] = await Promise.all([
        usingStore(() => deps.secrets.list(principal.orgId)),
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
      const principal = requireOrg(c.get('principal'), true);
      const { name } = c.req.valid('param');
      if (!(await usingStore(() => deps.secrets.delete(principal.orgId, name)))) throw notFound('credential');
      await recordAudit(deps.db, {
        orgId: principal.orgId,
        actor: principal,
        action: 'credential.deleted',
        subjectType: 'credential',
        subjectId: name,
      });
      return c.body(null, 204);
    });
}
