import { nonRetryable } from '../domain/failures.js';
import { proxyActivities } from '@temporalio/workflow';
import type { ProvisionActivities } from '../activities/provision.js';
import {
  installationStepOptions,
  removalStepOptions,
  rootCauseMessage,
  createSaga,
  failureWithCleanup,
} from './saga.js';

/** What an upgrade needs: the installation, the version it runs now, and the one to move to. */
export interface UpgradeInput {
  installationId: string;
  fromVersionId: string;
  toVersionId: string;
}

const activities = proxyActivities<ProvisionActivities>(installationStepOptions);

const cleanup = proxyActivities<ProvisionActivities>(removalStepOptions);

/** The id of the workflow moving an installation to a version. */
export const upgradeWorkflowId = (installationId: string, version: string) =>
  `upgrade:${installationId}:${version}`;

/**
 * Moves an active installation to another version (id `upgrade:<installationId>:<version>`):
 * provisions the new version's runtime beside the old one, switches the installation over in one
 * step, then removes the old runtime. Before the switch any failure rolls the new runtime back and
 * the installation keeps running its version, with the reason recorded.
 */
export async function upgradeInstallation(input: UpgradeInput): Promise<{ upgraded: true }> {
  const next = { installationId: input.installationId, versionId: input.toVersionId };
  const previous = { installationId: input.installationId, versionId: input.fromVersionId };
  const saga = createSaga();
  try {
    await activities.checkInstallationCredentials(next);
    await saga.step(
      () => activities.createInstallationRuntime(next),
      () => activities.destroyInstallationRuntime(next),
    );
    await saga.step(
      () => activities.injectInstallationSecrets(next),
      () => activities.revokeInstallationSecrets(next),
    );
    await activities.switchInstallationVersion(input);
  } catch (error) {
    const reason = failureWithCleanup(
      `upgrade failed, still running the previous version: ${rootCauseMessage(error)}`,
      await saga.compensate(),
    );
    await activities.recordUpgradeFailure({ installationId: input.installationId, reason });
    throw nonRetryable('UpgradeFailed', reason, { cause: error as Error });
  }
  await cleanup.revokeInstallationSecrets(previous);
  await cleanup.destroyInstallationRuntime(previous);
  return { upgraded: true };
}
