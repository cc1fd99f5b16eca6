import {
  ApplicationFailure,
  defineQuery,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { ProvisionActivities } from '../activities/provision.js';
import { installationStepOptions, rootCauseMessage, runCompensations, type Compensations } from './saga.js';

/** The id of an installation's provisioning workflow. */
export const provisionWorkflowId = (installationId: string) => `provision:${installationId}`;

/** What starts a provisioning: the installation; everything else is read from PostgreSQL by id. */
export interface ProvisionInput {
  installationId: string;
}

/** Where a provisioning stands; returned by the state query and as the workflow result. */
export interface ProvisionState {
  phase:
    | 'checking_credentials'
    | 'creating_runtime'
    | 'injecting_secrets'
    | 'opening_meter'
    | 'activating'
    | 'active'
    | 'failed';
  reason?: string;
}

/** Query reporting the current ProvisionState. */
export const provisionStateQuery = defineQuery<ProvisionState>('state');

const activities = proxyActivities<ProvisionActivities>(installationStepOptions);
// The short PostgreSQL-only steps run as local activities, in the workflow's own worker: no task
// queue round trip each (install throughput). Histories from before kept the regular path.
const localActivities = proxyLocalActivities<ProvisionActivities>(installationStepOptions);

/**
 * Installs a listing version for a tenant: checks its credentials, creates an isolated runtime,
 * injects exactly the declared secrets, opens the usage meter, and marks the installation active.
 * Any failure undoes what was done, newest first, and leaves the installation failed with the reason.
 * Only ids and secret names pass through this workflow, never a secret value.
 */
export async function provisionInstallation({ installationId }: ProvisionInput): Promise<ProvisionState> {
  let state: ProvisionState = { phase: 'checking_credentials' };
  setHandler(provisionStateQuery, () => state);
  const compensations: Compensations = [];
  const byId = { installationId };
  const databaseSteps = patched('provision-local-database-steps') ? localActivities : activities;
  try {
    await databaseSteps.checkInstallationCredentials(byId);

    state = { phase: 'creating_runtime' };
    compensations.unshift(() => activities.destroyInstallationRuntime(byId));
    await activities.createInstallationRuntime(byId);

    state = { phase: 'injecting_secrets' };
    compensations.unshift(() => activities.revokeInstallationSecrets(byId));
    await activities.injectInstallationSecrets(byId);

    state = { phase: 'opening_meter' };
    compensations.unshift(() => activities.closeInstallationMeter(byId));
    await databaseSteps.openInstallationMeter(byId);

    state = { phase: 'activating' };
    await databaseSteps.activateInstallation(byId);
  } catch (error) {
    const undoErrors = await runCompensations(compensations);
    const reason = undoErrors.length
      ? `${rootCauseMessage(error)}; cleaning up also failed: ${undoErrors.join('; ')}`
      : rootCauseMessage(error);
    state = { phase: 'failed', reason };
    await activities.failInstallation({ installationId, reason });
    throw ApplicationFailure.create({
      message: reason,
      type: 'ProvisioningFailed',
      nonRetryable: true,
      cause: error as Error,
    });
  }
  return (state = { phase: 'active' });
}
