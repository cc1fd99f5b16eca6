import { OpenAPIHono } from '@hono/zod-openapi';
import type { Db } from '../db/pool.js';
import { describeAccess, enforceAccess, type RouteAccess } from './access.js';
import type { AppEnv } from './env.js';
import { errorResponse, validationError } from './errors.js';

/**
 * A sub-app whose routes each declare their access (`x-bazaar-access`, see `access()`), enforced
 * before validation and written into the route's OpenAPI description; a route without one is refused
 * at start-up. Validation failures answer 400 in the one error shape, with field paths.
 */
export function createRouter(deps: { db: Db }) {
  const router = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return errorResponse(c, validationError(result.error, result.target));
    },
  });
  const register = router.openapi;
  router.openapi = ((route, handler, hook) => {
    const access = (route as { 'x-bazaar-access'?: RouteAccess })['x-bazaar-access'];
    if (!access) throw new Error(`${route.method.toUpperCase()} ${route.path} declares no access`);
    const middleware = route.middleware === undefined ? [] : [route.middleware].flat();
    return register(
      {
        ...route,
        description: [route.description, describeAccess(access)].filter(Boolean).join('\n\n'),
        middleware: [enforceAccess(deps.db, access), ...middleware],
      },
      handler,
      hook,
    );
  }) as typeof router.openapi;
  return router;
}
