import { nonRetryable } from '../domain/failures.js';
import {
  defineQuery,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { ProvisionActivities } from '../activities/provision.js';
import { createSaga, failureWithCleanup, installationStepOptions, rootCauseMessage } from './saga.js';

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
  const saga = createSaga();
  const byId = { installationId };
  const databaseSteps = patched('provision-local-database-steps') ? localActivities : activities;
  try {
    await databaseSteps.checkInstallationCredentials(byId);

    state = { phase: 'creating_runtime' };
    await saga.step(
      () => activities.createInstallationRuntime(byId),
      () => activities.destroyInstallationRuntime(byId),
    );

    state = { phase: 'injecting_secrets' };
    await saga.step(
      () => activities.injectInstallationSecrets(byId),
      () => activities.revokeInstallationSecrets(byId),
    );

    state = { phase: 'opening_meter' };
    await saga.step(
      () => databaseSteps.openInstallationMeter(byId),
      () => activities.closeInstallationMeter(byId),
    );

    state = { phase: 'activating' };
    await databaseSteps.activateInstallation(byId);
  } catch (error) {
    const reason = failureWithCleanup(rootCauseMessage(error), await saga.compensate());
    state = { phase: 'failed', reason };
    await activities.failInstallation({ installationId, reason });
    throw nonRetryable('ProvisioningFailed', reason, { cause: error as Error });
  }
  return (state = { phase: 'active' });
}
