// What a failed command tells the person (one line) and the shell (an exit code).
import { describeApiError, type ApiErrorBody } from '../client/bazaar-client.js';

/** The CLI's exit codes, as documented in the README. */
export const exitCodes = {
  /** It worked. */
  ok: 0,
  /** It failed: the API could not be reached or answered an error, a run failed, a review rejected it. */
  failed: 1,
  /** It was called wrongly: an unknown command or option, a missing argument, or input the API found invalid (400). */
  usage: 2,
  /** A rule refused it: the API answered 403, 409 or 422. */
  refused: 3,
} as const;

/** A failure to report in one line, with the exit code it ends the command with. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: number = exitCodes.failed,
    /** The API's error body, when the API refused: printed whole with --json. */
    readonly apiError?: ApiErrorBody['error'] & { status: number },
  ) {
    super(message);
  }
}

/** The exit code an API error status maps to. */
export function exitCodeForStatus(status: number): number {
  if (status === 400) return exitCodes.usage;
  if (status === 403 || status === 409 || status === 422) return exitCodes.refused;
  return exitCodes.failed;
}

/** A CliError from an API error answer: its message, code and request id on one line. */
export function apiFailure(status: number, body: unknown): CliError {
  const error = (body as Partial<ApiErrorBody> | undefined)?.error;
  return new CliError(
    describeApiError(status, body),
    exitCodeForStatus(status),
    error ? { ...error, status } : undefined,
  );
}

/** A usage error (exit code 2). */
export const usageError = (message: string) => new CliError(message, exitCodes.usage);
