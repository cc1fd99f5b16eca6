import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.js';
import { errorResponse, validationError } from './errors.js';

/** A sub-app whose request validation failures answer 400 in the one error shape, with field paths. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return errorResponse(c, validationError(result.error, result.target));
    },
  });
}
