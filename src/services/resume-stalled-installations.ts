import { listStalledInstallations } from '../domain/installations/repository.js';
import { startOwnedWorkflow } from '../temporal/start-workflow.js';
import { installationSearchAttributes } from '../temporal/search-attributes.js';
import { deprovisionInstallation, deprovisionWorkflowId } from '../workflows/deprovision.js';
import { provisionInstallation, provisionWorkflowId } from '../workflows/provision.js';
import type { ServiceDeps } from './deps.js';

/**
 * Starts the provision or deprovision workflow of every installation left `provisioning` or
 * `deprovisioning` for longer than `olderThanMs`: the API records the installation, then starts its
 * workflow, and an API killed in between leaves a row no workflow will ever move (and that cannot be
 * removed while provisioning). Starting a workflow that runs already is a no-op (same workflow id),
 * and both workflows are idempotent. Answers how many it started.
 */
export async function resumeStalledInstallations(
  deps: Pick<ServiceDeps, 'db' | 'temporal' | 'config'>,
  input: { olderThanMs: number; limit?: number },
): Promise<number> {
  const stalled = await listStalledInstallations(deps.db, {
    olderThanMs: input.olderThanMs,
    limit: input.limit ?? 100,
  });
  let started = 0;
  for (const installation of stalled) {
    const provisioning = installation.status === 'provisioning';
    const starter = { db: deps.db, temporal: deps.temporal, taskQueue: deps.config.temporal.taskQueue };
    const result = await startOwnedWorkflow(starter, {
      workflow: provisioning ? provisionInstallation : deprovisionInstallation,
      workflowId: (provisioning ? provisionWorkflowId : deprovisionWorkflowId)(installation.id),
      kind: provisioning ? 'provision' : 'deprovision',
      ownerOrgId: installation.orgId,
      arg: { installationId: installation.id },
      searchAttributes: installationSearchAttributes(installation),
    });
    if (result.started) started++;
  }
  return started;
}
