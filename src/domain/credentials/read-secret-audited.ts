import type { SecretStore } from '../../adapters/secrets/secret-store.js';
import type { Queryable } from '../../db/pool.js';
import { recordAudit } from '../audit/repository.js';
import type { Principal } from '../auth/principal.js';

/** Why a secret value is being read: for an installation's runtime, or for one execution. */
export type SecretReadPurpose = { installationId: string } | { executionId: string };

/**
 * Reads one of a tenant's secret values and records the read in the tenant's audit trail (tenant,
 * secret name, installation or execution, actor, time; never the value). The audit row is written
 * before the value is handed out, so a value is never released unrecorded. Null when absent.
 */
export async function readSecretAudited(
  deps: { db: Queryable; secrets: SecretStore },
  input: {
    orgId: string;
    name: string;
    purpose: SecretReadPurpose;
    /** The key that caused the read (e.g. the one that installed), or null for the platform itself. */
    actor: Pick<Principal, 'keyId' | 'role'> | null;
  },
): Promise<string | null> {
  const value = await deps.secrets.get(input.orgId, input.name);
  await recordAudit(deps.db, {
    orgId: input.orgId,
    actor: input.actor,
    action: value === null ? 'credential.read_missing' : 'credential.read',
    subjectType: 'credential',
    subjectId: input.name,
    details: { ...input.purpose },
  });
  return value;
}
