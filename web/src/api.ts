// The console's one API client: the typed client shared with the CLI (src/client), same origin, so
// the session cookie rides along; the session's CSRF token is added to every request that changes state.
import { createBazaarClient, type ApiErrorBody } from '../../src/client/bazaar-client';
import type { components } from '../../src/client/api-types';

/** Schemas of the API, by name. */
export type Schemas = components['schemas'];

/** The typed client: `api.GET('/v1/installations')`. */
export const api = createBazaarClient({ baseUrl: window.location.origin });

let csrfToken: string | null = null;

/** Remembers (in memory only) the CSRF token of the current session; null after sign-out. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

api.use({
  onRequest({ request }) {
    if (csrfToken && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      request.headers.set('x-csrf-token', csrfToken);
    }
    return request;
  },
});

/** A failed API call: the API's message, code and request id, for the person to read and quote. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The data of a typed call, or an ApiError carrying the API's error shape. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result;
  try {
    result = await call;
  } catch (cause) {
    throw new ApiError(0, 'network', `the API could not be reached (${String(cause)})`, null);
  }
  const { data, error, response } = result;
  if (!response.ok) {
    const body = (error as Partial<ApiErrorBody> | undefined)?.error;
    throw new ApiError(
      response.status,
      body?.code ?? 'error',
      body?.message ?? `the API answered ${response.status}`,
      body?.requestId ?? response.headers.get('x-request-id'),
      body?.details,
    );
  }
  return data as T;
}

/** True for an ApiError with this status. */
export function isStatus(error: unknown, status: number): boolean {
  return error instanceof ApiError && error.status === status;
}
