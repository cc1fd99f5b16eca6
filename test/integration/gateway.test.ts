import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/api/listen.js';
import { createExecution } from '../../src/domain/executions/repository.js';
import {
  gatewayTokenHash,
  issueGatewayToken,
  revokeExecutionTokens,
} from '../../src/domain/gateway/tokens.js';
import { createLogger } from '../../src/logger.js';
import { recordToolCalls, waitForToolCallRecords } from '../../src/domain/gateway/tool-calls.js';
import { startHarness, type Harness } from '../support/harness.js';
import {
  CHAT_USAGE,
  CHAT_WORDS,
  EMBEDDING_TOKENS_PER_INPUT,
  startHttpUpstream,
  startOpenAiUpstream,
} from '../support/openai-upstream.js';
import { seedActiveInstallation, seedOrg, seedPublishedListing } from '../support/seed.js';

describe('tool gateway: the official openai package through it, metering and refusals', () => {
  const suffix = randomUUID().slice(0, 8);
  const openAiKey = `sk-tenant-${randomUUID()}`;
  const toolKey = `tool-key-${randomUUID()}`;
  const llmCredential = `LLM_KEY_${suffix.toUpperCase()}`;
  const httpCredential = `ORDERS_KEY_${suffix.toUpperCase()}`;
  const llm = `llm-${suffix}`;
  const otherLlm = `other-llm-${suffix}`;
  const orders = `orders-${suffix}`;
  const otherHttp = `other-http-${suffix}`;

  let h: Harness;
  let openAiUpstream: Awaited<ReturnType<typeof startOpenAiUpstream>>;
  let httpUpstream: Awaited<ReturnType<typeof startHttpUpstream>>;
  let caDir: string;
  let server: Server;
  let gatewayUrl: string;
  let consumerId: string;
  let listing: { id: string; versionId: string };
  // Everything the gateway answered, to prove no credential is ever in it.
  const answered: string[] = [];

  beforeAll(async () => {
    openAiUpstream = await startOpenAiUpstream({ apiKey: openAiKey });
    httpUpstream = await startHttpUpstream({ header: 'x-api-key', value: toolKey });
    caDir = await mkdtemp(join(tmpdir(), 'bazaar-gateway-ca-'));
    const caFile = join(caDir, 'upstreams.pem');
    await writeFile(
      caFile,
      (await readFile(openAiUpstream.certFile, 'utf8')) + (await readFile(httpUpstream.certFile, 'utf8')),
    );
    h = await startHarness({ captureLogs: true, env: { GATEWAY_UPSTREAM_CA_FILE: caFile } });
    server = await listen(h.gateway!.app, { port: 0, hostname: '127.0.0.1', logger: createLogger('silent') });
    gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const llmTool = {
      kind: 'llm',
      description: 'chat',
      baseUrl: openAiUpstream.baseUrl,
      credentialName: llmCredential,
    };
    const httpTool = {
      kind: 'http',
      description: 'orders',
      baseUrl: `${httpUpstream.origin}/api`,
      credentialName: httpCredential,
      injection: { header: 'x-api-key', template: '{credential}' },
      allowedMethods: ['GET'],
      allowedPathPrefixes: ['/orders', '/leak'],
    };
    for (const tool of [
      { ...llmTool, name: llm, models: ['gpt-test', 'embed-test', 'refuse-me'] },
      { ...llmTool, name: otherLlm, models: ['other-model'] },
      { ...httpTool, name: orders },
      { ...httpTool, name: otherHttp },
    ])
      await h.call('POST', '/v1/platform/tools', { body: tool });

    const publisher = await seedOrg(h.db);
    consumerId = (await seedOrg(h.db)).id;
    listing = await seedPublishedListing(h.db, {
      publisherOrgId: publisher.id,
      name: 'Tool user',
      manifest: { requiredTools: [llm, orders] },
    });
    await h.secrets.put(consumerId, llmCredential, openAiKey);
    await h.secrets.put(consumerId, httpCredential, toolKey);
  }, 120_000);

  afterAll(async () => {
    await new Promise((done) => server?.close(done));
    await h?.stop();
    await openAiUpstream?.stop();
    await httpUpstream?.stop();
    if (caDir) await rm(caDir, { recursive: true, force: true });
  });

  /** A new installation (pricing: 1 usd per 1k tokens, optional budget) with one running execution and its token. */
  async function newRun(
    options: { maxToolCalls?: number; maxTokens?: number; ttlSeconds?: number; budget?: string } = {},
  ) {
    const installationId = await seedActiveInstallation(h.db, {
      orgId: consumerId,
      listing,
      pricing: { model: 'usage_based', pricePer1kTokens: 1 },
    });
    if (options.budget)
      await h.db.query('UPDATE installations SET monthly_budget = $2 WHERE id = $1', [
        installationId,
        options.budget,
      ]);
    const { execution } = await createExecution(h.db, {
      orgId: consumerId,
      installationId,
      versionId: listing.versionId,
      input: {},
      idempotencyKey: null,
      requestSha256: 'x',
      createdBy: 'test',
    });
    const token = await issueGatewayToken(h.db, {
      executionId: execution.id,
      installationId,
      orgId: consumerId,
      tools: [llm, orders],
      maxToolCalls: options.maxToolCalls,
      maxTokens: options.maxTokens,
      ttlSeconds: options.ttlSeconds ?? 300,
    });
    const client = new OpenAI({ apiKey: token, baseURL: `${gatewayUrl}/v1`, maxRetries: 0 });
    return { executionId: execution.id, installationId, token, client };
  }

  // The gateway records a call right after answering it; a run's end waits for its records the same way.
  const toolCalls = async (executionId: string) => {
    expect(await waitForToolCallRecords(h.db, executionId, { timeoutMs: 10_000 })).toBe(true);
    return (
      await h.db.query(
        'SELECT tool, model, status, tokens_in, tokens_out FROM tool_calls WHERE execution_id = $1 ORDER BY id',
        [executionId],
      )
    ).rows;
  };

  /** Calls the gateway over HTTP as an agent without the SDK would; keeps what it answered. */
  async function raw(token: string | null, path: string, init: RequestInit = {}) {
    const response = await fetch(`${gatewayUrl}${path}`, {
      ...init,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'content-type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
    });
    const text = await response.text();
    answered.push(text, JSON.stringify([...response.headers]));
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /** The error an OpenAI SDK call raised, with what the gateway answered kept. */
  async function refusal(call: Promise<unknown>): Promise<{ status: number; message: string }> {
    const error = (await call.then(
      () => null,
      (failure: unknown) => failure,
    )) as InstanceType<typeof OpenAI.APIError> | null;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    answered.push(JSON.stringify(error!.error));
    return { status: error!.status!, message: (error!.error as { message: string }).message };
  }

  const chat = (client: OpenAI, model = 'gpt-test') =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Can I return it?' }] });

  it('forwards a chat completion with the tenant’s key and records its usage once, as the upstream reported it', async () => {
    const run = await newRun();
    const before = openAiUpstream.requests.length;
    const completion = await chat(run.client);
    answered.push(JSON.stringify(completion));
    expect(completion.choices[0]!.message.content).toBe(CHAT_WORDS.join(''));
    expect(completion.usage).toMatchObject(CHAT_USAGE);
    const sent = openAiUpstream.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers.authorization).toBe(`Bearer ${openAiKey}`);
    expect(await toolCalls(run.executionId)).toEqual([
      {
        tool: llm,
        model: 'gpt-test',
        status: 'succeeded',
        tokens_in: CHAT_USAGE.prompt_tokens,
        tokens_out: CHAT_USAGE.completion_tokens,
      },
    ]);
  });

  it('streams a chat completion as it comes and meters the final chunk’s usage once', async () => {
    const run = await newRun();
    const before = openAiUpstream.requests.length;
    const stream = await run.client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Stream it' }],
      stream: true,
    });
    let text = '';
    let usage: unknown = null;
    for await (const chunk of stream) {
      answered.push(JSON.stringify(chunk));
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(CHAT_WORDS.join(''));
    expect(usage).toMatchObject(CHAT_USAGE);
    const sent = openAiUpstream.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body).stream_options).toEqual({ include_usage: true });
    expect(await toolCalls(run.executionId)).toEqual([
      {
        tool: llm,
        model: 'gpt-test',
        status: 'succeeded',
        tokens_in: CHAT_USAGE.prompt_tokens,
        tokens_out: CHAT_USAGE.completion_tokens,
      },
    ]);
  });

  it('meters embeddings, and records an upstream’s refusal as a failed call passed back', async () => {
    const run = await newRun();
    const embeddings = await run.client.embeddings.create({ model: 'embed-test', input: ['a', 'b', 'c'] });
    expect(embeddings.data).toHaveLength(3);
    const refused = await refusal(chat(run.client, 'refuse-me'));
    expect(refused).toEqual({ status: 400, message: 'this model refuses' });
    expect(await toolCalls(run.executionId)).toEqual([
      {
        tool: llm,
        model: 'embed-test',
        status: 'succeeded',
        tokens_in: 3 * EMBEDDING_TOKENS_PER_INPUT,
        tokens_out: 0,
      },
      { tool: llm, model: 'refuse-me', status: 'failed', tokens_in: 0, tokens_out: 0 },
    ]);
  });

  it('refuses (403, with the reason) a model no granted tool allows and a tool the version did not declare', async () => {
    const run = await newRun();
    const model = await refusal(chat(run.client, 'other-model'));
    expect(model.status).toBe(403);
    expect(model.message).toBe(
      'model other-model is not allowed for this agent (allowed: gpt-test, embed-test, refuse-me)',
    );
    const tool = await raw(run.token, `/tools/${otherHttp}/orders/1`);
    expect(tool.status).toBe(403);
    expect(tool.body.error.code).toBe('forbidden');
    expect(tool.body.error.message).toContain(`tool ${otherHttp} is not declared`);
    expect(await toolCalls(run.executionId)).toEqual([]);
  });

  it('refuses an unknown, a revoked and an expired token (403), and a call without one (401)', async () => {
    const unknown = await refusal(chat(new OpenAI({ apiKey: 'bzgw_nope', baseURL: `${gatewayUrl}/v1` })));
    expect(unknown).toEqual({ status: 403, message: 'the gateway token is not valid' });

    const revoked = await newRun();
    expect((await chat(revoked.client)).usage).toBeTruthy();
    await revokeExecutionTokens(h.db, revoked.executionId);
    expect(await refusal(chat(revoked.client))).toEqual({
      status: 403,
      message: 'the gateway token was revoked: its execution has ended',
    });

    const expired = await newRun({ ttlSeconds: 0 });
    expect((await refusal(chat(expired.client))).message).toMatch(/^the gateway token has expired/);
    expect((await raw(null, '/v1/chat/completions', { method: 'POST', body: '{}' })).status).toBe(401);
  });

  it('answers 429 once the installation’s monthly budget is reached, counting the tokens of the run in progress', async () => {
    // 22 tokens at 1 usd per 1k = 0.022: the first call is allowed, the budget is then spent.
    const run = await newRun({ budget: '0.02' });
    await chat(run.client);
    const stopped = await refusal(chat(run.client));
    expect(stopped.status).toBe(429);
    expect(stopped.message).toMatch(/monthly budget of 0\.02 usd is spent \(0\.022 this month\)/);
    expect(await toolCalls(run.executionId)).toHaveLength(1);
  });

  it('answers 429 past the manifest’s maxToolCalls and maxTokens for the run', async () => {
    const calls = await newRun({ maxToolCalls: 2 });
    await chat(calls.client);
    await calls.client.embeddings.create({ model: 'embed-test', input: 'x' });
    const third = await refusal(chat(calls.client));
    expect(third.status).toBe(429);
    expect(third.message).toContain('made its 2 tool calls');
    expect(await toolCalls(calls.executionId)).toHaveLength(2);

    const tokens = await newRun({ maxTokens: 30 });
    await chat(tokens.client); // 22 tokens: under 30
    await chat(tokens.client); // 44: over, the next is refused
    const refused = await refusal(chat(tokens.client));
    expect(refused.status).toBe(429);
    expect(refused.message).toContain('used its 30 tokens');
  });

  it('forwards http tool calls within the allowed methods and paths, injecting the credential', async () => {
    const run = await newRun();
    const before = httpUpstream.requests.length;
    const ok = await raw(run.token, `/tools/${orders}/orders/42?expand=items`);
    expect(ok).toEqual({
      status: 200,
      body: { method: 'GET', path: '/api/orders/42?expand=items', body: '' },
    });
    expect(httpUpstream.requests[before]!.headers['x-api-key']).toBe(toolKey);
    expect(httpUpstream.requests[before]!.headers.authorization).toBeUndefined();

    const post = await raw(run.token, `/tools/${orders}/orders/42`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(403);
    expect(post.body.error.message).toBe(`tool ${orders} allows GET, not POST`);
    const outside = await raw(run.token, `/tools/${orders}/admin/users`);
    expect(outside.status).toBe(403);
    const climbing = await raw(run.token, `/tools/${orders}/orders/..%2Fadmin`);
    expect(climbing.status).toBe(400);
    const wrongKind = await raw(run.token, `/tools/${llm}/chat`);
    expect(wrongKind.status).toBe(403);
    expect(httpUpstream.requests).toHaveLength(before + 1);
    expect(await toolCalls(run.executionId)).toEqual([
      { tool: orders, model: null, status: 'succeeded', tokens_in: 0, tokens_out: 0 },
    ]);
  });

  it('never lets the credential out: an upstream echoing it is redacted, a refused one answers 502', async () => {
    const run = await newRun();
    const leak = await raw(run.token, `/tools/${orders}/leak`);
    expect(leak.status).toBe(200);
    expect(leak.body.received).toBe('[REDACTED]');

    // Another organisation whose stored key the upstream refuses: Bazaar's words, not the upstream's.
    const wrongOrg = (await seedOrg(h.db)).id;
    await h.secrets.put(wrongOrg, llmCredential, `sk-wrong-${randomUUID()}`);
    const installationId = await seedActiveInstallation(h.db, { orgId: wrongOrg, listing, pricing: {} });
    const { execution } = await createExecution(h.db, {
      orgId: wrongOrg,
      installationId,
      versionId: listing.versionId,
      input: {},
      idempotencyKey: null,
      requestSha256: 'x',
      createdBy: 'test',
    });
    const token = await issueGatewayToken(h.db, {
      executionId: execution.id,
      installationId,
      orgId: wrongOrg,
      tools: [llm],
      ttlSeconds: 60,
    });
    const refused = await refusal(
      chat(new OpenAI({ apiKey: token, baseURL: `${gatewayUrl}/v1`, maxRetries: 0 })),
    );
    expect(refused.status).toBe(502);
    expect(refused.message).toContain(`refused the organisation's credential ${llmCredential}`);

    // The keys reached the upstreams, and nothing the gateway answered or logged holds them.
    expect(openAiUpstream.requests.some((r) => r.headers.authorization === `Bearer ${openAiKey}`)).toBe(true);
    const everything = [...answered, ...h.logs].join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    for (const secret of [openAiKey, toolKey]) expect(everything).not.toContain(secret);
    const reads = await h.db.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1 AND action = 'credential.read'`,
      [consumerId],
    );
    expect(reads.rows[0].n).toBeGreaterThan(0);
  });

  it('is served on the worker’s Unix socket too (mode 0666), for local sandboxes', async () => {
    const socketPath = h.config.gateway.socketPath;
    expect((await stat(socketPath)).mode & 0o777).toBe(0o666);
    const run = await newRun();
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          socketPath,
          path: '/v1/chat/completions',
          method: 'POST',
          headers: { authorization: `Bearer ${run.token}`, 'content-type': 'application/json' },
        },
        (response) => {
          let body = '';
          response.on('data', (chunk) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode!, body }));
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }));
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).usage).toMatchObject(CHAT_USAGE);
    expect(await toolCalls(run.executionId)).toHaveLength(1);
  });

  it('takes a body of declared or undeclared length up to 8 MiB, and answers 413 past it', async () => {
    const run = await newRun();
    const chunked = (text: string) =>
      ({
        method: 'POST',
        duplex: 'half',
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(text));
            controller.close();
          },
        }),
      }) as RequestInit;
    const question = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    const streamedIn = await raw(run.token, '/v1/chat/completions', chunked(question));
    expect(streamedIn.status).toBe(200);
    expect(streamedIn.body.usage).toMatchObject(CHAT_USAGE);

    const huge = JSON.stringify({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'x'.repeat(8 << 20) }],
    });
    const declared = await raw(run.token, '/v1/chat/completions', { method: 'POST', body: huge });
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('payload_too_large');
    expect((await raw(run.token, '/v1/chat/completions', chunked(huge))).status).toBe(413);
    expect(await toolCalls(run.executionId)).toHaveLength(1);
  });

  it('records a batch written again (its outcome unclear) once: each call by its id', async () => {
    const run = await newRun();
    const record = (callId: string) => ({
      callId,
      tokenHash: gatewayTokenHash(run.token),
      executionId: run.executionId,
      orgId: consumerId,
      installationId: run.installationId,
      tool: llm,
      model: 'gpt-test',
      status: 'succeeded' as const,
      upstreamStatus: 200,
      tokensIn: 17,
      tokensOut: 5,
      durationMs: 3,
      pricePer1kInputTokens: '0.5',
      pricePer1kOutputTokens: null,
    });
    const first = record(randomUUID());
    await recordToolCalls(h.db, [first]);
    await recordToolCalls(h.db, [first, record(randomUUID())]);
    expect(await toolCalls(run.executionId)).toHaveLength(2);
    const token = await h.db.query(
      'SELECT recorded_calls, tokens_in, tokens_out, tool_cost::text FROM gateway_tokens WHERE execution_id = $1',
      [run.executionId],
    );
    expect(token.rows).toEqual([
      { recorded_calls: 2, tokens_in: '34', tokens_out: '10', tool_cost: '0.0170000000' },
    ]);
  });
});
