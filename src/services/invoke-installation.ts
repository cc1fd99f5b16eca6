import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OrgPrincipal } from '../domain/auth/principal.js';
import { findVersionById } from '../domain/catalog/repository.js';
import { AppError, conflict, notFound } from '../domain/errors.js';
import { entitlementRefusal } from '../domain/executions/entitlement.js';
import {
  createExecution,
  findByIdempotencyKey,
  findExecution,
  type StoredExecution,
} from '../domain/executions/repository.js';
import { findInstallation } from '../domain/installations/repository.js';
import { startOwnedWorkflow } from '../temporal/start-workflow.js';
import { installationSearchAttributes } from '../temporal/search-attributes.js';
import { executeAgent, executeWorkflowId } from '../workflows/execute.js';
import { workflowStarter, type ServiceDeps } from './deps.js';

/** The largest execution input accepted, as canonical JSON. */
export const maxExecutionInputBytes = 256 * 1024;
const terminalStatuses = new Set(['succeeded', 'failed', 'timed_out']);

/** How an invocation ended for its caller: finished (sync), or still running with its ids. */
export type Invocation =
  | { finished: true; execution: StoredExecution }
  | { finished: false; executionId: string; workflowId: string };

/**
 * Invokes an active installation: refuses it when the organisation, quota, budget or rate limit do
 * not allow it, records the execution (once per Idempotency-Key and body) and starts
 * `execute:<executionId>`. In sync mode, waits up to the configured time for it to end.
 */
export async function invokeInstallation(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: {
    installationId: string;
    input: unknown;
    mode: 'sync' | 'async';
    idempotencyKey: string | null;
  },
): Promise<Invocation> {
  const installation = await findInstallation(deps.db, input.installationId, principal.orgId);
  if (!installation) throw notFound('installation');
  if (installation.status !== 'active') {
    throw new AppError(
      'rule_violation',
      `the installation is ${installation.status}; only an active one can be invoked`,
    );
  }
  const canonical = JSON.stringify(input.input ?? null);
  if (Buffer.byteLength(canonical) > maxExecutionInputBytes) {
    throw new AppError('invalid_request', `input is larger than ${maxExecutionInputBytes} bytes`, [
      { path: 'json.input', message: 'too large' },
    ]);
  }
  const version = await findVersionById(deps.db, installation.versionId);
  if (!version) throw notFound('version');
  // A repeated idempotent request is not a new execution: it is answered, not checked again.
  const repeat = input.idempotencyKey
    ? await findByIdempotencyKey(deps.db, installation.id, input.idempotencyKey)
    : null;
  if (!repeat) {
    const refusal = await entitlementRefusal(deps.db, {
      installationId: installation.id,
      rateLimitPerMinute: deps.config.executionRateLimitPerMinute,
    });
    if (refusal) throw new AppError(refusal.code, refusal.message);
  }
  const requestSha256 = createHash('sha256').update(canonical).digest('hex');
  const { execution, created } = await createExecution(deps.db, {
    orgId: principal.orgId,
    installationId: installation.id,
    versionId: installation.versionId,
    input: input.input ?? null,
    idempotencyKey: input.idempotencyKey,
    requestSha256,
    createdBy: principal.keyId,
  });
  if (!created && execution.requestSha256 !== requestSha256) {
    throw conflict('this Idempotency-Key was used with a different request body');
  }
  const workflowId = executeWorkflowId(execution.id);
  // A repeat of a request whose answer was lost may be all that starts it: the API can die between
  // recording the execution and starting its workflow. Starting twice is safe (same workflow id).
  if (created || execution.status === 'queued') {
    await startOwnedWorkflow(workflowStarter(deps), {
      workflow: executeAgent,
      workflowId,
      kind: 'execute',
      ownerOrgId: installation.orgId,
      arg: { executionId: execution.id, timeoutSeconds: version.manifest.resources.timeoutSeconds },
      searchAttributes: installationSearchAttributes(installation),
    });
  }
  if (input.mode === 'sync') {
    const ended = await waitForEnd(deps, execution, deps.config.executionSyncWaitSeconds);
    if (terminalStatuses.has(ended.status)) return { finished: true, execution: ended };
  }
  return { finished: false, executionId: execution.id, workflowId };
}

/** Waits (polling PostgreSQL) until the execution ends or the wait is over; returns it either way. */
async function waitForEnd(
  deps: ServiceDeps,
  execution: StoredExecution,
  seconds: number,
): Promise<StoredExecution> {
  const deadline = Date.now() + seconds * 1000;
  let current = execution;
  while (!terminalStatuses.has(current.status) && Date.now() < deadline) {
    await sleep(20);
    current = (await findExecution(deps.db, execution.id)) ?? current;
  }
  return current;
}
