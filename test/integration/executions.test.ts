import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  echoArtifact,
  echoManifest,
  installAgent,
  uploadArtifact as uploadArtifactWith,
} from '../support/agents.js';
import { packFiles } from '../support/artifacts.js';
import { listingBody, startHarness, type Harness } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { publishAgent as publishAgentWith } from '../support/publish.js';
import { waitFor } from '../support/wait-for.js';

describe('executions', () => {
  let h: Harness;
  let publisher: { org: { id: string }; token: string };
  let reviewer: string;

  /** Publishes a process agent with the given artifact and manifest overrides; returns its slug. */
  async function publishAgent(artifact: Buffer, manifest: Record<string, unknown> = {}) {
    const listing = await publishAgentWith(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact,
      manifest,
    });
    return listing.slug;
  }

  const uploadArtifact = (listingId: string, artifact: Buffer) =>
    uploadArtifactWith(h, publisher.token, listingId, artifact);
  const installFor = (slug: string) => installAgent(h, slug);

  let echoSlug: string;
  beforeAll(async () => {
    h = await startHarness({ env: { EXECUTION_RATE_LIMIT_PER_MINUTE: '5' } });
    publisher = await h.createOrg('publisher');
    reviewer = await h.createPlatformKey('reviewer');
    echoSlug = await publishAgent(echoArtifact(), {
      pricing: { model: 'usage_based', pricePerInvocation: 0.02, pricePer1kTokens: 0.001 },
    });
  }, 120_000);
  afterAll(() => h.stop());

  it('runs the agent synchronously and records output, tokens, duration, cost and one usage event', async () => {
    const { consumer, installationId } = await installFor(echoSlug);
    const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: { question: 'where is my parcel?' }, mode: 'sync' },
    });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      status: 'succeeded',
      output: { echo: { question: 'where is my parcel?' } },
      reason: null,
    });
    expect(run.body.tokensIn).toBeGreaterThan(0);
    expect(run.body.durationMs).toBeGreaterThan(0);
    const tokens = run.body.tokensIn + run.body.tokensOut;
    expect(Number(run.body.cost)).toBeCloseTo(0.02 + (tokens / 1000) * 0.001, 10);
    await recordHistory(run.body.workflowId, 'execute-succeeded');
    const events = await h.db.query('SELECT * FROM usage_events WHERE execution_id = $1', [run.body.id]);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]).toMatchObject({
      org_id: consumer.org.id,
      tokens_in: run.body.tokensIn,
      currency: 'usd',
    });
  });

  it('runs asynchronously: 202 with the ids, then the result on GET', async () => {
    const { consumer, installationId } = await installFor(echoSlug);
    const started = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: [1, 2, 3], mode: 'async' },
    });
    expect(started.status).toBe(202);
    expect(started.body.workflowId).toBe(`execute:${started.body.executionId}`);
    const done = await waitFor(async () => {
      const got = await h.request('GET', `/v1/executions/${started.body.executionId}`, {
        token: consumer.token,
      });
      return got.body.status === 'succeeded' ? got.body : null;
    }, 'the execution to finish');
    expect(done.output).toEqual({ echo: [1, 2, 3] });
  });

  it('honours Idempotency-Key: same body, same execution; another body, 409', async () => {
    const { consumer, installationId } = await installFor(echoSlug);
    const send = (input: unknown) =>
      h.request('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        headers: { 'idempotency-key': 'order-1234' },
        body: { input, mode: 'sync' },
      });
    const first = await send({ n: 1 });
    const again = await send({ n: 1 });
    expect(again.body.id).toBe(first.body.id);
    expect((await send({ n: 2 })).status).toBe(409);
    const count = await h.db.query('SELECT count(*)::int AS n FROM executions WHERE installation_id = $1', [
      installationId,
    ]);
    expect(count.rows[0].n).toBe(1);
    const events = await h.db.query(
      'SELECT count(*)::int AS n FROM usage_events WHERE installation_id = $1',
      [installationId],
    );
    expect(events.rows[0].n).toBe(1);
  });

  it('ends an agent that breaks the contract as a failed execution with a readable reason, and no charge', async () => {
    const broken = await publishAgent(
      await packFiles({ 'main.js': "process.stdout.write('this is not JSON');" }),
    );
    const { consumer, installationId } = await installFor(broken);
    const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: {}, mode: 'sync' },
    });
    expect(run.status).toBe(200);
    expect(run.body.status).toBe('failed');
    expect(run.body.reason).toMatch(/JSON/);
    expect(run.body.cost).toBe('0.0000000000');
  });

  it('stores NUL and lone surrogates from an agent (which PostgreSQL refuses) as U+FFFD, in output and reason', async () => {
    const run = async (code: string) => {
      const { consumer, installationId } = await installFor(
        await publishAgent(await packFiles({ 'main.js': code })),
      );
      return h.request('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        body: { input: {}, mode: 'sync' },
      });
    };
    const odd = await run(
      "process.stdout.write(JSON.stringify({ text: 'a\\u0000b', ['key\\u0000']: ['\\ud800', 'ok'] }));",
    );
    expect(odd.status).toBe(200);
    expect(odd.body).toMatchObject({
      status: 'succeeded',
      output: { text: 'a\ufffdb', 'key\ufffd': ['\ufffd', 'ok'] },
      reason: null,
    });

    const crashed = await run("process.stderr.write('broke at \\u0000 here\\n'); process.exit(3);");
    expect(crashed.status).toBe(200);
    expect(crashed.body).toMatchObject({
      status: 'failed',
      reason: 'the agent exited with code 3: broke at \ufffd here',
    });
  });

  it('keeps executions to their tenant: another organisation gets 404', async () => {
    const { consumer, installationId } = await installFor(echoSlug);
    const other = await h.createOrg();
    const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: 1 },
    });
    expect((await h.request('GET', `/v1/executions/${run.body.id}`, { token: other.token })).status).toBe(
      404,
    );
    expect(
      (
        await h.request('POST', `/v1/installations/${installationId}/executions`, {
          token: other.token,
          body: { input: 1 },
        })
      ).status,
    ).toBe(404);
  });

  it('refuses an unsafe artifact, a process version submitted without code, and any artifact once submitted', async () => {
    const listing = await h.request('POST', '/v1/listings', { token: publisher.token, body: listingBody() });
    await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
      token: publisher.token,
      body: echoManifest,
    });
    const notGzip = await uploadArtifact(listing.body.id, Buffer.from('plain text, not a tar.gz'));
    expect(notGzip.status).toBe(400);
    expect(notGzip.body.error.code).toBe('invalid_request');
    const submitWithoutCode = await h.request(
      'POST',
      `/v1/listings/${listing.body.id}/versions/1.0.0/submit`,
      {
        token: publisher.token,
      },
    );
    expect(submitWithoutCode.status).toBe(422);
    expect(submitWithoutCode.body.error.message).toMatch(/has no code: upload its artifact/);
    expect((await uploadArtifact(listing.body.id, echoArtifact())).status).toBe(200);
    await h.request('POST', `/v1/listings/${listing.body.id}/versions/1.0.0/submit`, {
      token: publisher.token,
    });
    const late = await uploadArtifact(listing.body.id, echoArtifact());
    expect(late.status).toBe(409);
  });

  it('summarises usage per listing from the usage events, for the calling organisation only', async () => {
    const { consumer, installationId } = await installFor(echoSlug);
    for (const n of [1, 2, 3]) {
      await h.request('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        body: { input: { n } },
      });
    }
    const usage = await h.request('GET', `/v1/usage?listing=${echoSlug}`, { token: consumer.token });
    expect(usage.status).toBe(200);
    expect(usage.body.usage).toHaveLength(1);
    const [line] = usage.body.usage;
    const events = await h.db.query(
      'SELECT sum(cost)::text AS cost, sum(tokens_in)::int AS tokens_in FROM usage_events WHERE org_id = $1',
      [consumer.org.id],
    );
    expect(line).toMatchObject({
      listingSlug: echoSlug,
      invocations: 3,
      currency: 'usd',
      cost: events.rows[0].cost,
      tokensIn: events.rows[0].tokens_in,
      // No tool through the gateway: nothing of the cost is the tools'.
      toolCost: '0.0000000000',
      toolTokens: 0,
    });
    expect(Number(line.cost)).toBeGreaterThan(0.06);
    const future = await h.request('GET', '/v1/usage?from=2999-01-01T00:00:00Z', { token: consumer.token });
    expect(future.body.usage).toEqual([]);
    expect((await h.request('GET', '/v1/usage', { token: (await h.createOrg()).token })).body.usage).toEqual(
      [],
    );
    expect((await h.request('GET', '/v1/usage?from=last-week', { token: consumer.token })).status).toBe(400);
  });

  it('answers 429 before running anything once an installation exceeds its rate limit', async () => {
    const { consumer, installationId } = await installFor(echoSlug);
    const start = (key?: string) =>
      h.request('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        headers: key ? { 'idempotency-key': key } : {},
        body: { input: key ?? 'x', mode: 'async' },
      });
    for (let i = 0; i < 4; i++) expect((await start()).status).toBe(202);
    expect((await start('last-allowed')).status).toBe(202);
    const refused = await start();
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'rate_limited',
      message: expect.stringContaining('5 executions a minute'),
    });
    expect((await start('last-allowed')).status).toBe(202); // a repeat is not a new execution
    const count = await h.db.query('SELECT count(*)::int AS n FROM executions WHERE installation_id = $1', [
      installationId,
    ]);
    expect(count.rows[0].n).toBe(5);
  });
});
