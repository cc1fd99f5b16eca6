import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../../logger.js';
import { traceIdsOf } from '../../observability/tracing.js';
import type { AppEnv } from '../env.js';

/**
 * What every line logged about a request carries: its request id, its trace and span ids (when
 * traced: given here, since the logger's own lookup sees the request's span only before its first
 * await in a process without a worker) and, once authenticated, the caller.
 */
export function requestLogFields(c: Context<AppEnv>): Record<string, unknown> {
  const principal = c.get('principal');
  const fields = { requestId: c.get('requestId'), ...traceIdsOf(c.get('traceContext')) };
  return principal ? { ...fields, orgId: principal.orgId, keyId: principal.keyId } : fields;
}

/**
 * Keeps the logger for the request (`c.get('logger')`; log with `requestLogFields(c)`) and logs one
 * line when it ends, carrying the request id and the caller. No child logger is made per request: a
 * pino child serialises its bindings when made, which cost more than the rest of a cached read.
 */
export function requestLogger(logger: Logger): MiddlewareHandler<AppEnv> {
  return async function requestLoggerMiddleware(c, next) {
    c.set('logger', logger);
    if (!logger.isLevelEnabled('info')) return next();
    const started = performance.now();
    await next();
    logger.info(
      {
        ...requestLogFields(c),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  };
}
