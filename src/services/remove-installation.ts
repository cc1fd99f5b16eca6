import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { OrgPrincipal } from '../domain/auth/principal.js';
import { conflict, notFound } from '../domain/errors.js';
import { findInstallation, transitionInstallation } from '../domain/installations/repository.js';
import { startOwnedWorkflow } from '../temporal/start-workflow.js';
import { installationSearchAttributes } from '../temporal/search-attributes.js';
import { deprovisionInstallation, deprovisionWorkflowId } from '../workflows/deprovision.js';
import { workflowStarter, type ServiceDeps } from './deps.js';

/**
 * Removes an active or failed installation: marks it deprovisioning and starts
 * `deprovision:<installationId>` (revoke secrets, destroy the runtime, close the meter). Safe to repeat.
 */
export async function removeInstallation(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { installationId: string },
): Promise<{ workflowId: string }> {
  const installation = await findInstallation(deps.db, input.installationId, principal.orgId);
  if (!installation) throw notFound('installation');
  if (installation.status === 'provisioning') {
    throw conflict('the installation is still being provisioned; remove it once it is active or failed');
  }
  await withTransaction(deps.db, async (tx) => {
    await transitionInstallation(tx, {
      id: installation.id,
      from: ['active', 'failed'],
      to: 'deprovisioning',
    });
    await recordAudit(tx, {
      orgId: principal.orgId,
      actor: principal,
      action: 'installation.removal_requested',
      subjectType: 'installation',
      subjectId: installation.id,
    });
  });
  const workflowId = deprovisionWorkflowId(installation.id);
  await startOwnedWorkflow(workflowStarter(deps), {
    workflow: deprovisionInstallation,
    workflowId,
    kind: 'deprovision',
    ownerOrgId: installation.orgId,
    arg: { installationId: installation.id },
    searchAttributes: installationSearchAttributes(installation),
  });
  return { workflowId };
}
