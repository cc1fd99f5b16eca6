import createNodeVault from 'node-vault';
import { SecretStoreError } from './secret-store.js';

/** A node-vault client. */
export type VaultClient = createNodeVault.client;

/** Creates a node-vault client whose own debug output (which prints request bodies) is silenced. */
export function createVaultClient(input: {
  address: string;
  token: string;
  timeoutMs?: number;
}): VaultClient {
  return createNodeVault({
    endpoint: input.address,
    token: input.token,
    apiVersion: 'v1',
    // GET ?list=1 instead of the LIST verb, which proxies and some HTTP stacks refuse.
    noCustomHTTPVerbs: true,
    debug: () => undefined,
    requestOptions: { timeout: input.timeoutMs ?? 10_000 },
  });
}

/** The HTTP status Vault answered with, or undefined when no answer came. */
export function vaultStatus(error: unknown): number | undefined {
  return (error as { response?: { statusCode?: number } } | null)?.response?.statusCode;
}

/**
 * Replaces a node-vault or axios error with one safe to log: those carry the request (body with the
 * secret value, X-Vault-Token header), so only the status and Vault's own messages are kept.
 */
export function vaultFailure(operation: string, error: unknown): SecretStoreError {
  const status = vaultStatus(error);
  if (status === undefined) {
    const code = (error as { code?: unknown } | null)?.code;
    return new SecretStoreError(
      'unavailable',
      `vault ${operation} failed: ${typeof code === 'string' ? code : 'no response'}`,
    );
  }
  const body = (error as { response: { body?: { errors?: unknown } } }).response.body;
  const messages = Array.isArray(body?.errors) ? body.errors.filter((e) => typeof e === 'string') : [];
  const detail = messages.length > 0 ? `: ${messages.join('; ').slice(0, 300)}` : '';
  return new SecretStoreError(
    status === 403 ? 'permission_denied' : 'unavailable',
    `vault ${operation} answered ${status}${detail}`,
  );
}
