import { findOrganization } from '../domain/auth/repository.js';
import type { ListingVersion } from '../domain/catalog/repository.js';
import { findMissingCredentials } from '../domain/credentials/missing-credentials.js';
import { AppError, forbidden } from '../domain/errors.js';
import { listTools } from '../domain/gateway/tools.js';
import type { ServiceDeps } from './deps.js';

/**
 * Refuses a suspended organisation (403), and (422) a version that is not published, that no
 * configured runtime can run, or whose credentials (its own and its tools') the tenant does not all
 * hold. Returns the credentials the runtime gets: the version's own, never its tools'.
 */
export async function assertInstallable(
  deps: ServiceDeps,
  orgId: string,
  version: ListingVersion,
): Promise<string[]> {
  const org = await findOrganization(deps.db, orgId);
  if (org?.status === 'suspended') {
    throw forbidden('your organisation is suspended and cannot install agents; contact the platform');
  }
  if (version.status !== 'published') {
    throw new AppError(
      'rule_violation',
      `version ${version.version} is ${version.status}; only a published version can be installed`,
    );
  }
  const { kind } = version.manifest.runtime;
  if (!deps.runtime.supports(kind)) {
    throw new AppError(
      'rule_violation',
      `this Bazaar runs no runtime for ${kind} agents, so it cannot install it`,
    );
  }
  const required = version.manifest.requiredCredentials.map((credential) => credential.name);
  // The declared tools' credentials are needed too, though only the gateway reads them (never the runtime).
  const toolCredentials =
    version.manifest.requiredTools.length > 0
      ? (await listTools(deps.db, version.manifest.requiredTools)).map((tool) => tool.credentialName)
      : [];
  const missing = await findMissingCredentials(deps.secrets, orgId, [
    ...new Set([...required, ...toolCredentials]),
  ]);
  if (missing.length > 0) {
    throw new AppError(
      'rule_violation',
      `missing credentials: ${missing.join(', ')}; store them with PUT /v1/credentials/{name}`,
      { missing },
    );
  }
  return required;
}
