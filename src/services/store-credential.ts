import type { OrgPrincipal } from '../domain/auth/principal.js';
import { recordAudit } from '../domain/audit/repository.js';
import { notFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

/** Stores or replaces one of the caller's organisation's credentials (write-only) and audits it, without its value. */
export async function storeCredential(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { name: string; value: string },
): Promise<void> {
  const stored = await deps.secrets.put(principal.orgId, input.name, input.value);
  await recordAudit(deps.db, {
    orgId: principal.orgId,
    actor: principal,
    action: stored.version === 1 ? 'credential.created' : 'credential.replaced',
    subjectType: 'credential',
    subjectId: input.name,
    details: { version: stored.version },
  });
}

/** Deletes one of the caller's organisation's credentials with every earlier value, and audits it; 404 when missing. */
export async function deleteCredential(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { name: string },
): Promise<void> {
  if (!(await deps.secrets.delete(principal.orgId, input.name))) throw notFound('credential');
  await recordAudit(deps.db, {
    orgId: principal.orgId,
    actor: principal,
    action: 'credential.deleted',
    subjectType: 'credential',
    subjectId: input.name,
  });
}
