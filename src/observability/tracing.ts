// Distributed tracing with OpenTelemetry: one trace follows a request from the API through the
// workflow it starts into every activity, exported over OTLP/HTTP to whatever collector is configured
// (Jaeger, Tempo, an OpenTelemetry Collector). Log lines carry the active trace and span ids.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Where traces go and under which service name. */
export interface TracingOptions {
  /** The collector's OTLP/HTTP base URL; spans are posted to `<endpoint>/v1/traces`. */
  endpoint: string;
  serviceName: string;
}

/** Running tracing: what the Temporal worker needs for workflow spans, and how to stop. */
export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Exports what is still buffered and unregisters the global tracer, context manager and propagator. */
  shutdown(): Promise<void>;
}

/**
 * Starts tracing for this process: a tracer provider batching spans to the OTLP endpoint, registered
 * globally with W3C trace-context propagation and an AsyncLocalStorage context manager.
 */
export function startTracing(options: TracingOptions): Tracing {
  const resource = new Resource({ 'service.name': options.serviceName });
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({
    contextManager: new AsyncLocalStorageContextManager(),
    propagator: new W3CTraceContextPropagator(),
  });
  return {
    resource,
    spanProcessor,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** The active trace and span ids (none outside a traced request, workflow task or activity). */
export function activeTraceIds(): { traceId: string; spanId: string } | Record<string, never> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}
