import type { Db } from '../db/pool.js';
import { entitlementRefusal } from '../domain/executions/entitlement.js';
import { AppError } from '../domain/errors.js';
import { lookUpGatewayToken, reserveGatewayCall, type GatewayGrantRecord } from '../domain/gateway/tokens.js';
import { listTools, type Tool } from '../domain/gateway/tools.js';

/** What an agent asks the gateway for: a model of its llm tools, or a named http tool. */
export type CallTarget = { kind: 'llm'; model: string } | { kind: 'http'; tool: string };

/** A call the gateway may forward: the grant it was made under and the tool that serves it. */
export interface AuthorizedCall {
  grant: GatewayGrantRecord;
  tool: Tool;
}

const tokenRefusals = {
  unknown: 'the gateway token is not valid',
  expired: 'the gateway token has expired: it lived as long as its execution could',
  revoked: 'the gateway token was revoked: its execution has ended',
} as const;

/** The bearer token of an Authorization header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

/**
 * Decides whether a call may go upstream, in the order a caller can act on: the token (403 unknown,
 * expired or revoked), the tool or model it asks for (403 when no granted tool allows it), the
 * installation's organisation and monthly budget (403 suspended, 429 spent, live runs included),
 * the manifest's per-run caps on tokens and calls (429); the call is then counted against the cap.
 */
export async function authorizeCall(db: Db, token: string, target: CallTarget): Promise<AuthorizedCall> {
  const lookup = await lookUpGatewayToken(db, token);
  if (!lookup.ok) throw new AppError('forbidden', tokenRefusals[lookup.reason]);
  const { grant } = lookup;
  const [tools, refusal] = await Promise.all([
    listTools(db, grant.tools),
    entitlementRefusal(db, { installationId: grant.installationId, executionId: grant.executionId }),
  ]);
  const tool = chooseTool(tools, grant, target);
  if (refusal) throw new AppError(refusal.code, refusal.message);
  if (grant.maxTokens !== null && grant.tokensUsed >= grant.maxTokens) {
    throw new AppError(
      'rate_limited',
      `this execution has used its ${grant.maxTokens} tokens (the manifest's resources.maxTokens)`,
    );
  }
  if (!(await reserveGatewayCall(db, grant.tokenHash))) {
    // Either the token died since it was read, or the calls are used up: tell which.
    const again = await lookUpGatewayToken(db, token);
    if (!again.ok) throw new AppError('forbidden', tokenRefusals[again.reason]);
    throw new AppError(
      'rate_limited',
      `this execution has made its ${grant.maxToolCalls} tool calls (the manifest's resources.maxToolCalls)`,
    );
  }
  return { grant, tool };
}

/** The granted tool that serves the target, or a 403 saying what is allowed instead. */
function chooseTool(tools: Tool[], grant: GatewayGrantRecord, target: CallTarget): Tool {
  if (target.kind === 'http') {
    const tool = tools.find((candidate) => candidate.name === target.tool);
    if (!tool || !grant.tools.includes(target.tool)) {
      throw new AppError(
        'forbidden',
        `tool ${target.tool} is not declared by this agent's version (it may use: ${grant.tools.join(', ') || 'none'})`,
      );
    }
    if (tool.kind !== 'http')
      throw new AppError('forbidden', `tool ${tool.name} is an llm tool: call it at /v1/chat/completions`);
    return tool;
  }
  const llmTools = tools.filter((tool) => tool.kind === 'llm');
  if (llmTools.length === 0)
    throw new AppError('forbidden', "this agent's version declares no llm tool, so it may call no model");
  const tool = llmTools.find((candidate) => candidate.models.includes(target.model));
  if (!tool) {
    const allowed = [...new Set(llmTools.flatMap((candidate) => candidate.models))];
    throw new AppError(
      'forbidden',
      `model ${target.model} is not allowed for this agent (allowed: ${allowed.join(', ')})`,
      { allowedModels: allowed },
    );
  }
  return tool;
}
