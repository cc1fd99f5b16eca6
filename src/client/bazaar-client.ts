// The one typed client of the Bazaar API, shared by the CLI and the web console: openapi-fetch over
// the types generated from the served OpenAPI document (src/client/api-types.ts).
import createClient from 'openapi-fetch';
import type { components, paths } from './api-types.js';

/** Where the API is and who calls it. */
export interface BazaarClientOptions {
  /** The API's origin, e.g. http://127.0.0.1:3000 ('' in the browser: same origin). */
  baseUrl: string;
  /** An API key, sent as a bearer token; omit it to call with a session cookie or anonymously. */
  apiKey?: string;
  /** Another fetch (tests pass the app's own); default the global one. */
  fetch?: (request: Request) => Promise<Response>;
  /** Extra headers on every request (the console's CSRF token, say). */
  headers?: Record<string, string>;
}

/** A typed client: `client.GET('/v1/listings/{idOrSlug}', { params: { path: { idOrSlug } } })`. */
export function createBazaarClient(options: BazaarClientOptions) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  return createClient<paths>({ baseUrl: options.baseUrl, headers, fetch: options.fetch });
}

/** The API's one error shape: `{error: {code, message, requestId, details}}`. */
export type ApiErrorBody = components['schemas']['Error'];

/** One line a person can act on: the API's message, its code and the request id to quote. */
export function describeApiError(status: number, body: unknown): string {
  const error = (body as Partial<ApiErrorBody> | undefined)?.error;
  if (!error) return `the API answered ${status}`;
  return `${error.message} (${status} ${error.code}, request ${error.requestId})`;
}
