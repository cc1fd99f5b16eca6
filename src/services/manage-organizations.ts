import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import {
  createApiKey,
  createOrganization as insertOrganization,
  setOrganizationStatus,
} from '../domain/auth/repository.js';
import { notFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

/** Creates an organisation with its first admin key (shown once), and audits it in the organisation's trail. */
export async function createOrganization(deps: ServiceDeps, principal: Principal, input: { name: string }) {
  return withTransaction(deps.db, async (tx) => {
    const org = await insertOrganization(tx, input.name);
    const apiKey = await createApiKey(tx, {
      orgId: org.id,
      role: 'admin',
      name: 'first admin key',
      createdBy: principal.keyId,
    });
    await recordAudit(tx, {
      orgId: org.id,
      actor: principal,
      action: 'org.created',
      subjectType: 'organization',
      subjectId: org.id,
    });
    return { org, apiKey };
  });
}

/** Suspends or reinstates an organisation and audits it (visible in the organisation's own trail). */
export async function changeOrganizationStatus(
  deps: ServiceDeps,
  principal: Principal,
  input: { orgId: string; status: 'active' | 'suspended'; reason: string | null },
) {
  return withTransaction(deps.db, async (tx) => {
    const org = await setOrganizationStatus(tx, {
      id: input.orgId,
      status: input.status,
      reason: input.reason,
    });
    if (!org) throw notFound('organisation');
    await recordAudit(tx, {
      orgId: org.id,
      actor: principal,
      action: input.status === 'suspended' ? 'org.suspended' : 'org.reinstated',
      subjectType: 'organization',
      subjectId: org.id,
      reason: input.reason ?? undefined,
    });
    return org;
  });
}
