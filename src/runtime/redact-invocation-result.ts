import { createSecretRedactor } from '../domain/credentials/redact-secrets.js';
import type { InvocationResult } from './runtime-driver.js';

/** An invocation's result without any secret value the agent was given: safe to store and return. */
export type RedactedInvocationResult = Omit<InvocationResult, 'secretsGiven'>;

/**
 * The one place every runtime's result passes through before it is stored or returned: removes each
 * value in `secretsGiven` (and its encoded forms) from the output (strings and keys), the reason and
 * the log tail, and drops the values themselves. Fields are copied one by one, so a field added to
 * InvocationResult later is not passed on unredacted.
 */
export function redactInvocationResult(result: InvocationResult): RedactedInvocationResult {
  const redactor = createSecretRedactor(result.secretsGiven);
  return {
    status: result.status,
    ...(result.output === undefined ? {} : { output: redactor.json(result.output) }),
    ...(result.usage === undefined ? {} : { usage: result.usage }),
    durationMs: result.durationMs,
    ...(result.reason === undefined ? {} : { reason: redactor.cutText(result.reason) }),
    logTail: redactor.cutText(result.logTail),
  };
}
