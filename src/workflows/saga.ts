import { CancellationScope } from '@temporalio/workflow';

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
