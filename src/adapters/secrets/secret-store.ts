/** What a store tells about a secret: never its value. */
export interface SecretMetadata {
  name: string;
  createdAt: string;
  updatedAt: string;
  /** 1 when created, +1 on every replacement; starts again at 1 after a delete. */
  version: number;
}

/** Why a secret-store operation failed; the message names the tenant and secret, never the value. */
export type SecretStoreErrorKind =
  'invalid_reference' | 'decrypt_failed' | 'permission_denied' | 'unavailable';

/** A secret-store failure that is safe to log: it carries no value, token or request body. */
export class SecretStoreError extends Error {
  override name = 'SecretStoreError';
  constructor(
    readonly kind: SecretStoreErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Per-tenant secrets by name. Values go in through put and come out only through get; every other
 * answer and every error carries names and metadata only.
 */
export interface SecretStore {
  /** Which backend this is, for logs and health. */
  readonly kind: 'postgres' | 'vault';
  /** Creates the secret or replaces its value (bumping its version). */
  put(orgId: string, name: string, value: string): Promise<SecretMetadata>;
  /** The secret's value, or null when the tenant holds no secret of that name. */
  get(orgId: string, name: string): Promise<string | null>;
  /** Deletes the secret and every earlier value; true when it existed (already gone is not an error). */
  delete(orgId: string, name: string): Promise<boolean>;
  /** The tenant's secrets' metadata, by name. */
  list(orgId: string): Promise<SecretMetadata[]>;
}

// Both segments become part of a Vault path or AAD, so they are restricted to a safe alphabet.
const orgIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const secretNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Refuses tenant ids and secret names that could escape their per-tenant namespace. */
export function assertSecretReference(orgId: string, name?: string): void {
  if (!orgIdPattern.test(orgId))
    throw new SecretStoreError('invalid_reference', 'invalid tenant id for the secret store');
  if (name !== undefined && !secretNamePattern.test(name))
    throw new SecretStoreError('invalid_reference', `invalid secret name "${name.slice(0, 128)}"`);
}
