// A gateway process SIGKILLed after answering a call and before that call's record reached
// PostgreSQL (its batch held back by the test-only delay): started again, it writes the record from
// its local journal, and the upstream's usage is billed exactly once, whether the run is still going
// (it counts in the run's own usage) or already over (it is billed on its own, like a late stream).
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRuntimeDriver } from '../../src/runtime/local/local-runtime-driver.js';
import type { Invocation, InvocationResult, RuntimeRef } from '../../src/runtime/runtime-driver.js';
import { echoArtifact, installAgent } from '../support/agents.js';
import { BazaarProcess } from '../support/bazaar-process.js';
import { freePort } from '../support/free-port.js';
import { startHarness, type Harness } from '../support/harness.js';
import { CHAT_USAGE, startOpenAiUpstream } from '../support/openai-upstream.js';
import { publishAgent } from '../support/publish.js';
import { waitFor } from '../support/wait-for.js';

describe('a gateway killed before its call records are written', () => {
  const suffix = randomUUID().slice(0, 8);
  const openAiKey = `sk-tenant-${randomUUID()}`;
  const credential = `LLM_KEY_${suffix.toUpperCase()}`;
  const tool = `llm-${suffix}`;
  let h: Harness;
  let upstream: Awaited<ReturnType<typeof startOpenAiUpstream>>;
  let dir: string;
  let gateway: BazaarProcess;
  let gatewayUrl = '';
  // The first start holds every batch of records a minute: long enough to kill it in between.
  let recordDelayMs = 60_000;
  let journalSlot = '';
  /** Tool calls recorded for the run when the gateway was killed. */
  const recordedWhenKilled: number[] = [];

  const toolCallsOf = async (executionId: string) =>
    (await h.db.query('SELECT call_id FROM tool_calls WHERE execution_id = $1', [executionId])).rows;

  /** The agent: one chat completion, then the gateway is killed; `restart` starts it again and calls once more. */
  class AgentOutlivingItsGateway extends LocalRuntimeDriver {
    override async invoke(_ref: RuntimeRef, invocation: Invocation): Promise<InvocationResult> {
      const { restart } = invocation.input as { restart: boolean };
      const client = new OpenAI({
        apiKey: invocation.gateway!.token,
        baseURL: `${gatewayUrl}/v1`,
        maxRetries: 0,
      });
      const ask = () =>
        client.chat.completions.create({
          model: 'gpt-test',
          messages: [{ role: 'user', content: 'refund?' }],
        });
      const first = await ask();
      // The agent has its answer, with the upstream's usage; the gateway dies before writing it down.
      expect(first.usage).toMatchObject(CHAT_USAGE);
      recordedWhenKilled.push((await toolCallsOf(invocation.executionId)).length);
      await gateway.kill();
      if (restart) {
        recordDelayMs = 0;
        await gateway.start();
        await ask();
      }
      return {
        status: 'succeeded',
        output: { restart },
        // What the agent claims about itself: never billed, the gateway measured its calls.
        usage: { tokensIn: 90_000, tokensOut: 90_000 },
        durationMs: 1,
        logTail: '',
        secretsGiven: {},
      };
    }
  }

  beforeAll(async () => {
    upstream = await startOpenAiUpstream({ apiKey: openAiKey });
    dir = await mkdtemp(join(tmpdir(), 'bazaar-gateway-journal-'));
    await writeFile(join(dir, 'ca.pem'), await readFile(upstream.certFile, 'utf8'));
    h = await startHarness({
      env: { GATEWAY_UPSTREAM_CA_FILE: join(dir, 'ca.pem'), EXECUTION_SYNC_WAIT_SECONDS: '240' },
      runtime: (root) => new AgentOutlivingItsGateway(root),
    });
    journalSlot = join(dir, 'gateway-data', 'gateway-journal', '0');
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    gateway = new BazaarProcess('gateway', () => ({
      DATABASE_URL: h.config.databaseUrl,
      TEMPORAL_ADDRESS: h.config.temporal.address,
      TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
      DATA_DIR: join(dir, 'gateway-data'),
      SECRETS_MASTER_KEY: h.config.secrets.masterKey!,
      ADMIN_TOKEN: h.adminToken,
      GATEWAY_PORT: String(port),
      GATEWAY_UPSTREAM_CA_FILE: join(dir, 'ca.pem'),
      TEST_ONLY_GATEWAY_RECORD_DELAY_MS: String(recordDelayMs),
    }));
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
  }, 120_000);

  afterAll(async () => {
    await gateway?.kill();
    await h?.stop();
    await upstream?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function runAgent(restart: boolean) {
    const publisher = await h.createOrg('publisher');
    const { slug } = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: await h.createPlatformKey('reviewer'),
      artifact: echoArtifact(),
      manifest: {
        requiredTools: [tool],
        pricing: { model: 'usage_based', pricePer1kTokens: 1 },
        // The run waits for a gateway process to start again.
        resources: { cpu: '500m', memory: '256Mi', timeoutSeconds: 240 },
      },
    });
    const consumer = await h.createOrg('consumer');
    await h.call('PUT', `/v1/credentials/${credential}`, {
      token: consumer.token,
      body: { value: openAiKey },
    });
    const { installationId } = await installAgent(h, slug, { consumer });
    recordDelayMs = 60_000;
    await gateway.start();
    const answer = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: { restart }, mode: 'sync' },
    });
    expect(answer.status).toBe(200);
    const id = answer.body.id as string;
    const show = async () =>
      (await h.call('GET', `/v1/executions/${id}`, { token: consumer.token })) as Record<string, any>;
    const usageEvents = async () =>
      (
        await h.db.query(
          'SELECT event_id, tokens_in, tokens_out, cost::text FROM usage_events WHERE execution_id = $1 ORDER BY invocations DESC, event_id',
          [id],
        )
      ).rows;
    return { id, show, usageEvents };
  }

  it('writes the journaled call at restart, counted once in the run that is still going', async () => {
    const upstreamCallsBefore = upstream.requests.length;
    const run = await runAgent(true);
    // When the gateway was killed, the answered call was not in PostgreSQL yet.
    expect(recordedWhenKilled.at(-1)).toBe(0);
    expect(await run.show()).toMatchObject({
      status: 'succeeded',
      usageSource: 'gateway',
      tokensIn: 2 * CHAT_USAGE.prompt_tokens,
      tokensOut: 2 * CHAT_USAGE.completion_tokens,
      cost: '0.0440000000',
    });
    expect(upstream.requests.length - upstreamCallsBefore).toBe(2);
    expect(await toolCallsOf(run.id)).toHaveLength(2);
    expect(await run.usageEvents()).toEqual([
      { event_id: `execution:${run.id}`, tokens_in: 34, tokens_out: 10, cost: '0.0440000000' },
    ]);
    await gateway.kill();
  });

  it('bills a journaled call written after its run ended on its own, once, and never again', async () => {
    const run = await runAgent(false);
    expect(recordedWhenKilled.at(-1)).toBe(0);
    // The run ended while its call's record was only in the dead gateway's journal: the gateway
    // measured the run (a call was reserved), so the agent's own claim is not billed.
    expect(await run.show()).toMatchObject({ usageSource: 'gateway', tokensIn: 0, tokensOut: 0 });

    // Kept to hand the written record to the gateway a second time below.
    const journaled = await readdir(journalSlot);
    const copies = await Promise.all(journaled.map((name) => readFile(join(journalSlot, name))));
    recordDelayMs = 0;
    await gateway.start();
    await waitFor(async () => (await run.usageEvents()).length === 2, 'the journaled call billed');
    const [runEvent, callEvent] = await run.usageEvents();
    expect(runEvent).toMatchObject({ event_id: `execution:${run.id}`, tokens_in: 0, tokens_out: 0 });
    expect(callEvent).toMatchObject({ tokens_in: 17, tokens_out: 5, cost: '0.0220000000' });
    expect(callEvent!.event_id).toMatch(/^tool-call:/);
    expect(await run.show()).toMatchObject({ tokensIn: 17, tokensOut: 5, cost: '0.0220000000' });

    // Killed again, with the journal as it was before its record was written: started once more,
    // the gateway writes that record again, and it counts nothing twice.
    await gateway.kill();
    for (const [index, name] of journaled.entries())
      if (name.endsWith('.jsonl')) await writeFile(join(journalSlot, name), copies[index]!);
    await gateway.start();
    await gateway.stop(); // an orderly stop writes all it replayed before it exits
    expect(await toolCallsOf(run.id)).toHaveLength(1);
    expect(await run.usageEvents()).toHaveLength(2);
    expect(await run.show()).toMatchObject({ tokensIn: 17, tokensOut: 5, cost: '0.0220000000' });
  });
});
