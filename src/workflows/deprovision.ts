import { proxyActivities } from '@temporalio/workflow';
import type { ProvisionActivities } from '../activities/provision.js';
import { removalStepOptions } from './saga.js';

const activities = proxyActivities<ProvisionActivities>(removalStepOptions);

/** The id of an installation's removal workflow. */
export const deprovisionWorkflowId = (installationId: string) => `deprovision:${installationId}`;

/**
 * Removes an installation (id `deprovision:<installationId>`): revokes its secrets, destroys its
 * runtime, closes its meter, and marks it removed. The reverse of provisioning, with nothing to
 * compensate: a step that keeps failing leaves it `deprovisioning`, visible to an operator.
 */
export async function deprovisionInstallation({ installationId }: { installationId: string }): Promise<void> {
  const byId = { installationId };
  await activities.revokeInstallationSecrets(byId);
  await activities.destroyInstallationRuntime(byId);
  await activities.closeInstallationMeter(byId);
  await activities.markInstallationRemoved(byId);
}
