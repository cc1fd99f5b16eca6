import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/pool.js';

/** How long a token outlives its run's timeout, for the set-up before the agent starts and the last call. */
export const TOKEN_MARGIN_SECONDS = 120;

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Issues an execution's gateway token: random, returned once, stored as a SHA-256 only. It allows
 * exactly `tools`, within the manifest's caps, and expires `ttlSeconds` from now unless revoked first.
 */
export async function issueGatewayToken(
  db: Queryable,
  input: {
    executionId: string;
    installationId: string;
    orgId: string;
    tools: readonly string[];
    maxToolCalls?: number;
    maxTokens?: number;
    ttlSeconds: number;
  },
): Promise<string> {
  const token = `bzgw_${randomBytes(32).toString('base64url')}`;
  await db.query(
    `INSERT INTO gateway_tokens (token_sha256, execution_id, installation_id, org_id, tools, max_tool_calls, max_tokens, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))`,
    [
      sha256(token),
      input.executionId,
      input.installationId,
      input.orgId,
      input.tools,
      input.maxToolCalls ?? null,
      input.maxTokens ?? null,
      input.ttlSeconds,
    ],
  );
  return token;
}

/** Revokes every live token of an execution (its run ended, or a new attempt replaces it). */
export async function revokeExecutionTokens(db: Queryable, executionId: string): Promise<number> {
  const { rowCount } = await db.query(
    'UPDATE gateway_tokens SET revoked_at = now() WHERE execution_id = $1 AND revoked_at IS NULL',
    [executionId],
  );
  return rowCount ?? 0;
}

/** What a valid token allows, as the gateway reads it on each call. */
export interface GatewayGrantRecord {
  tokenHash: string;
  executionId: string;
  installationId: string;
  orgId: string;
  tools: string[];
  maxToolCalls: number | null;
  maxTokens: number | null;
  calls: number;
  tokensUsed: number;
}

/** A token the gateway looked up: what it allows, or why it is refused. */
export type TokenLookup =
  { ok: true; grant: GatewayGrantRecord } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' };

/** Looks a token up by its hash. */
export async function lookUpGatewayToken(db: Queryable, tokenHash: string): Promise<TokenLookup> {
  const { rows } = await db.query(
    `SELECT token_sha256, execution_id, installation_id, org_id, tools, max_tool_calls, max_tokens, calls,
            tokens_in + tokens_out AS tokens_used, revoked_at IS NOT NULL AS revoked, expires_at <= now() AS expired
     FROM gateway_tokens WHERE token_sha256 = $1`,
    [tokenHash],
  );
  const row = rows[0];
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.revoked) return { ok: false, reason: 'revoked' };
  if (row.expired) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    grant: {
      tokenHash: row.token_sha256,
      executionId: row.execution_id,
      installationId: row.installation_id,
      orgId: row.org_id,
      tools: row.tools,
      maxToolCalls: row.max_tool_calls,
      maxTokens: row.max_tokens,
      calls: row.calls,
      tokensUsed: Number(row.tokens_used),
    },
  };
}

/** The token's hash, as it is stored and looked up. */
export const gatewayTokenHash = sha256;

/**
 * Takes one call from the token's allowance, atomically (concurrent calls cannot pass a cap
 * together): only while the token lives, its calls are under max_tool_calls and its tokens under
 * max_tokens. False otherwise; lookUpGatewayToken then tells which.
 */
export async function reserveGatewayCall(db: Queryable, tokenHash: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE gateway_tokens SET calls = calls + 1
     WHERE token_sha256 = $1 AND revoked_at IS NULL AND expires_at > now()
       AND (max_tool_calls IS NULL OR calls < max_tool_calls)
       AND (max_tokens IS NULL OR tokens_in + tokens_out < max_tokens)`,
    [tokenHash],
  );
  return rowCount === 1;
}

/** Gives back a call reserved for a request that was then refused. */
export async function releaseGatewayCall(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('UPDATE gateway_tokens SET calls = calls - 1 WHERE token_sha256 = $1 AND calls > 0', [
    tokenHash,
  ]);
}
