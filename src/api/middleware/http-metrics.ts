import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Metrics } from '../../observability/metrics.js';
import { isApiPath } from '../console-static.js';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The route label of a request: the template of the last route (not middleware: those are
 * registered for ALL methods, nor the console's catch-all `/*`) the router matched, e.g.
 * `/v1/installations/:id`; `console` for a page or file of the web console; `unmatched` when only
 * middleware matched (a 404). Never the raw path, so the label's values stay bounded.
 */
export function routeLabel(matched: ReadonlyArray<{ method: string; path: string }>, path: string): string {
  const routes = matched.filter((route) => route.method !== 'ALL');
  const apiRoute = routes.filter((route) => route.path !== '*' && route.path !== '/*').at(-1);
  if (apiRoute) return apiRoute.path;
  return routes.length > 0 && !isApiPath(path) ? 'console' : 'unmatched';
}

/** The method label: the request's method when it is a usual one, else `other`. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}

/** Times every request into `bazaar_http_request_duration_seconds` by method, route template and status. */
export function httpMetrics(metrics: Metrics): MiddlewareHandler {
  return async function httpMetricsMiddleware(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const method = methodLabel(c.req.method);
      const route = routeLabel(matchedRoutes(c), c.req.path);
      const status = c.res.status;
      metrics.httpRequestDuration.observe(
        `${method} ${route} ${status}`,
        () => ({ method, route, status }),
        (performance.now() - started) / 1000,
      );
    }
  };
}
