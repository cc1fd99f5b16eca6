import type { Queryable } from '../../db/pool.js';

/** One upstream call the gateway made for an execution, as the execution lists it. */
export interface ToolCall {
  tool: string;
  model: string | null;
  status: 'succeeded' | 'failed';
  tokensIn: number;
  tokensOut: number;
  durationMs: number;
}

/**
 * Records one upstream call with the usage the upstream reported, and adds that usage to the
 * token's running totals (the caps and the budget read them while the run goes on), in one statement.
 */
export async function recordToolCall(
  db: Queryable,
  input: ToolCall & {
    tokenHash: string;
    executionId: string;
    orgId: string;
    installationId: string;
    upstreamStatus: number | null;
  },
): Promise<void> {
  await db.query(
    `WITH counted AS (
       UPDATE gateway_tokens SET tokens_in = tokens_in + $8, tokens_out = tokens_out + $9 WHERE token_sha256 = $1
     )
     INSERT INTO tool_calls (execution_id, org_id, installation_id, tool, model, status, upstream_status,
                             tokens_in, tokens_out, duration_ms)
     VALUES ($2, $3, $4, $5, $6, $7, $10, $8, $9, $11)`,
    [
      input.tokenHash,
      input.executionId,
      input.orgId,
      input.installationId,
      input.tool,
      input.model,
      input.status,
      input.tokensIn,
      input.tokensOut,
      input.upstreamStatus,
      Math.round(input.durationMs),
    ],
  );
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

/** What the gateway measured for an execution: how many calls and the tokens upstreams reported. */
export async function meteredUsage(
  db: Queryable,
  executionId: string,
): Promise<{ calls: number; tokensIn: number; tokensOut: number }> {
  const { rows } = await db.query(
    `SELECT count(*)::int AS calls, COALESCE(sum(tokens_in), 0)::bigint AS tokens_in,
            COALESCE(sum(tokens_out), 0)::bigint AS tokens_out
     FROM tool_calls WHERE execution_id = $1`,
    [executionId],
  );
  return { calls: rows[0].calls, tokensIn: Number(rows[0].tokens_in), tokensOut: Number(rows[0].tokens_out) };
}
