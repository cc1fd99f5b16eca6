import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { ParentBasedSampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { ReadsRatioSampler } from '../../src/observability/tracing.js';

const traceId = 'f'.repeat(32);
const decide = (ratio: number, kind: SpanKind, method?: string, parent = ROOT_CONTEXT) =>
  new ParentBasedSampler({ root: new ReadsRatioSampler(ratio) }).shouldSample(
    parent,
    traceId,
    'span',
    kind,
    method ? { 'http.request.method': method } : {},
    [],
  ).decision;

describe('ReadsRatioSampler (TRACE_READS_RATIO)', () => {
  it('starts traces for reads at its ratio, and for writes and non-request spans always', () => {
    expect(decide(1, SpanKind.SERVER, 'GET')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(0, SpanKind.SERVER, 'GET')).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(0, SpanKind.SERVER, 'HEAD')).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(0, SpanKind.SERVER, 'POST')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(0, SpanKind.INTERNAL)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it("follows a caller's sampled trace whatever the ratio", () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId: 'a'.repeat(16),
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(decide(0, SpanKind.SERVER, 'GET', parent)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });
});
