import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { methodLabel, routeLabel } from './http-metrics.js';

// The propagator asks for `traceparent` and `tracestate` by name: read just those, not every header.
const requestHeaders: TextMapGetter<Context> = {
  keys: () => [],
  get: (c, key) => c.req.header(key),
};

/**
 * A server span per request, named `METHOD route-template`, continuing the caller's W3C
 * traceparent, and active for everything after it (so the Temporal client's interceptor and log
 * lines see it); it records the status (an error from 500 on) and any exception. Only what the span
 * needs is read: @hono/otel's middleware copied every request header and, by reading the response's
 * headers, made the response object the server otherwise avoids building.
 */
export function traceRequests(): MiddlewareHandler {
  const tracer = trace.getTracer('bazaar-api');
  return async function traceRequestsMiddleware(c, next) {
    const method = methodLabel(c.req.method);
    // The router has matched before any middleware runs: the template is known now.
    const route = routeLabel(matchedRoutes(c), c.req.path);
    const parent = propagation.extract(ROOT_CONTEXT, c, requestHeaders);
    const span = tracer.startSpan(
      `${method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': method, 'http.route': route, 'url.path': c.req.path },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
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
  };
}
