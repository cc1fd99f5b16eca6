import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Hono, type Context } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/api/env.js';
import { traceRequests } from '../../src/api/middleware/trace-requests.js';
import { SynchronousContextManager } from '../../src/observability/synchronous-context-manager.js';

const exporter = new InMemorySpanExporter();
const callerTraceId = 'a'.repeat(32);
const traceparent = (sampled: boolean) => `00-${callerTraceId}-${'b'.repeat(16)}-0${sampled ? 1 : 0}`;

// What the route saw of the request's trace: the span id it would hand to Temporal calls and logs.
function app(readsRatio: number) {
  const served = new Hono<AppEnv>();
  served.use(traceRequests({ readsRatio }));
  const answer = (c: Context<AppEnv>) => c.json({ traced: c.get('traceContext') !== undefined });
  served.get('/things/:id', answer);
  served.post('/things', answer);
  return served;
}

describe('traceRequests (TRACE_READS_RATIO)', () => {
  let provider: BasicTracerProvider;
  beforeAll(() => {
    provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    });
    provider.register({
      contextManager: new SynchronousContextManager(),
      propagator: new W3CTraceContextPropagator(),
    });
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => exporter.reset());

  it('leaves reads out at ratio 0, and never a write', async () => {
    const served = app(0);
    for (let i = 0; i < 20; i++)
      expect(await (await served.request('/things/7')).json()).toEqual({ traced: false });
    expect((await served.request('/things/7', { method: 'HEAD' })).status).toBe(200);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(await (await served.request('/things', { method: 'POST' })).json()).toEqual({ traced: true });
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['POST /things']);
  });

  it('traces every read at ratio 1, named by route template', async () => {
    const served = app(1);
    await served.request('/things/7');
    await served.request('/things/8');
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['GET /things/:id', 'GET /things/:id']);
    expect(spans[0]!.attributes).toMatchObject({
      'http.route': '/things/:id',
      'http.response.status_code': 200,
    });
  });

  it("follows a caller's traceparent whatever the ratio: its sampled flag decides", async () => {
    const served = app(0);
    const sampled = await served.request('/things/7', { headers: { traceparent: traceparent(true) } });
    expect(await sampled.json()).toEqual({ traced: true });
    const [span] = exporter.getFinishedSpans();
    expect(span!.spanContext().traceId).toBe(callerTraceId);
    expect(span!.parentSpanId).toBe('b'.repeat(16));

    exporter.reset();
    const unsampled = await app(1).request('/things/7', { headers: { traceparent: traceparent(false) } });
    expect(unsampled.status).toBe(200);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('keeps about the given share of reads', async () => {
    const served = app(0.25);
    for (let i = 0; i < 2000; i++) await served.request('/things/7');
    // Binomial(2000, 0.25): mean 500, standard deviation about 19; this band is over 7 of them.
    expect(exporter.getFinishedSpans().length).toBeGreaterThan(360);
    expect(exporter.getFinishedSpans().length).toBeLessThan(640);
  });
});
