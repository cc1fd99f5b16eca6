import type { AccessLevel, RouteAccess } from './access.js';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ZodType } from 'zod';
import { errorResponseSchema } from './errors.js';

const errorDescriptions: Record<number, string> = {
  400: 'Invalid input; details lists each field path and problem',
  401: 'Missing, unknown or revoked API key',
  403: 'The key does not have the role this action needs',
  404: 'Not found (or another organisation’s private object)',
  409: 'Conflicts with the current state',
  413: 'The request body is larger than this route accepts (64 KiB unless the route says otherwise)',
  422: 'A rule refuses the request',
  429: 'Rate or quota exceeded, or too many failed authentications from this address; see retry-after',
  503: 'A dependency is unavailable',
};

/** A JSON response entry for a route's `responses`. */
export function jsonResponse<T extends ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON request body for a route's `request`. */
export function jsonBody<T extends ZodType>(schema: T) {
  return { body: { required: true, content: { 'application/json': { schema } } } };
}

/** Error response entries in the one error shape, for the given statuses. */
export function errorResponses<S extends number>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      jsonResponse(errorResponseSchema, errorDescriptions[status] ?? 'Error'),
    ]),
  ) as Record<S, ReturnType<typeof jsonResponse<typeof errorResponseSchema>>>;
}

/** The security requirement of every authenticated route. */
export const bearerAuth = [{ bearerAuth: [] }];

/**
 * A route's declared access, spread into its `createRoute({...})`: who may call it (any of the
 * levels) and, optionally, the path parameter naming an object the caller's organisation must own.
 * A publisher-of-listing route owns the listing named by `{id}` unless told otherwise.
 */
export function access(levels: AccessLevel | AccessLevel[], owned?: RouteAccess['owned']) {
  const list = [levels].flat();
  const declared: RouteAccess = {
    levels: list,
    owned: owned ?? (list.includes('publisher-of-listing') ? { param: 'id', kind: 'listing' } : undefined),
  };
  return {
    'x-bazaar-access': declared,
    security: list.includes('public') ? [] : bearerAuth,
  } as const;
}

/**
 * Adds to every route the errors the app's middleware can answer, whatever the route lists: 400 for
 * a path or query that cannot be stored (every /v1 route), 413 for a body over its limit (routes that
 * take one), 429 for an address with too many failed authentications (authenticated routes).
 */
export function documentCommonErrors(registry: OpenAPIHono['openAPIRegistry']): void {
  for (const definition of registry.definitions) {
    if (definition.type !== 'route') continue;
    // The app's registry holds its own copy of each route's config, so this leaves the routes' alone.
    const route = definition.route;
    const common = [
      ...(route.path.startsWith('/v1/') ? [400] : []),
      ...(route.request?.body ? [413] : []),
      ...(route.security?.length ? [429] : []),
    ].filter((status) => !(status in route.responses));
    route.responses = { ...route.responses, ...errorResponses(...common) };
  }
}
