import { proxyActivities } from '@temporalio/workflow';
import type { ProvisionActivities } from '../activities/provision.js';

// Removal must finish, so it retries for longer than provisioning does; every step is idempotent.
const activities = proxyActivities<ProvisionActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
  },
});

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
