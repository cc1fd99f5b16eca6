// Looking for a credential value where it must not be: in any of its encoded forms, whole or as a
// fragment long enough to be redacted.
import type { Client } from '@temporalio/client';
import { MIN_REDACTED_VALUE_LENGTH, secretForms } from '../../src/domain/credentials/redact-secrets.js';
import { executeWorkflowId } from '../../src/workflows/execute.js';
import type { Harness } from './harness.js';

/** Every form and every edge fragment of the value that occurs in the text (empty when none does). */
export function secretLeaks(text: string, value: string): string[] {
  const needles = secretForms(value).flatMap((form) => [
    form,
    form.slice(0, MIN_REDACTED_VALUE_LENGTH),
    form.slice(-MIN_REDACTED_VALUE_LENGTH),
  ]);
  return [...new Set(needles)].filter((needle) => text.includes(needle));
}

/** A workflow's whole history (fetched through the client) as text: every string in it, every payload decoded. */
export async function historyText(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const texts: string[] = [];
  // Walked, not JSON.stringify'd: the protobuf messages' toJSON would turn payloads into base64.
  const collect = (value: unknown): void => {
    if (value instanceof Uint8Array) texts.push(Buffer.from(value).toString('utf8'));
    else if (typeof value === 'string') texts.push(value);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(history);
  return texts.join('\n');
}

/**
 * Everything Bazaar stores or shows about one finished execution, by place: the invoke answer, the
 * execution and its workflow status as the API shows them, and the workflow's history.
 */
export async function storedAboutRun(
  h: Harness,
  input: { runAnswer: unknown; executionId: string; token: string },
): Promise<{ response: string; execution: string; workflow: string; history: string }> {
  const workflowId = executeWorkflowId(input.executionId);
  await h.temporal.workflow.getHandle(workflowId).result();
  const execution = await h.request('GET', `/v1/executions/${input.executionId}`, { token: input.token });
  const workflow = await h.request('GET', `/v1/workflows/${workflowId}`, { token: input.token });
  return {
    response: JSON.stringify(input.runAnswer),
    execution: JSON.stringify(execution.body),
    workflow: JSON.stringify(workflow.body),
    history: await historyText(h.temporal, workflowId),
  };
}
