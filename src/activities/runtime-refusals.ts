import { nonRetryable } from '../domain/failures.js';
import { RemoteEndpointRefusedError } from '../runtime/remote/resolve-endpoint.js';
import { UnsupportedRuntimeError } from '../runtime/runtime-router.js';

/**
 * The activity failure for a runtime's refusal no retry can change: a remote endpoint the address
 * policy refuses ('EndpointRefused'), a runtime kind no driver runs ('UnsupportedRuntime'), both
 * non-retryable; any other error as it is. (Left alone, Temporal types a plain error by its class
 * name, which no retry policy lists, so the refusal was retried until attempts ran out.)
 */
export function runtimeRefusalFailure(error: unknown): unknown {
  if (error instanceof RemoteEndpointRefusedError) return nonRetryable('EndpointRefused', error.message);
  if (error instanceof UnsupportedRuntimeError) return nonRetryable('UnsupportedRuntime', error.message);
  return error;
}

/** The same activities, each throwing a runtime refusal as runtimeRefusalFailure describes it. */
export function withRuntimeRefusals<T extends Record<string, (input: never) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (input) => {
      try {
        return await activity(input);
      } catch (error) {
        throw runtimeRefusalFailure(error);
      }
    };
  }
  return wrapped as T;
}
