import { z } from 'zod';
import type { Queryable } from '../../db/pool.js';
import { recordExecutionDay } from '../catalog/listing-stats.js';
import { executeWorkflowId } from '../../workflows/execute.js';
import { toStorableJsonText, toStorableText } from '../storable-text.js';

/** Execution states: queued and running, then exactly one terminal state. */
export const executionStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'timed_out']);
/** One execution state. */
export type ExecutionStatus = z.infer<typeof executionStatusSchema>;

/** One invocation of an installed agent, as the API shows it. */
export interface Execution {
  id: string;
  installationId: string;
  status: ExecutionStatus;
  output: unknown;
  reason: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  durationMs: number | null;
  cost: string | null;
  currency: string | null;
  /** Where tokensIn/tokensOut come from: measured by the gateway, or the agent's own report. */
  usageSource: 'gateway' | 'agent' | null;
  createdAt: string;
  finishedAt: string | null;
}

/** An execution with the fields only Bazaar reads. */
export interface StoredExecution extends Execution {
  orgId: string;
  versionId: string;
  input: unknown;
  requestSha256: string;
  /** What the agent reported about itself; billed only when the gateway measured nothing. */
  agentTokensIn: number | null;
  agentTokensOut: number | null;
}

function toExecution(row: Record<string, unknown>): StoredExecution {
  return {
    id: row.id as string,
    orgId: row.org_id as string,
    installationId: row.installation_id as string,
    versionId: row.version_id as string,
    status: row.status as ExecutionStatus,
    input: row.input,
    output: row.output ?? null,
    reason: (row.reason as string | null) ?? null,
    tokensIn: (row.tokens_in as number | null) ?? null,
    tokensOut: (row.tokens_out as number | null) ?? null,
    durationMs: (row.duration_ms as number | null) ?? null,
    cost: (row.cost as string | null) ?? null,
    currency: (row.currency as string | null) ?? null,
    usageSource: (row.usage_source as 'gateway' | 'agent' | null) ?? null,
    agentTokensIn: (row.agent_tokens_in as number | null) ?? null,
    agentTokensOut: (row.agent_tokens_out as number | null) ?? null,
    requestSha256: row.request_sha256 as string,
    createdAt: (row.created_at as Date).toISOString(),
    finishedAt: row.finished_at ? (row.finished_at as Date).toISOString() : null,
  };
}

/**
 * Records a new execution, or, when the same idempotency key was used before on this installation,
 * returns that one instead (created: false) for the caller to compare request hashes.
 */
export async function createExecution(
  db: Queryable,
  input: {
    orgId: string;
    installationId: string;
    versionId: string;
    input: unknown;
    idempotencyKey: string | null;
    requestSha256: string;
    createdBy: string;
  },
): Promise<{ execution: StoredExecution; created: boolean }> {
  const { rows } = await db.query(
    `INSERT INTO executions (org_id, installation_id, version_id, input, idempotency_key, request_sha256, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (org_id, installation_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING *`,
    [
      input.orgId,
      input.installationId,
      input.versionId,
      JSON.stringify(input.input),
      input.idempotencyKey,
      input.requestSha256,
      input.createdBy,
    ],
  );
  if (rows[0]) return { execution: toExecution(rows[0]), created: true };
  // The insert only skips on an idempotency key, so the earlier execution exists.
  const existing = await findByIdempotencyKey(db, input.installationId, input.idempotencyKey!);
  return { execution: existing!, created: false };
}

/** Finds an execution; with orgId, only that organisation's (another's is simply absent). */
export async function findExecution(
  db: Queryable,
  id: string,
  orgId?: string,
): Promise<StoredExecution | null> {
  const { rows } = await db.query(
    'SELECT * FROM executions WHERE id::text = $1 AND ($2::uuid IS NULL OR org_id = $2)',
    [id, orgId ?? null],
  );
  return rows[0] ? toExecution(rows[0]) : null;
}

/** Moves a queued execution to running; false when it is already past that. */
export async function markExecutionRunning(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE executions SET status = 'running' WHERE id = $1 AND status = 'queued'`,
    [id],
  );
  return rowCount === 1;
}

/**
 * Ends an execution once: only a queued or running execution takes a terminal state, so a retried
 * activity or a replayed workflow can never overwrite the first outcome. False when it had ended.
 * The agent's output and the reason are its own text: NUL and lone surrogates, which PostgreSQL
 * refuses, are stored as U+FFFD rather than failing the execution. The listing's daily execution
 * rollup counts it at the same time: pass the client of a transaction so both commit together.
 */
export async function finishExecution(
  db: Queryable,
  input: {
    id: string;
    status: Extract<ExecutionStatus, 'succeeded' | 'failed' | 'timed_out'>;
    output?: unknown;
    reason?: string | null;
    tokensIn?: number | null;
    tokensOut?: number | null;
    durationMs?: number | null;
    cost?: string | null;
    currency?: string | null;
    usageSource?: 'gateway' | 'agent' | null;
    agentTokensIn?: number | null;
    agentTokensOut?: number | null;
  },
): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE executions SET status = $2, output = $3, reason = $4, tokens_in = $5, tokens_out = $6, duration_ms = $7,
       cost = $8, currency = $9, usage_source = $10, agent_tokens_in = $11, agent_tokens_out = $12, finished_at = now()
     WHERE id = $1 AND status IN ('queued', 'running') RETURNING installation_id`,
    [
      input.id,
      input.status,
      input.output === undefined ? null : toStorableJsonText(input.output),
      typeof input.reason === 'string' ? toStorableText(input.reason) : null,
      input.tokensIn ?? null,
      input.tokensOut ?? null,
      input.durationMs ?? null,
      input.cost ?? null,
      input.currency ?? null,
      input.usageSource ?? null,
      input.agentTokensIn ?? null,
      input.agentTokensOut ?? null,
    ],
  );
  if (!rows[0]) return false;
  // The listing's daily rollup counts it in the same statement sequence (the caller's transaction).
  await recordExecutionDay(db, {
    installationId: rows[0].installation_id,
    succeeded: input.status === 'succeeded',
    durationMs: input.durationMs ?? null,
  });
  return true;
}

/** Strips what only Bazaar reads. */
export function toPublicExecution(execution: StoredExecution): Execution & { workflowId: string } {
  const {
    orgId: _orgId,
    versionId: _versionId,
    input: _input,
    requestSha256: _hash,
    agentTokensIn: _agentIn,
    agentTokensOut: _agentOut,
    ...shown
  } = execution;
  return { ...shown, workflowId: executeWorkflowId(execution.id) };
}

/** An installation's executions, newest first; `before` (a createdAt) pages back. */
export async function listExecutions(
  db: Queryable,
  input: { orgId: string; installationId: string; limit: number; before?: string },
): Promise<StoredExecution[]> {
  const { rows } = await db.query(
    `SELECT * FROM executions
     WHERE installation_id = $1 AND org_id = $2 AND ($3::timestamptz IS NULL OR created_at < $3)
     ORDER BY created_at DESC, id DESC LIMIT $4`,
    [input.installationId, input.orgId, input.before ?? null, input.limit],
  );
  return rows.map(toExecution);
}

/** Usage totals for one listing over a period. */
export interface UsageSummary {
  /** The UTC day (YYYY-MM-DD), when summarised by day. */
  day?: string;
  listingId: string;
  listingSlug: string;
  currency: string;
  invocations: number;
  tokensIn: number;
  tokensOut: number;
  averageDurationMs: number;
  cost: string;
  /** The part of `cost` the gateway's tools charged (the platform's), and the tokens of those calls. */
  toolCost: string;
  toolTokens: number;
}

/** An organisation's metered usage in [from, to), per listing and currency, optionally for one listing. */
export async function summarizeUsage(
  db: Queryable,
  input: { orgId: string; from?: string; to?: string; listing?: string; by?: 'listing' | 'day' },
): Promise<UsageSummary[]> {
  // By day: one row per UTC day, listing and currency (the console's chart), days in order.
  const byDay = input.by === 'day';
  const day = byDay ? `to_char(u.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : 'NULL';
  const { rows } = await db.query(
    `SELECT ${day} AS day, u.listing_id, l.slug, u.currency, sum(u.invocations)::int AS invocations,
            sum(u.tokens_in)::bigint AS tokens_in, sum(u.tokens_out)::bigint AS tokens_out,
            round(avg(u.duration_ms))::int AS average_duration_ms, sum(u.cost)::text AS cost,
            sum(u.tool_cost)::text AS tool_cost, sum(u.tool_tokens)::bigint AS tool_tokens
     FROM usage_events u JOIN listings l ON l.id = u.listing_id
     WHERE u.org_id = $1
       AND ($2::timestamptz IS NULL OR u.occurred_at >= $2)
       AND ($3::timestamptz IS NULL OR u.occurred_at < $3)
       AND ($4::text IS NULL OR l.id::text = $4 OR l.slug = $4)
     GROUP BY 1, u.listing_id, l.slug, u.currency ORDER BY 1, l.slug, u.currency`,
    [input.orgId, input.from ?? null, input.to ?? null, input.listing ?? null],
  );
  return rows.map((row) => ({
    ...(byDay ? { day: row.day as string } : {}),
    listingId: row.listing_id,
    listingSlug: row.slug,
    currency: row.currency,
    invocations: row.invocations,
    tokensIn: Number(row.tokens_in),
    tokensOut: Number(row.tokens_out),
    averageDurationMs: row.average_duration_ms,
    cost: row.cost,
    toolCost: row.tool_cost,
    toolTokens: Number(row.tool_tokens),
  }));
}

/** The execution an installation started with this idempotency key, if any. */
export async function findByIdempotencyKey(
  db: Queryable,
  installationId: string,
  key: string,
): Promise<StoredExecution | null> {
  const { rows } = await db.query(
    'SELECT * FROM executions WHERE installation_id = $1 AND idempotency_key = $2',
    [installationId, key],
  );
  return rows[0] ? toExecution(rows[0]) : null;
}
