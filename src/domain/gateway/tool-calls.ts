import type pg from 'pg';
import { withTransaction, type Db, type Queryable } from '../../db/pool.js';
import { recordBudgetThresholds } from '../metering/budget-thresholds.js';
import { insertUsageEvents, type UsageEvent } from '../metering/usage-events.js';

/** One upstream call the gateway made for an execution, as the execution lists it. */
export interface ToolCall {
  tool: string;
  model: string | null;
  status: 'succeeded' | 'failed';
  tokensIn: number;
  tokensOut: number;
  durationMs: number;
}

/** One upstream call as the gateway records it: its own id (so it counts once), its token, its tool's prices. */
export interface ToolCallRecord extends ToolCall {
  callId: string;
  tokenHash: string;
  executionId: string;
  orgId: string;
  installationId: string;
  upstreamStatus: number | null;
  /** The tool's price per 1k input and output tokens (exact decimals), when it has one. */
  pricePer1kInputTokens: string | null;
  pricePer1kOutputTokens: string | null;
}

// One statement: insert the calls not recorded before (a batch written again inserts nothing twice),
// then add exactly the inserted ones to their tokens' running totals (the caps and the budget read
// them while the run goes on) under the tokens' row locks, in a fixed order. A token whose run was
// settled meanwhile (settled_at, set under the same lock by the run's billing) marks its calls late.
const RECORD_CALLS = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[],
                       $8::text[], $9::int[], $10::int[], $11::int[], $12::int[], $13::numeric[], $14::numeric[])
    AS t(call_id, token_sha256, execution_id, org_id, installation_id, tool, model, status, upstream_status,
         tokens_in, tokens_out, duration_ms, price_in, price_out)
), inserted AS (
  INSERT INTO tool_calls (call_id, execution_id, org_id, installation_id, tool, model, status, upstream_status,
                          tokens_in, tokens_out, duration_ms, cost)
  SELECT call_id, execution_id, org_id, installation_id, tool, model, status, upstream_status, tokens_in,
         tokens_out, duration_ms,
         COALESCE(tokens_in * price_in / 1000, 0) + COALESCE(tokens_out * price_out / 1000, 0)
  FROM input
  ON CONFLICT (call_id) DO NOTHING
  RETURNING call_id, tokens_in, tokens_out, cost
), sums AS (
  SELECT i.token_sha256, count(*)::int AS calls, sum(n.tokens_in) AS tokens_in, sum(n.tokens_out) AS tokens_out,
         sum(n.cost) AS cost
  FROM inserted n JOIN input i USING (call_id)
  GROUP BY i.token_sha256
), locked AS (
  SELECT g.token_sha256 FROM gateway_tokens g JOIN sums s USING (token_sha256)
  ORDER BY g.token_sha256 FOR UPDATE OF g
), counted AS (
  UPDATE gateway_tokens g
  SET recorded_calls = g.recorded_calls + s.calls, tokens_in = g.tokens_in + s.tokens_in,
      tokens_out = g.tokens_out + s.tokens_out, tool_cost = g.tool_cost + s.cost
  FROM sums s, locked l
  WHERE g.token_sha256 = s.token_sha256 AND l.token_sha256 = s.token_sha256
  RETURNING g.token_sha256, g.settled_at IS NOT NULL AS settled
)
SELECT n.call_id FROM inserted n JOIN input i USING (call_id) JOIN counted c USING (token_sha256)
WHERE c.settled`;

// What a late call bills: the listing's price per token when its run succeeded (no invocation: the
// run's own event has it), plus the tool's price; in the installation's currency.
const LATE_CALLS = `
SELECT t.call_id, t.org_id, t.installation_id, i.listing_id, t.execution_id, t.tokens_in, t.tokens_out,
       t.duration_ms, t.cost::text AS tool_cost,
       CASE WHEN t.cost > 0 THEN t.tokens_in + t.tokens_out ELSE 0 END AS tool_tokens,
       ((CASE WHEN e.status = 'succeeded' THEN COALESCE(usage_cost(m.pricing, 0, t.tokens_in + t.tokens_out), 0)
              ELSE 0 END) + t.cost)::text AS cost,
       COALESCE(m.pricing->>'currency', 'usd') AS currency
FROM tool_calls t
JOIN executions e ON e.id = t.execution_id
JOIN installations i ON i.id = t.installation_id
LEFT JOIN usage_meters m ON m.installation_id = t.installation_id
WHERE t.call_id = ANY($1::uuid[])
ORDER BY t.id`;

/**
 * Records upstream calls, each exactly once (by its id: writing a batch again after an unclear
 * failure records nothing twice), adds their usage and cost to their tokens' running totals, and
 * bills on its own, in the same transaction, any call that ended after its run was settled (a
 * stream that outlived its run): one usage event per call, keyed by the call's id, and the
 * execution's tokens and cost grow by it. Returns the ids of the calls billed that way.
 */
export async function recordToolCalls(db: Db, calls: readonly ToolCallRecord[]): Promise<string[]> {
  if (calls.length === 0) return [];
  const column = <T>(pick: (call: ToolCallRecord) => T) => calls.map(pick);
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ call_id: string }>(RECORD_CALLS, [
      column((c) => c.callId),
      column((c) => c.tokenHash),
      column((c) => c.executionId),
      column((c) => c.orgId),
      column((c) => c.installationId),
      column((c) => c.tool),
      column((c) => c.model),
      column((c) => c.status),
      column((c) => c.upstreamStatus),
      column((c) => c.tokensIn),
      column((c) => c.tokensOut),
      column((c) => Math.round(c.durationMs)),
      column((c) => c.pricePer1kInputTokens),
      column((c) => c.pricePer1kOutputTokens),
    ]);
    if (rows.length === 0) return [];
    return billLateCalls(
      tx,
      rows.map((row) => row.call_id),
    );
  });
}

async function billLateCalls(tx: pg.PoolClient, callIds: string[]): Promise<string[]> {
  const { rows } = await tx.query(LATE_CALLS, [callIds]);
  const occurredAt = new Date();
  const events: UsageEvent[] = rows.map((row) => ({
    eventId: `tool-call:${row.call_id}`,
    orgId: row.org_id,
    installationId: row.installation_id,
    listingId: row.listing_id,
    executionId: row.execution_id,
    invocations: 0,
    tokensIn: row.tokens_in,
    tokensOut: row.tokens_out,
    durationMs: 0,
    cost: row.cost,
    toolCost: row.tool_cost,
    toolTokens: row.tool_tokens,
    currency: row.currency,
    occurredAt,
    source: 'platform',
  }));
  const fresh = await insertUsageEvents(tx, events);
  const billed = events.filter((event) => fresh.has(event.eventId));
  for (const event of billed) {
    await tx.query(
      `UPDATE executions SET tokens_in = COALESCE(tokens_in, 0) + $2, tokens_out = COALESCE(tokens_out, 0) + $3,
         cost = COALESCE(cost, 0) + $4::numeric
       WHERE id = $1`,
      [event.executionId, event.tokensIn, event.tokensOut, event.cost],
    );
  }
  await recordBudgetThresholds(tx, billed);
  return billed.map((event) => event.eventId.slice('tool-call:'.length));
}

/**
 * Waits (up to `timeoutMs`) until every call reserved through the execution's tokens is recorded:
 * the gateway writes records after answering, so the last ones may still be on their way when the
 * run ends. A call still streaming, or lost with a gateway that died, is not waited for longer: one
 * that ends later is billed on its own. True when none is outstanding.
 */
export async function waitForToolCallRecords(
  db: Queryable,
  executionId: string,
  options: { timeoutMs: number; pollMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const { rows } = await db.query(
      `SELECT COALESCE(sum(calls - recorded_calls), 0)::int AS outstanding FROM gateway_tokens WHERE execution_id = $1`,
      [executionId],
    );
    if (rows[0].outstanding <= 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 10));
  }
}

/** An execution's gateway calls, in the order they were made. */
export async function listToolCalls(db: Queryable, executionId: string): Promise<ToolCall[]> {
  const { rows } = await db.query(
    `SELECT tool, model, status, tokens_in, tokens_out, duration_ms FROM tool_calls
     WHERE execution_id = $1 ORDER BY id`,
    [executionId],
  );
  return rows.map((row) => ({
    tool: row.tool,
    model: row.model,
    status: row.status,
    tokensIn: row.tokens_in,
    tokensOut: row.tokens_out,
    durationMs: row.duration_ms,
  }));
}

/**
 * Settles what the gateway measured for an execution, in the transaction that bills its run: its
 * tokens are marked settled under their row locks (a call recorded after this bills itself), then
 * its calls, tokens and what they cost at their tools' prices are summed, and the tokens of the
 * priced calls (what billing lists on the tool line), beside the calls its tokens reserved (some
 * may be recorded only later, e.g. by a gateway restarted after being killed). Exact decimal cost.
 */
export async function settleMeteredUsage(
  tx: pg.PoolClient,
  executionId: string,
): Promise<{
  calls: number;
  reservedCalls: number;
  tokensIn: number;
  tokensOut: number;
  toolCost: string;
  toolTokens: number;
}> {
  const tokens = await tx.query<{ calls: number }>(
    `UPDATE gateway_tokens SET settled_at = COALESCE(settled_at, now()) WHERE token_sha256 IN (
       SELECT token_sha256 FROM gateway_tokens WHERE execution_id = $1 ORDER BY token_sha256 FOR UPDATE)
     RETURNING calls`,
    [executionId],
  );
  const { rows } = await tx.query(
    `SELECT count(*)::int AS calls, COALESCE(sum(tokens_in), 0)::bigint AS tokens_in,
            COALESCE(sum(tokens_out), 0)::bigint AS tokens_out, COALESCE(sum(cost), 0)::text AS tool_cost,
            COALESCE(sum(tokens_in + tokens_out) FILTER (WHERE cost > 0), 0)::bigint AS tool_tokens
     FROM tool_calls WHERE execution_id = $1`,
    [executionId],
  );
  return {
    calls: rows[0].calls,
    reservedCalls: tokens.rows.reduce((sum, row) => sum + row.calls, 0),
    tokensIn: Number(rows[0].tokens_in),
    tokensOut: Number(rows[0].tokens_out),
    toolCost: rows[0].tool_cost,
    toolTokens: Number(rows[0].tool_tokens),
  };
}
