import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context as TraceContext,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../env.js';
import { methodLabel, routeLabel } from './http-metrics.js';

// The propagator asks for `traceparent` and `tracestate` by name: read just those, not every header.
const requestHeaders: TextMapGetter<Context<AppEnv>> = {
  keys: () => [],
  get: (c, key) => c.req.header(key),
};

const READS = new Set(['GET', 'HEAD']);

/** Which requests get a span: reads without a caller's trace only at this share (TRACE_READS_RATIO). */
export interface TraceRequestsOptions {
  readsRatio: number;
}

/**
 * A server span per request, named `METHOD route-template`, continuing the caller's W3C
 * traceparent; it records the status (an error from 500 on) and any exception. Writes always get
 * one; a read that comes with a traceparent follows the caller's sampling decision; any other read
 * gets one at `readsRatio`, decided before anything is built, so a read left out costs a random
 * number and nothing else (no span, no ids, no context). Its context is kept
 * as `c.get('traceContext')` and made active for what follows: across awaits where the process
 * follows contexts there (a worker runs in it), else only until the first await, so the request's
 * log fields and its Temporal calls are given it explicitly (requestLogFields, withRequestTrace).
 * Only what the span needs is read: @hono/otel's middleware copied every request header and, by
 * reading the response's headers, made the response object the server otherwise avoids building.
 */
export function traceRequests({ readsRatio }: TraceRequestsOptions): MiddlewareHandler<AppEnv> {
  const tracer = trace.getTracer('bazaar-api');
  // Not async itself: a read left out adds no promise of its own.
  return function traceRequestsMiddleware(c, next) {
    // Most callers send no traceparent: the propagator is asked only when there is one.
    const traceparent = c.req.header('traceparent');
    if (!traceparent && READS.has(c.req.method) && !(Math.random() < readsRatio)) return next();
    return traceRequest(c, next, traceparent);
  };

  async function traceRequest(c: Context<AppEnv>, next: Next, traceparent: string | undefined) {
    const method = methodLabel(c.req.method);
    // The router has matched before any middleware runs: the template is known now.
    const route = routeLabel(matchedRoutes(c), c.req.path);
    const parent = traceparent ? propagation.extract(ROOT_CONTEXT, c, requestHeaders) : ROOT_CONTEXT;
    const span = tracer.startSpan(
      `${method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': method, 'http.route': route, 'url.path': c.req.path },
      },
      parent,
    );
    const traced = trace.setSpan(parent, span);
    c.set('traceContext', traced);
    try {
      await context.with(traced, next);
      if (span.isRecording()) {
        const status = c.res.status;
        span.setAttribute('http.response.status_code', status);
        if (c.error) span.recordException(c.error);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }
}

/** The dependencies a use case is called with, carrying the request's trace for the Temporal calls it makes. */
export function withRequestTrace<D extends object>(
  c: Context<AppEnv>,
  deps: D,
): D & { traceContext?: TraceContext } {
  const traceContext = c.get('traceContext');
  return traceContext ? { ...deps, traceContext } : deps;
}
