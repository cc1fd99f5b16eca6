import { nonRetryable } from '../domain/failures.js';
import { Context, heartbeat } from '@temporalio/activity';
import { withTransaction, type Db, type Queryable } from '../db/pool.js';
import { findVersionById } from '../domain/catalog/repository.js';
import type { Manifest } from '../domain/catalog/schemas.js';
import {
  findExecution,
  finishExecution,
  markExecutionRunning,
  type StoredExecution,
} from '../domain/executions/repository.js';
import { recordEvent } from '../domain/events/repository.js';
import { entitlementRefusal } from '../domain/executions/entitlement.js';
import { recordBudgetThresholds } from '../domain/metering/budget-thresholds.js';
import { recordFreeQuotaExhausted } from '../domain/metering/free-quota.js';
import { insertUsageEvents } from '../domain/metering/usage-events.js';
import { findInstallation } from '../domain/installations/repository.js';
import { settleMeteredUsage, waitForToolCallRecords } from '../domain/gateway/tool-calls.js';
import { issueGatewayToken, revokeExecutionTokens, TOKEN_MARGIN_SECONDS } from '../domain/gateway/tokens.js';
import { listTools } from '../domain/gateway/tools.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { redactInvocationResult } from '../runtime/redact-invocation-result.js';
import type { GatewayGrant, RuntimeDriver } from '../runtime/runtime-driver.js';
import { withRuntimeRefusals } from './runtime-refusals.js';

/** What the execution activities need. */
export interface ExecuteActivityDeps {
  db: Db;
  runtime: RuntimeDriver;
  logger: Logger;
  metrics: Pick<Metrics, 'executions'>;
}

/** The activities of the execute workflow. */
export type ExecuteActivities = ReturnType<typeof createExecuteActivities>;

const HEARTBEAT_EVERY_MS = 2000;
// How long a run's end waits for the gateway to record the calls it answered last. A call still
// going after that (a stream outliving its run) is billed on its own when it ends.
const RECORDS_WAIT_MS = 3000;

/**
 * Builds the execution activities. An execution takes one terminal state, once (finishExecution
 * only moves a queued or running execution), and records one usage event keyed by its id, so a
 * retried activity or a worker killed mid-run never double counts. The agent's input and output
 * stay in PostgreSQL: the workflow carries only ids and statuses. Whatever the agent echoed of its
 * credentials is redacted from its result before any of it is stored or returned.
 */
export function createExecuteActivities({ db, runtime, logger, metrics }: ExecuteActivityDeps) {
  async function load(executionId: string): Promise<StoredExecution> {
    const execution = await findExecution(db, executionId);
    if (!execution) throw nonRetryable('ExecutionNotFound', `execution ${executionId} does not exist`);
    return execution;
  }

  /**
   * What a run costs, in exact decimals: one invocation and its tokens under the installation's
   * pricing snapshot when it succeeded, plus what its tools' prices make of the usage the gateway
   * measured (charged whatever the outcome: the upstream spent those tokens).
   */
  async function priceOf(
    q: Queryable,
    input: { installationId: string; tokens: number; succeeded: boolean; toolCost: string; currency: string },
  ): Promise<{ cost: string; currency: string }> {
    const { rows } = await q.query(
      `SELECT (CASE WHEN $3 THEN usage_cost(pricing, 1, $2) ELSE 0 END + $4::numeric)::text AS cost,
              COALESCE(pricing->>'currency', 'usd') AS currency
       FROM usage_meters WHERE installation_id = $1`,
      [input.installationId, input.tokens, input.succeeded, input.toolCost],
    );
    return rows[0] ?? { cost: input.toolCost, currency: input.currency };
  }

  /**
   * The gateway grant of a run whose version declares tools: a fresh token allowing exactly the
   * declared tools still in the catalog, until the run's timeout (plus a margin); undefined otherwise.
   */
  async function grantGateway(
    executionId: string,
    installation: { id: string; orgId: string },
    manifest: Manifest,
  ): Promise<GatewayGrant | undefined> {
    if (!manifest.requiredTools?.length) return undefined;
    const tools = await listTools(db, manifest.requiredTools);
    const token = await issueGatewayToken(db, {
      executionId,
      installationId: installation.id,
      orgId: installation.orgId,
      tools: tools.map((tool) => tool.name),
      maxToolCalls: manifest.resources.maxToolCalls,
      maxTokens: manifest.resources.maxTokens,
      ttlSeconds: manifest.resources.timeoutSeconds + TOKEN_MARGIN_SECONDS,
    });
    return { token, tools: tools.map((tool) => ({ name: tool.name, kind: tool.kind })) };
  }

  return withRuntimeRefusals({
    /**
     * Checks again, now that it is its turn, that it may run (installation active, organisation not
     * suspended, quota and budget left) and marks the execution running.
     */
    async beginExecution({ executionId }: { executionId: string }): Promise<void> {
      const execution = await load(executionId);
      const installation = await findInstallation(db, execution.installationId);
      if (!installation || installation.status !== 'active') {
        throw nonRetryable(
          'NotEntitled',
          `the installation is ${installation?.status ?? 'gone'}; only an active installation can be invoked`,
        );
      }
      const refusal = await entitlementRefusal(db, { installationId: installation.id, executionId });
      if (refusal) throw nonRetryable('NotEntitled', refusal.message);
      await markExecutionRunning(db, executionId);
    },

    /** Runs the agent in the installation's runtime, heartbeating, then records its outcome and usage once. */
    async runExecution({
      executionId,
    }: {
      executionId: string;
    }): Promise<{ status: string; reason: string | null }> {
      const execution = await load(executionId);
      if (!['queued', 'running'].includes(execution.status))
        return { status: execution.status, reason: execution.reason };
      const installation = await findInstallation(db, execution.installationId);
      const version = await findVersionById(db, execution.versionId);
      if (!installation || !version)
        throw nonRetryable('NotEntitled', 'the installation or its version is gone');

      const manifest = version.manifest as Manifest;
      const runtimeKind = manifest.runtime.kind;
      const usesTools = (manifest.requiredTools?.length ?? 0) > 0;
      // A new attempt (the worker died mid-run) replaces the last one's token: that agent is gone.
      if (usesTools) await revokeExecutionTokens(db, executionId);
      const beat = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        // Made here, not in the workflow, so the token never enters workflow history.
        const gateway = await grantGateway(executionId, installation, manifest);
        // Redacted before anything of it is stored, logged or returned (to the workflow, into history).
        const result = redactInvocationResult(
          await runtime.invoke(
            runtime.refFor({
              installationId: installation.id,
              orgId: installation.orgId,
              versionId: version.id,
              runtimeKind,
            }),
            {
              executionId,
              input: execution.input,
              manifest,
              ...(gateway ? { gateway } : {}),
              signal: Context.current().cancellationSignal,
            },
          ),
        );
        // The run is over: no more calls, then what the gateway measured is what counts. It writes
        // its records right after answering, so the last ones may still be on their way.
        if (gateway) await revokeExecutionTokens(db, executionId);
        if (usesTools) await waitForToolCallRecords(db, executionId, { timeoutMs: RECORDS_WAIT_MS });
        let usageSource: 'gateway' | 'agent' = 'agent';
        const finished = await withTransaction(db, async (tx) => {
          // Settled under the tokens' locks: a call recorded after this is billed on its own.
          const metered = usesTools ? await settleMeteredUsage(tx, executionId) : null;
          // A call reserved but not recorded yet is still measured by the gateway (billed on its own
          // when it arrives): the agent's own claim is never billed beside it.
          usageSource = metered && (metered.calls > 0 || metered.reservedCalls > 0) ? 'gateway' : 'agent';
          const tokensIn = usageSource === 'gateway' ? metered!.tokensIn : (result.usage?.tokensIn ?? 0);
          const tokensOut = usageSource === 'gateway' ? metered!.tokensOut : (result.usage?.tokensOut ?? 0);
          const price = await priceOf(tx, {
            installationId: installation.id,
            tokens: tokensIn + tokensOut,
            succeeded: result.status === 'succeeded',
            toolCost: metered?.toolCost ?? '0',
            currency: manifest.pricing.currency,
          });
          const finished = await finishExecution(tx, {
            id: executionId,
            status: result.status,
            output: result.output,
            reason: result.reason ?? null,
            tokensIn,
            tokensOut,
            durationMs: Math.round(result.durationMs),
            ...price,
            usageSource,
            agentTokensIn: result.usage?.tokensIn ?? null,
            agentTokensOut: result.usage?.tokensOut ?? null,
          });
          if (!finished) return false;
          // One event per execution, keyed by its id; only a successful run is a billable invocation.
          const usage = [
            {
              eventId: `execution:${executionId}`,
              orgId: installation.orgId,
              installationId: installation.id,
              listingId: installation.listingId,
              executionId,
              invocations: result.status === 'succeeded' ? 1 : 0,
              tokensIn,
              tokensOut,
              durationMs: Math.round(result.durationMs),
              ...price,
              // Kept apart within cost: billing puts the platform's tool charges on a line of their own.
              toolCost: metered?.toolCost ?? '0',
              toolTokens: metered?.toolTokens ?? 0,
              occurredAt: new Date(),
              source: 'platform' as const,
            },
          ];
          await insertUsageEvents(tx, usage);
          await recordBudgetThresholds(tx, usage);
          await recordEvent(tx, {
            orgId: installation.orgId,
            type: result.status === 'succeeded' ? 'execution.succeeded' : 'execution.failed',
            data: {
              executionId,
              installationId: installation.id,
              listingId: installation.listingId,
              status: result.status,
            },
          });
          // After the execution's own event, so a receiver reads them in the order they make sense.
          await recordFreeQuotaExhausted(tx, usage);
          return true;
        });
        // Counted after the commit, once: a retried attempt finds the execution already finished.
        if (finished) metrics.executions.inc({ status: result.status, runtime: runtimeKind });
        logger.info({ executionId, status: result.status, usageSource }, 'execution finished');
        return { status: result.status, reason: result.reason ?? null };
      } finally {
        clearInterval(beat);
        // Whatever happened, the run's token dies with it (already gone is fine).
        if (usesTools) await revokeExecutionTokens(db, executionId);
      }
    },

    /** Ends an execution that could not run, with the reason (no usage: nothing ran). */
    async failExecution({ executionId, reason }: { executionId: string; reason: string }): Promise<void> {
      const execution = await findExecution(db, executionId);
      const installation = execution && (await findInstallation(db, execution.installationId));
      const finished = await withTransaction(db, async (tx) => {
        const moved = await finishExecution(tx, { id: executionId, status: 'failed', reason });
        if (!moved || !installation) return moved;
        await recordEvent(tx, {
          orgId: installation.orgId,
          type: 'execution.failed',
          data: {
            executionId,
            installationId: installation.id,
            listingId: installation.listingId,
            status: 'failed',
          },
        });
        return moved;
      });
      if (finished) {
        const version = execution && (await findVersionById(db, execution.versionId));
        metrics.executions.inc({
          status: 'failed',
          runtime: version ? (version.manifest as Manifest).runtime.kind : 'unknown',
        });
      }
    },
  });
}
