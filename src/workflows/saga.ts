import { CancellationScope, type ActivityOptions } from '@temporalio/workflow';
import type { FailureType } from '../domain/failures.js';

/** A list of undo steps, newest first: register each before the step whose outcome may be unclear. */
type Compensations = Array<() => Promise<unknown>>;

/** One saga: its steps, each declared with its undo, and the undos run newest first when it fails. */
export interface Saga {
  /** Registers the undo, then runs the step: an outcome left unclear (a timeout) is still undone. */
  step<T>(run: () => Promise<T>, undo: () => Promise<unknown>): Promise<T>;
  /** Registers an undo for a step already taken. */
  addUndo(undo: () => Promise<unknown>): void;
  /** Runs the undos newest first, even when the workflow is being cancelled; answers their failures. */
  compensate(): Promise<string[]>;
}

/** Starts a saga with no undos yet. */
export function createSaga(): Saga {
  const undos: Compensations = [];
  return {
    step(run, undo) {
      undos.unshift(undo);
      return run();
    },
    addUndo(undo) {
      undos.unshift(undo);
    },
    compensate: () => runCompensations(undos),
  };
}

/** The one wording of a failure, with the failures of cleaning up after it when there were any. */
export function failureWithCleanup(reason: string, undoErrors: string[]): string {
  return undoErrors.length ? `${reason}; cleaning up also failed: ${undoErrors.join('; ')}` : reason;
}

/** Runs undos newest first, even if the workflow is being cancelled, and returns their failures. */
async function runCompensations(compensations: Compensations): Promise<string[]> {
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
    ] satisfies FailureType[],
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
