// The execute activity and the gateway together: a run whose version declares tools gets a token for
// exactly them, the usage the gateway measured is what the execution shows and bills (the agent's own
// claim kept apart), and the token dies with the run. The agent here is test code run by the process
// driver in place of the sandboxed process (which reaches the gateway over its socket only once the
// runtime drivers consume `invocation.gateway`); it calls the gateway with the official openai package.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/api/listen.js';
import { buildTenantInvoices } from '../../src/domain/billing/build-invoices.js';
import { createLogger } from '../../src/logger.js';
import { LocalRuntimeDriver } from '../../src/runtime/local/local-runtime-driver.js';
import type {
  GatewayGrant,
  Invocation,
  InvocationResult,
  RuntimeRef,
} from '../../src/runtime/runtime-driver.js';
import { echoArtifact, installAgent } from '../support/agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { CHAT_USAGE, startOpenAiUpstream } from '../support/openai-upstream.js';
import { publishAgent } from '../support/publish.js';
import { waitFor } from '../support/wait-for.js';

/** What the stand-in agent saw of its run: its grant and the secrets its runtime holds. */
interface Seen {
  grant: GatewayGrant | undefined;
  secretNames: string[];
}

describe('gateway metering through the execute activity', () => {
  const suffix = randomUUID().slice(0, 8);
  const openAiKey = `sk-tenant-${randomUUID()}`;
  const credential = `LLM_KEY_${suffix.toUpperCase()}`;
  const tool = `llm-${suffix}`;
  let h: Harness;
  let upstream: Awaited<ReturnType<typeof startOpenAiUpstream>>;
  let caDir: string;
  let server: Server;
  let gatewayUrl = '';
  const seen: Seen[] = [];
  const late: Promise<void>[] = [];
  const pricedTool = `priced-${suffix}`;

  /** Runs as the agent: as many chat completions as its input asks, then claims usage of its own. */
  class AgentCallingTheGateway extends LocalRuntimeDriver {
    override async invoke(ref: RuntimeRef, invocation: Invocation): Promise<InvocationResult> {
      const input = invocation.input as {
        calls: number;
        stream?: boolean;
        model?: string;
        lateStreamPauseMs?: number;
      };
      const model = input.model ?? 'gpt-test';
      seen.push({ grant: invocation.gateway, secretNames: await this.secretNames(ref) });
      const started = Date.now();
      const client = new OpenAI({
        apiKey: invocation.gateway?.token ?? 'none',
        baseURL: `${gatewayUrl}/v1`,
        maxRetries: 0,
      });
      for (let call = 0; call < input.calls; call++) {
        const messages = [{ role: 'user' as const, content: `question ${call}` }];
        if (input.stream) {
          const stream = await client.chat.completions.create({ model, messages, stream: true });
          for await (const chunk of stream) void chunk;
        } else {
          await client.chat.completions.create({ model, messages });
        }
      }
      if (input.lateStreamPauseMs) {
        // A stream the agent leaves running when it returns (as a publisher's server may): it goes on
        // after the run has ended, and its usage arrives only then.
        const stream = await client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'a long answer' }],
          stream: true,
          stream_pause_ms: input.lateStreamPauseMs,
        } as OpenAI.ChatCompletionCreateParamsStreaming);
        const chunks = stream[Symbol.asyncIterator]();
        await chunks.next();
        late.push(
          (async () => {
            while (!(await chunks.next()).done);
          })(),
        );
      }
      return {
        status: 'succeeded',
        output: { answered: input.calls },
        // What a publisher's agent might claim about itself: never billed when the gateway measured.
        usage: { tokensIn: 90_000, tokensOut: 90_000 },
        durationMs: Date.now() - started,
        logTail: '',
        secretsGiven: {},
      };
    }
  }

  beforeAll(async () => {
    upstream = await startOpenAiUpstream({ apiKey: openAiKey });
    caDir = await mkdtemp(join(tmpdir(), 'bazaar-gateway-ca-'));
    await writeFile(join(caDir, 'ca.pem'), await readFile(upstream.certFile, 'utf8'));
    h = await startHarness({
      env: { GATEWAY_UPSTREAM_CA_FILE: join(caDir, 'ca.pem') },
      runtime: (root) => new AgentCallingTheGateway(root),
    });
    server = await listen(h.gateway!.app, { port: 0, hostname: '127.0.0.1', logger: createLogger('silent') });
    gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await h.call('POST', '/v1/platform/tools', {
      body: {
        name: tool,
        kind: 'llm',
        description: 'chat',
        baseUrl: upstream.baseUrl,
        credentialName: credential,
        models: ['gpt-test'],
      },
    });
    await h.call('POST', '/v1/platform/tools', {
      body: {
        name: pricedTool,
        kind: 'llm',
        description: 'priced chat',
        baseUrl: upstream.baseUrl,
        credentialName: credential,
        models: ['gpt-priced'],
        pricePer1kInputTokens: 0.5,
        pricePer1kOutputTokens: 2,
      },
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(late);
    await new Promise((done) => server?.close(done));
    await h?.stop();
    await upstream?.stop();
    if (caDir) await rm(caDir, { recursive: true, force: true });
  });

  it('bills what the gateway measured, keeps the agent’s claim apart, lists the calls and revokes the token', async () => {
    const publisher = await h.createOrg('publisher');
    const reviewer = await h.createPlatformKey('reviewer');
    const { slug } = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: echoArtifact(),
      manifest: {
        requiredTools: [tool],
        requiredCredentials: [{ name: 'SHOP_API_KEY' }],
        pricing: { model: 'usage_based', pricePer1kTokens: 1 },
      },
    });
    const consumer = await h.createOrg('consumer');
    for (const [name, value] of [
      [credential, openAiKey],
      ['SHOP_API_KEY', 'shop-key'],
    ])
      await h.call('PUT', `/v1/credentials/${name}`, { token: consumer.token, body: { value } });
    const { installationId } = await installAgent(h, slug, { consumer });

    const run = async (input: Record<string, unknown>) => {
      const answer = await h.request('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        body: { input, mode: 'sync' },
      });
      expect(answer.status).toBe(200);
      return (await h.call('GET', `/v1/executions/${answer.body.id}`, { token: consumer.token })) as Record<
        string,
        any
      >;
    };

    const metered = await run({ calls: 2 });
    const streamed = await run({ calls: 1, stream: true });
    const silent = await run({ calls: 0 });

    expect(metered).toMatchObject({
      status: 'succeeded',
      usageSource: 'gateway',
      tokensIn: 2 * CHAT_USAGE.prompt_tokens,
      tokensOut: 2 * CHAT_USAGE.completion_tokens,
      cost: '0.0440000000', // 2 calls × 22 tokens at 1 usd per 1k
    });
    expect(metered.toolCalls).toEqual([
      expect.objectContaining({ tool, model: 'gpt-test', status: 'succeeded', tokensIn: 17, tokensOut: 5 }),
      expect.objectContaining({ tool, model: 'gpt-test', status: 'succeeded', tokensIn: 17, tokensOut: 5 }),
    ]);
    expect(streamed).toMatchObject({ usageSource: 'gateway', tokensIn: 17, tokensOut: 5 });
    expect(streamed.toolCalls).toHaveLength(1);
    // Nothing went through the gateway: the agent's own report is all there is.
    expect(silent).toMatchObject({
      usageSource: 'agent',
      tokensIn: 90_000,
      tokensOut: 90_000,
      toolCalls: [],
    });

    const events = await h.db.query(
      'SELECT tokens_in, tokens_out, cost::text FROM usage_events WHERE execution_id = $1',
      [metered.id],
    );
    expect(events.rows).toEqual([{ tokens_in: 34, tokens_out: 10, cost: '0.0440000000' }]);
    const kept = await h.db.query('SELECT agent_tokens_in, agent_tokens_out FROM executions WHERE id = $1', [
      metered.id,
    ]);
    expect(kept.rows[0]).toEqual({ agent_tokens_in: 90_000, agent_tokens_out: 90_000 });

    // Each run was granted exactly the declared tool; the tool's credential never reached the runtime.
    expect(seen.map((entry) => entry.grant?.tools)).toEqual(Array(3).fill([{ name: tool, kind: 'llm' }]));
    for (const entry of seen) expect(entry.secretNames).toEqual(['SHOP_API_KEY']);
    // The token died with its run.
    const late = new OpenAI({ apiKey: seen[0]!.grant!.token, baseURL: `${gatewayUrl}/v1`, maxRetries: 0 });
    const refused = await late.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'again' }] })
      .catch((error: InstanceType<typeof OpenAI.APIError>) => error);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(403);
    // No token of a run is in its workflow history.
    const history = await h.temporal.workflow.getHandle(metered.workflowId).fetchHistory();
    expect(JSON.stringify(history)).not.toContain(seen[0]!.grant!.token);
  });

  /** A consumer of a usage-based agent (1 usd per 1k tokens) declaring `tools`, installed. */
  async function installedAgent(tools: string[]) {
    const publisher = await h.createOrg('publisher');
    const { slug } = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: await h.createPlatformKey('reviewer'),
      artifact: echoArtifact(),
      manifest: { requiredTools: tools, pricing: { model: 'usage_based', pricePer1kTokens: 1 } },
    });
    const consumer = await h.createOrg('consumer');
    await h.call('PUT', `/v1/credentials/${credential}`, {
      token: consumer.token,
      body: { value: openAiKey },
    });
    const { installationId } = await installAgent(h, slug, { consumer });
    const run = async (input: Record<string, unknown>) => {
      const answer = await h.request('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        body: { input, mode: 'sync' },
      });
      expect(answer.status).toBe(200);
      return answer.body.id as string;
    };
    const show = async (id: string) =>
      (await h.call('GET', `/v1/executions/${id}`, { token: consumer.token })) as Record<string, any>;
    return { run, show, orgId: consumer.org.id, token: consumer.token };
  }

  const usageEvents = async (executionId: string) =>
    (
      await h.db.query(
        'SELECT event_id, invocations, tokens_in, tokens_out, cost::text FROM usage_events WHERE execution_id = $1 ORDER BY invocations DESC',
        [executionId],
      )
    ).rows;

  it('charges a tool’s price per 1k input and output tokens on the execution and in the billed usage', async () => {
    const agent = await installedAgent([pricedTool]);
    const id = await agent.run({ calls: 2, model: 'gpt-priced' });
    // Per call: the listing's 22 tokens at 1 usd per 1k (0.022), and the tool's 17 input tokens at
    // 0.5 per 1k (0.0085) and 5 output tokens at 2 per 1k (0.01).
    expect(await agent.show(id)).toMatchObject({
      status: 'succeeded',
      usageSource: 'gateway',
      tokensIn: 34,
      tokensOut: 10,
      cost: '0.0810000000',
    });
    expect(await usageEvents(id)).toEqual([
      { event_id: `execution:${id}`, invocations: 1, tokens_in: 34, tokens_out: 10, cost: '0.0810000000' },
    ]);
    const calls = await h.db.query('SELECT cost::text FROM tool_calls WHERE execution_id = $1', [id]);
    expect(calls.rows).toEqual([{ cost: '0.0185000000' }, { cost: '0.0185000000' }]);
    // The tools' part of the event's cost is kept apart, with the tokens of those calls.
    const toolPart = async (executionId: string) =>
      (
        await h.db.query(
          'SELECT tool_cost::text, tool_tokens FROM usage_events WHERE execution_id = $1 ORDER BY invocations DESC',
          [executionId],
        )
      ).rows;
    expect(await toolPart(id)).toEqual([{ tool_cost: '0.0370000000', tool_tokens: 44 }]);

    // A priced stream outliving its run: its own event keeps its tool charge apart as well.
    const lateId = await agent.run({ calls: 1, model: 'gpt-priced', lateStreamPauseMs: 6_000 });
    await waitFor(async () => (await usageEvents(lateId)).length === 2, 'the late priced stream billed');
    expect(await toolPart(lateId)).toEqual([
      { tool_cost: '0.0185000000', tool_tokens: 22 },
      { tool_cost: '0.0185000000', tool_tokens: 22 },
    ]);

    // The organisation's usage shows the tools' part of its cost apart: 4 priced calls of 22 tokens.
    const usage = await h.request('GET', '/v1/usage', { token: agent.token });
    expect(usage.body.usage).toEqual([
      expect.objectContaining({
        invocations: 2,
        tokensIn: 68,
        tokensOut: 20,
        cost: '0.1620000000',
        toolCost: '0.0740000000',
        toolTokens: 88,
      }),
    ]);

    // Billed monthly: the listing's line holds its own price (88 tokens at 1 per 1k), the tools'
    // charges (4 calls × 0.0185) a line of their own, all platform fee, nothing paid out.
    const period = new Date().toISOString().slice(0, 7);
    const [invoice] = await buildTenantInvoices(h.db, {
      orgId: agent.orgId,
      period,
      platformFeePercent: '20',
      finalize: true,
    });
    expect(invoice).toMatchObject({ currency: 'usd', totalMinor: '16' }); // 0.088 + 0.074 = 0.162
    const lines = await h.db.query(
      `SELECT kind, description, tokens::int, amount_minor::int AS amount, platform_fee_minor::int AS fee,
              payout_minor::int AS payout
       FROM invoice_lines WHERE invoice_id = $1 ORDER BY kind`,
      [invoice!.invoiceId],
    );
    const name = lines.rows[0].description.split(':')[0];
    expect(lines.rows).toEqual([
      {
        kind: 'tool_usage',
        description: `${name}: gateway tool usage, 88 tokens`,
        tokens: 88,
        amount: 7,
        fee: 7,
        payout: 0,
      },
      {
        kind: 'usage',
        description: `${name}: 2 invocations, 88 tokens`,
        tokens: 88,
        amount: 9,
        fee: 2,
        payout: 7,
      },
    ]);

    // A tool without prices adds nothing: the listing's price alone.
    const plain = await installedAgent([tool]);
    const plainId = await plain.run({ calls: 1 });
    expect(await plain.show(plainId)).toMatchObject({ cost: '0.0220000000' });
  });

  it('bills, once, a streamed call that ends after its run has ended', async () => {
    const agent = await installedAgent([tool]);
    const id = await agent.run({ calls: 1, lateStreamPauseMs: 4_000 });
    // The run ended with one call recorded; the stream it left running is still going.
    expect(await agent.show(id)).toMatchObject({ status: 'succeeded', tokensIn: 17, tokensOut: 5 });
    expect(await usageEvents(id)).toHaveLength(1);

    await waitFor(async () => (await usageEvents(id)).length === 2, 'the late stream billed');
    const events = await usageEvents(id);
    expect(events[1]).toMatchObject({ invocations: 0, tokens_in: 17, tokens_out: 5, cost: '0.0220000000' });
    expect(events[1]!.event_id).toMatch(/^tool-call:/);
    const shown = await agent.show(id);
    expect(shown).toMatchObject({ tokensIn: 34, tokensOut: 10, cost: '0.0440000000' });
    expect(shown.toolCalls).toHaveLength(2);
    const total = await h.db.query(
      `SELECT sum(cost)::text AS cost FROM usage_events WHERE execution_id = $1`,
      [id],
    );
    expect(total.rows[0].cost).toBe('0.0440000000');
  });
});
