import { CancellationScope, type ActivityOptions } from '@temporalio/workflow';

/** A list of undo steps, newest first: register each before the step whose outcome may be unclear. */
export type Compensations = Array<() => Promise<unknown>>;

/** Runs undos newest first, even if the workflow is being cancelled, and returns their failures. */
export async function runCompensations(compensations: Compensations): Promise<string[]> {
  const failures: string[] = [];
  await CancellationScope.nonCancellable(async () => {
    for (const undo of compensations) {
      try {
        await undo();
      } catch (error) {
        failures.push(rootCauseMessage(error));
      }
    }
  });
  return failures;
}

/** The innermost cause's message: "Activity task failed" wraps the activity's own error. */
export function rootCauseMessage(error: unknown): string {
  let current = error as Error;
  while (current.cause instanceof Error) current = current.cause;
  return current.message;
}

/**
 * Options of the steps that build or change an installation (provision, upgrade): each touches the
 * database, the secret store or the runtime, so transient failures are retried for a few minutes,
 * and permanent ones (missing credentials, a vanished version or installation) fail at once.
 */
export const installationStepOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 6,
    nonRetryableErrorTypes: [
      'MissingCredentials',
      'InstallationNotFound',
      'VersionNotFound',
      'InstallationChanged',
      'UnsupportedRuntime',
    ],
  },
};

/** Options of steps that remove what an installation had: removal must finish, so it retries longer. */
export const removalStepOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
  },
};
