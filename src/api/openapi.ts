import type { AccessLevel, RouteAccess } from './access.js';
import type { ZodType } from 'zod';
import { errorResponseSchema } from './errors.js';

const errorDescriptions: Record<number, string> = {
  400: 'Invalid input; details lists each field path and problem',
  401: 'Missing, unknown or revoked API key',
  403: 'The key does not have the role this action needs',
  404: 'Not found (or another organisation’s private object)',
  409: 'Conflicts with the current state',
  422: 'A rule refuses the request',
  429: 'Rate or quota exceeded',
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
