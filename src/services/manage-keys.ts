import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { Principal, Role } from '../domain/auth/principal.js';
import {
  createApiKey,
  findApiKey,
  findOrganization,
  revokeApiKey,
  type ApiKeyInfo,
} from '../domain/auth/repository.js';
import { deleteSessionsOfKey } from '../domain/auth/sessions.js';
import { notFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

/**
 * Issues a key (an organisation's, or a platform key when orgId is null) and audits it; the token is
 * in the answer this once and stored only hashed.
 */
export async function issueKey(
  deps: ServiceDeps,
  principal: Principal,
  input: { orgId: string | null; role: Role; name: string },
): Promise<{ key: ApiKeyInfo; token: string }> {
  if (input.orgId !== null && !(await findOrganization(deps.db, input.orgId))) throw notFound('organisation');
  return withTransaction(deps.db, async (tx) => {
    const created = await createApiKey(tx, { ...input, createdBy: principal.keyId });
    await recordAudit(tx, {
      orgId: input.orgId,
      actor: principal,
      action: 'key.created',
      subjectType: 'api_key',
      subjectId: created.key.id,
      details: { role: input.role },
    });
    return created;
  });
}

/** Revokes a key at once (its sessions and requests fail from now on) and audits it. */
export async function revokeKey(
  deps: ServiceDeps,
  principal: Principal,
  input: { keyId: string },
): Promise<void> {
  const key = await findApiKey(deps.db, input.keyId);
  if (!key) throw notFound('key');
  await withTransaction(deps.db, async (tx) => {
    await revokeApiKey(tx, key.id);
    await deleteSessionsOfKey(tx, key.id);
    await recordAudit(tx, {
      orgId: key.orgId,
      actor: principal,
      action: 'key.revoked',
      subjectType: 'api_key',
      subjectId: key.id,
    });
  });
  // Before answering: this process's next request with the key must fail, not wait for the announcement.
  deps.apiKeys?.forget(key.id);
}
