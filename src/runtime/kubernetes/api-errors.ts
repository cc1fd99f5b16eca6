import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed Kubernetes API call, or undefined for other errors. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** Runs a create; "already exists" (409) counts as success and yields null. */
export async function createOrExisting<T>(create: () => Promise<T>): Promise<T | null> {
  try {
    return await create();
  } catch (error) {
    if (statusOf(error) === 409) return null;
    throw error;
  }
}

/** Runs a delete or read; "not found" (404) counts as success and yields null. */
export async function unlessGone<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw error;
  }
}

/** A failed Kubernetes API call, described by what was attempted, its status and the server's reason. */
export class KubernetesApiError extends Error {
  override name = 'KubernetesApiError';

  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/**
 * Rethrows an API failure as a short KubernetesApiError: the client's own message carries the whole
 * response body and headers, and a Secret call's body must not reach logs. `quiet` drops the server's
 * message too (for calls whose request held secret values).
 */
export function describeFailure(what: string, error: unknown, quiet = false): never {
  if (!(error instanceof ApiException)) throw error;
  const body = parseBody(error.body);
  const detail = quiet ? (body?.reason ?? '') : (body?.message ?? body?.reason ?? '');
  throw new KubernetesApiError(`${what}: HTTP ${error.code}${detail ? ` ${detail}` : ''}`, error.code);
}

function parseBody(body: unknown): { message?: string; reason?: string } | null {
  if (typeof body === 'object' && body !== null) return body as { message?: string; reason?: string };
  if (typeof body !== 'string') return null;
  try {
    return JSON.parse(body) as { message?: string; reason?: string };
  } catch {
    return null;
  }
}
