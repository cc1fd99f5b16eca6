// One trace from the API through the workflow it starts into its activities, exported over OTLP, with
// the trace id on the log lines written inside it: in a process running API and worker (contexts
// follow awaits), and from an API-only process (contexts handed explicitly) to that worker.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoArtifact } from '../support/agents.js';
import { BazaarProcess } from '../support/bazaar-process.js';
import { freePort } from '../support/free-port.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { publishAgent } from '../support/publish.js';
import { waitFor } from '../support/wait-for.js';

describe('tracing', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let h: Harness;
  let slug: string;
  const masterKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    h = await startHarness({
      captureLogs: true,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'bazaar-under-test',
        TRACE_READS_RATIO: '1', // the reads below are followed: every one traced
        SECRETS_MASTER_KEY: masterKey,
      },
    });
    const publisher = await h.createOrg();
    const listing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: await h.createPlatformKey('reviewer'),
      artifact: echoArtifact(),
      manifest: { requiredCredentials: [] },
    });
    slug = listing.slug;
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await receiver?.stop();
  });

  it("follows an install from the caller's trace through the API, the workflow and its activities", async () => {
    const consumer = await h.createOrg();
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const started = await h.request('POST', '/v1/installations', {
      token: consumer.token,
      body: { listing: slug },
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(started.status).toBe(202);
    await h.temporal.workflow.getHandle(started.body.workflowId).result();

    const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
    await waitFor(
      async () => inTrace().some((span) => span.name === 'RunActivity:activateInstallation'),
      'the last activity of the provision in the trace',
      20_000,
    );
    const spans = inTrace();
    const named = (name: string) => spans.find((span) => span.name === name);
    const server = named('POST /v1/installations');
    expect(server).toMatchObject({ parentSpanId: callerSpanId, serviceName: 'bazaar-under-test' });
    const start = named('StartWorkflow:provisionInstallation');
    const run = named('RunWorkflow:provisionInstallation');
    expect(start?.parentSpanId).toBe(server?.spanId);
    expect(run?.parentSpanId).toBe(start?.spanId);
    const activities = spans.filter((span) => span.name.startsWith('RunActivity:'));
    expect(activities.length).toBeGreaterThanOrEqual(3);

    // The request's log line and the lines activities write carry the trace id.
    const lines = h.logs.map((line) => JSON.parse(line)).filter((line) => line.traceId === traceId);
    expect(lines.some((line) => line.msg === 'request' && line.path === '/v1/installations')).toBe(true);
    expect(lines.some((line) => line.msg === 'installation active')).toBe(true); // written by an activity
  });

  it('starts a trace of its own when the caller sends none', async () => {
    const before = receiver.spans.length;
    const answer = await h.request('GET', '/v1/installations', { token: (await h.createOrg()).token });
    expect(answer.status).toBe(200);
    await waitFor(
      async () => receiver.spans.slice(before).some((span) => span.name === 'GET /v1/installations'),
      'the request span',
      20_000,
    );
    const span = receiver.spans.slice(before).find((s) => s.name === 'GET /v1/installations')!;
    expect(span.parentSpanId).toBe('');
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('follows a request through an API-only process into the workflow its worker runs', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bazaar-api-only-'));
    const port = await freePort();
    const api = new BazaarProcess('api', () => ({
      PORT: String(port),
      DATABASE_URL: h.config.databaseUrl,
      TEMPORAL_ADDRESS: h.config.temporal.address,
      TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
      DATA_DIR: dataDir,
      SECRETS_MASTER_KEY: masterKey,
      ADMIN_TOKEN: h.adminToken,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'bazaar-api-only',
      TRACE_READS_RATIO: '1',
      LOG_LEVEL: 'info',
    }));
    try {
      await api.start();
      const consumer = await h.createOrg();
      const traceId = randomBytes(16).toString('hex');
      const callerSpanId = randomBytes(8).toString('hex');
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${consumer.token}`,
            traceparent: `00-${traceId}-${callerSpanId}-01`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
      const started = await call('POST', '/v1/installations', { listing: slug });
      expect(started.status).toBe(202);
      const { workflowId } = (await started.json()) as { workflowId: string };
      await h.temporal.workflow.getHandle(workflowId).result();
      // A read that calls Temporal: its client span belongs to the read's trace too.
      expect((await call('GET', `/v1/workflows/${encodeURIComponent(workflowId)}`)).status).toBe(200);

      const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
      await waitFor(
        async () =>
          inTrace().some((span) => span.name === 'RunActivity:activateInstallation') &&
          inTrace().some((span) => span.name === 'DescribeWorkflow'),
        'the provision and the status read in the trace',
        20_000,
      );
      const spans = inTrace();
      const named = (name: string) => spans.find((span) => span.name === name);
      const server = named('POST /v1/installations');
      expect(server).toMatchObject({ parentSpanId: callerSpanId, serviceName: 'bazaar-api-only' });
      const start = named('StartWorkflow:provisionInstallation');
      expect(start).toMatchObject({ parentSpanId: server?.spanId, serviceName: 'bazaar-api-only' });
      expect(named('RunWorkflow:provisionInstallation')?.parentSpanId).toBe(start?.spanId);
      expect(named('DescribeWorkflow')?.parentSpanId).toBe(named('GET /v1/workflows/:workflowId')?.spanId);

      // The API process's request lines carry the trace id, though its contexts do not follow awaits.
      const lines = api
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line));
      const requestLine = lines.find((line) => line.msg === 'request' && line.path === '/v1/installations');
      expect(requestLine).toMatchObject({ traceId, spanId: server?.spanId });
    } finally {
      await api.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
