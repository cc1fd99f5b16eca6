// The gateway end to end: a whole Bazaar, agents published through review and installed by a
// consumer who stored the tool's credential, running in the real sandbox (namespaces) and calling the
// gateway over the sandbox's one door with the official openai package bundled into their artifact.
// The stand-in upstream (HTTPS, loopback) counts what reaches it and accepts only the real credential.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolationLevel } from '../../src/runtime/local/sandbox/isolation.js';
import { installAgent } from '../support/agents.js';
import { consumerWithCredentials, publishCaller, startWorld, type World } from '../support/gateway-agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { CHAT_USAGE, CHAT_WORDS } from '../support/openai-upstream.js';
import { secretLeaks, storedAboutRun } from '../support/secret-leaks.js';
import { waitFor } from '../support/wait-for.js';
import { WorkerProcesses } from '../support/worker-processes.js';

const CALL_TOKENS = CHAT_USAGE.prompt_tokens + CHAT_USAGE.completion_tokens;

describe('agents in the real sandbox call the gateway with the openai package', () => {
  let h: Harness;
  let world: World;
  let consumer: Awaited<ReturnType<typeof consumerWithCredentials>>;
  let callerSlug: string;
  let caller: string; // declares the llm tool
  let other: string; // declares only the http tool

  /** Runs an installation synchronously; returns the run's answer and the execution as the API shows it. */
  async function run(installationId: string, input: Record<string, unknown>, token = consumer.token) {
    const answer = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token,
      body: { input, mode: 'sync' },
    });
    expect(answer.status).toBe(200);
    const execution = await h.call('GET', `/v1/executions/${answer.body.id}`, { token });
    return { answer: answer.body, execution };
  }

  beforeAll(async () => {
    expect((await isolationLevel()).level).toBe('namespaces');
    world = await startWorld();
    h = await startHarness({ env: { GATEWAY_UPSTREAM_CA_FILE: world.caFile }, captureLogs: true });
    callerSlug = await publishCaller(h, world, [world.llmTool]);
    const otherSlug = await publishCaller(h, world, [world.httpTool]);
    consumer = await consumerWithCredentials(h, world);
    caller = (await installAgent(h, callerSlug, { consumer })).installationId;
    other = (await installAgent(h, otherSlug, { consumer })).installationId;
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
    await world?.stop();
  });

  it('meters a plain and a streamed completion exactly, lists them and bills them, not the agent’s claim', async () => {
    const before = world.chats().length;
    const { execution } = await run(caller, { action: 'chat', model: 'gpt-test' });

    expect(execution).toMatchObject({
      status: 'succeeded',
      output: { plain: CHAT_WORDS.join(''), streamed: CHAT_WORDS.join('') },
      usageSource: 'gateway',
      tokensIn: 2 * CHAT_USAGE.prompt_tokens,
      tokensOut: 2 * CHAT_USAGE.completion_tokens,
      cost: '0.0440000000', // 2 × 22 tokens at 1 usd per 1k
    });
    const call = { tool: world.llmTool, model: 'gpt-test', status: 'succeeded', tokensIn: 17, tokensOut: 5 };
    expect(execution.toolCalls).toEqual([expect.objectContaining(call), expect.objectContaining(call)]);
    const received = world.chats().slice(before);
    expect(received.map((request) => JSON.parse(request.body).stream ?? false)).toEqual([false, true]);
    const events = await h.db.query(
      'SELECT tokens_in, tokens_out, cost::text FROM usage_events WHERE execution_id = $1',
      [execution.id],
    );
    expect(events.rows).toEqual([{ tokens_in: 34, tokens_out: 10, cost: '0.0440000000' }]);
    // What the agent claimed on stderr is kept apart, never billed.
    const kept = await h.db.query('SELECT agent_tokens_in, agent_tokens_out FROM executions WHERE id = $1', [
      execution.id,
    ]);
    expect(kept.rows[0]).toEqual({ agent_tokens_in: 90_000, agent_tokens_out: 90_000 });
  });

  it('refuses a tool the agent did not declare (403) and the agent’s run reports it', async () => {
    const before = world.chats().length;
    const { execution } = await run(other, { action: 'undeclared', model: 'gpt-test', tool: world.llmTool });

    expect(execution).toMatchObject({ status: 'succeeded', usageSource: 'agent', toolCalls: [] });
    expect(execution.output.model).toMatchObject({ status: 403 });
    expect(execution.output.model.message).toContain('declares no llm tool');
    expect(execution.output.tool).toMatchObject({ status: 403 });
    expect(JSON.stringify(execution.output.tool.body)).toContain(`tool ${world.llmTool} is not declared`);
    expect(world.chats().length).toBe(before);
  });

  it('never lets the real credential reach the agent, its output, the logs or the history', async () => {
    const before = world.chats().length;
    const { answer, execution } = await run(caller, { action: 'dump', model: 'gpt-test' });

    expect(execution.status).toBe('succeeded');
    const { environment, files } = execution.output as {
      environment: Record<string, string>;
      files: Record<string, string>;
    };
    // The agent saw its gateway variables (the token is redacted from what it returns)…
    expect(environment.OPENAI_BASE_URL).toBe('http://127.0.0.1:3100/v1');
    expect(environment).toHaveProperty('OPENAI_API_KEY');
    expect(environment).not.toHaveProperty(world.llmCredential);
    // …and really walked what it can read: its own notes in /scratch and /tmp, the processes' environ.
    expect(files).toMatchObject({ '/scratch/note': 'scratch', '/tmp/note': 'tmp' });
    expect(Object.keys(files).filter((path) => path.endsWith('/environ')).length).toBeGreaterThanOrEqual(2);

    const stored = await storedAboutRun(h, {
      runAnswer: answer,
      executionId: execution.id,
      token: consumer.token,
    });
    for (const [place, text] of Object.entries({ ...stored, logs: h.logs.join('\n') }))
      expect({ place, leaks: secretLeaks(text, world.openAiKey) }).toEqual({ place, leaks: [] });
    // The gateway did put it where it belongs: on the upstream request.
    const received = world.chats().slice(before);
    expect(received).toHaveLength(1);
    expect(received[0]!.headers.authorization).toBe(`Bearer ${world.openAiKey}`);
  });

  it('stops a runaway agent mid-run with 429 once its own calls spend the monthly budget', async () => {
    const spender = await consumerWithCredentials(h, world);
    const { installationId } = await installAgent(h, callerSlug, {
      consumer: spender,
      body: { monthlyBudget: 0.05 },
    });
    const before = world.chats().length;
    const { execution } = await run(
      installationId,
      { action: 'calls', calls: 10, model: 'gpt-test' },
      spender.token,
    );

    // 0.022 usd a call: after three calls 0.066 ≥ 0.05, so the fourth is refused and the agent stops.
    expect(execution.output).toMatchObject({ answered: 3, refused: { status: 429 } });
    expect(execution.output.refused.message).toContain('monthly budget');
    expect(execution).toMatchObject({ usageSource: 'gateway', tokensIn: 3 * 17, tokensOut: 3 * 5 });
    expect(execution.toolCalls).toHaveLength(3);
    expect(world.chats().length - before).toBe(3);
  });
});

describe('a worker killed while its agent calls the gateway', () => {
  let h: Harness;
  let world: World;
  const workers = new WorkerProcesses(
    () => h,
    () => ({ GATEWAY_UPSTREAM_CA_FILE: world.caFile }),
  );

  beforeAll(async () => {
    world = await startWorld();
    h = await startHarness({ env: { BAZAAR_ROLES: 'api' } });
    await workers.start();
  }, 120_000);

  afterAll(async () => {
    workers.killAll();
    await h?.stop();
    await world?.stop();
  });

  it('records every upstream call exactly once, from both attempts', async () => {
    const consumer = await consumerWithCredentials(h, world);
    const slug = await publishCaller(h, world, [world.llmTool]);
    const { installationId } = await installAgent(h, slug, { consumer });
    const started = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: { action: 'calls', calls: 3, pauseMs: 1500, model: 'gpt-test' }, mode: 'async' },
    });
    const executionId = started.body.executionId as string;
    const recorded = async () =>
      (await h.db.query('SELECT count(*)::int AS n FROM tool_calls WHERE execution_id = $1', [executionId]))
        .rows[0].n as number;
    // Killed after its first call is answered and recorded, before it is done.
    await waitFor(async () => (await recorded()) >= 1, 'the agent’s first call');
    workers.killAll();
    await workers.start();

    const finished = await waitFor(
      async () => {
        const current = await h.call('GET', `/v1/executions/${executionId}`, { token: consumer.token });
        return ['succeeded', 'failed', 'timed_out'].includes(current.status) ? current : null;
      },
      'the execution to end on the second worker',
      90_000,
    );
    const upstreamCalls = world.chats().length;
    expect(upstreamCalls).toBeGreaterThanOrEqual(4); // ≥ 1 by the killed attempt, 3 by the retry
    expect(finished).toMatchObject({ status: 'succeeded', output: { answered: 3 }, usageSource: 'gateway' });
    // Each call the upstream answered is one tool call, and the execution counts them all once.
    expect(finished.toolCalls).toHaveLength(upstreamCalls);
    expect(finished).toMatchObject({
      tokensIn: upstreamCalls * CHAT_USAGE.prompt_tokens,
      tokensOut: upstreamCalls * CHAT_USAGE.completion_tokens,
    });
    const events = await h.db.query(
      'SELECT count(*)::int AS n, sum(tokens_in + tokens_out)::int AS tokens FROM usage_events WHERE execution_id = $1',
      [executionId],
    );
    expect(events.rows[0]).toEqual({ n: 1, tokens: upstreamCalls * CALL_TOKENS });
  }, 180_000);
});
