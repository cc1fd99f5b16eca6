// One trace from the API through the workflow it starts into its activities, exported over OTLP, with
// the trace id on the log lines written inside it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoArtifact } from '../support/agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { publishAgent } from '../support/publish.js';
import { waitFor } from '../support/wait-for.js';

describe('tracing', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let h: Harness;
  let slug: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    h = await startHarness({
      captureLogs: true,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'bazaar-under-test' },
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
});
