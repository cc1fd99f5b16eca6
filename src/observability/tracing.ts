// Distributed tracing with OpenTelemetry: one trace follows a request from the API through the
// workflow it starts into every activity, exported over OTLP/HTTP to whatever collector is configured
// (Jaeger, Tempo, an OpenTelemetry Collector). Log lines carry the active trace and span ids.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Context } from '@opentelemetry/api';
import { SynchronousContextManager } from './synchronous-context-manager.js';

/** Where traces go and under which service name. */
export interface TracingOptions {
  /** The collector's OTLP/HTTP base URL; spans are posted to `<endpoint>/v1/traces`. */
  endpoint: string;
  serviceName: string;
  /**
   * How the active context is kept: `async-local-storage` follows it across awaits (what activities
   * need: their log lines and Temporal's interceptors run after awaits); `synchronous` keeps it only
   * within each `context.with()` call and costs nothing per promise (a process without a worker,
   * where the API hands each request's context to what needs it). Default: async-local-storage.
   */
  contextManager?: 'async-local-storage' | 'synchronous';
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
 * globally with W3C trace-context propagation and the chosen context manager.
 */
export function startTracing(options: TracingOptions): Tracing {
  const resource = new Resource({ 'service.name': options.serviceName });
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 });
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [spanProcessor],
    // A span with a parent follows the parent's decision; any other is kept. Which API reads get a
    // span at all is decided before one is started (TRACE_READS_RATIO, src/api/middleware/trace-requests.ts).
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  });
  provider.register({
    contextManager:
      options.contextManager === 'synchronous'
        ? new SynchronousContextManager()
        : new AsyncLocalStorageContextManager(),
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

type TraceIds = { traceId: string; spanId: string } | Record<string, never>;

/** The active trace and span ids (none outside a traced request, workflow task or activity). */
export function activeTraceIds(): TraceIds {
  return traceIdsOf(context.active());
}

/** The trace and span ids of a context's span (none when it has none, or none is given). */
export function traceIdsOf(traced: Context | undefined): TraceIds {
  const span = traced && trace.getSpan(traced);
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

/**
 * Runs `fn` with `traced` as the active context (as it is, when none is given): for a call that
 * starts spans of its own (the Temporal client's) or logs, made after an await in a request.
 */
export function inTrace<T>(traced: Context | undefined, fn: () => T): T {
  return traced ? context.with(traced, fn) : fn();
}
