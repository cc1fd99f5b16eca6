import type { Db } from '../db/pool.js';
import { entitlementVerdict } from '../domain/executions/entitlement.js';
import { AppError } from '../domain/errors.js';
import {
  gatewayTokenHash,
  lookUpGatewayToken,
  releaseGatewayCall,
  reserveGatewayCall,
  type GatewayGrantRecord,
} from '../domain/gateway/tokens.js';
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

// How long what never changes about a token (its execution, tools, caps) and the tool catalog are
// kept in memory. Whether a token still lives, and its counts, are checked in PostgreSQL on every call.
const GRANT_TTL_MS = 30_000;
const CATALOG_TTL_MS = 2_000;
const MAX_GRANTS = 10_000;
// How long a run's "entitled" verdict is kept when it reads no live spend (no monthly budget
// applies): then only a suspension or a newly set budget could change it, taken up within this time.
// A run under a budget is checked against PostgreSQL on every call, so it stops at the exact call.
const ENTITLED_TTL_MS = 2_000;

/** The bearer token of an Authorization header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

/**
 * Decides whether a call may go upstream, in the order a caller can act on: the token (403 unknown,
 * expired or revoked), the tool or model it asks for (403 when no granted tool allows it), the
 * manifest's per-run caps on calls and tokens (429), the installation's organisation and monthly
 * budget (403 suspended, 429 spent, live runs included). The call is counted against the cap at
 * once, atomically, and given back when refused. One round trip to PostgreSQL on the hot path (the
 * caps, and the budget beside them in parallel): a token's fixed part and the catalog are cached
 * briefly, and so is a run's entitlement when no budget applies to it.
 */
export class CallAuthorizer {
  private readonly grants = new Map<string, { grant: GatewayGrantRecord; until: number }>();
  private catalog: { tools: Map<string, Tool>; until: number } | null = null;
  private readonly entitled = new Map<string, number>();
  private readonly hashes = new Map<string, string>();

  /** `recorded` tells when a token's calls answered before are recorded (CallRecorder.recorded). */
  constructor(
    private readonly db: Db,
    private readonly recorded: (tokenHash: string) => Promise<void> | null = () => null,
  ) {}

  /**
   * The authorised call (one call reserved against the token's caps), or the AppError to answer.
   * `check` refuses what the chosen tool does not allow before anything is reserved.
   */
  async authorize(token: string, target: CallTarget, check?: (tool: Tool) => void): Promise<AuthorizedCall> {
    const tokenHash = this.hashOf(token);
    const grant = await this.grantOf(tokenHash);
    const tool = chooseTool(await this.tools(grant.tools), grant, target);
    check?.(tool);
    const now = Date.now();
    const entitled = (this.entitled.get(grant.executionId) ?? 0) > now;
    // A token cap or a budget reads the run's usage so far: the calls answered before this one are
    // recorded first (their records follow their answers), so each is counted before the next goes.
    if (grant.maxTokens !== null || !entitled) await this.recorded(tokenHash);
    const [reserved, verdict] = await Promise.all([
      reserveGatewayCall(this.db, tokenHash),
      entitled
        ? null
        : entitlementVerdict(this.db, {
            installationId: grant.installationId,
            executionId: grant.executionId,
          }),
    ]);
    if (!reserved) throw await this.whyNot(tokenHash);
    if (verdict?.refusal) {
      await releaseGatewayCall(this.db, tokenHash);
      throw new AppError(verdict.refusal.code, verdict.refusal.message);
    }
    if (verdict && !verdict.readsLiveSpend) {
      if (this.entitled.size >= MAX_GRANTS) this.entitled.clear();
      this.entitled.set(grant.executionId, now + ENTITLED_TTL_MS);
    }
    return { grant, tool };
  }

  /** Gives back the call reserved for an authorised request that was refused before going upstream. */
  async release(call: AuthorizedCall): Promise<void> {
    await releaseGatewayCall(this.db, call.grant.tokenHash);
  }

  // A token's SHA-256, kept with its grant's lifetime: a run's later calls hash nothing.
  private hashOf(token: string): string {
    const cached = this.hashes.get(token);
    if (cached !== undefined) return cached;
    const hash = gatewayTokenHash(token);
    if (this.hashes.size >= MAX_GRANTS) this.hashes.clear();
    this.hashes.set(token, hash);
    return hash;
  }

  private async grantOf(tokenHash: string): Promise<GatewayGrantRecord> {
    const now = Date.now();
    const cached = this.grants.get(tokenHash);
    if (cached && cached.until > now) return cached.grant;
    const lookup = await lookUpGatewayToken(this.db, tokenHash);
    if (!lookup.ok) throw new AppError('forbidden', tokenRefusals[lookup.reason]);
    if (this.grants.size >= MAX_GRANTS) this.grants.clear();
    this.grants.set(tokenHash, { grant: lookup.grant, until: now + GRANT_TTL_MS });
    return lookup.grant;
  }

  private async tools(names: string[]): Promise<Tool[]> {
    const now = Date.now();
    if (!this.catalog || this.catalog.until <= now) {
      const tools = await listTools(this.db);
      this.catalog = { tools: new Map(tools.map((tool) => [tool.name, tool])), until: now + CATALOG_TTL_MS };
    }
    const { tools } = this.catalog;
    return names.flatMap((name) => tools.get(name) ?? []);
  }

  // The reservation failed: the token died since it was cached, or a cap is reached. Tell which.
  private async whyNot(tokenHash: string): Promise<AppError> {
    const lookup = await lookUpGatewayToken(this.db, tokenHash);
    if (!lookup.ok) {
      this.grants.delete(tokenHash);
      return new AppError('forbidden', tokenRefusals[lookup.reason]);
    }
    const { grant } = lookup;
    if (grant.maxTokens !== null && grant.tokensUsed >= grant.maxTokens) {
      return new AppError(
        'rate_limited',
        `this execution has used its ${grant.maxTokens} tokens (the manifest's resources.maxTokens)`,
      );
    }
    return new AppError(
      'rate_limited',
      `this execution has made its ${grant.maxToolCalls} tool calls (the manifest's resources.maxToolCalls)`,
    );
  }
}

/** The granted tool that serves the target, or a 403 saying what is allowed instead. */
function chooseTool(tools: Tool[], grant: GatewayGrantRecord, target: CallTarget): Tool {
  if (target.kind === 'http') {
    const tool = tools.find((candidate) => candidate.name === target.tool);
    if (!tool) {
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
