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
