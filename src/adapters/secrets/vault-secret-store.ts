import {
  assertSecretReference,
  SecretStoreError,
  type SecretMetadata,
  type SecretStore,
} from './secret-store.js';
import { vaultFailure, vaultStatus, type VaultClient } from './vault-client.js';
import { tenantSecretsPrefix, VaultTenantTokens } from './vault-tenant-tokens.js';

/** Where the store talks to: a Vault or OpenBao server, its admin token and the KV v2 mount. */
export interface VaultSecretStoreOptions {
  address: string;
  /** Used only to write per-tenant policies and issue per-tenant tokens. */
  adminToken: string;
  kvMount: string;
}

interface KvMetadata {
  created_time: string;
  updated_time: string;
  current_version: number;
}

/**
 * Secrets in Vault / OpenBao KV v2 at `<mount>/data/tenants/<orgId>/<name>`. Every read and write
 * uses the tenant's own token, whose policy reaches that tenant's path and nothing else.
 */
export class VaultSecretStore implements SecretStore {
  readonly kind = 'vault';
  /** The per-tenant tokens this store acts with. */
  readonly tokens: VaultTenantTokens;

  constructor(private readonly options: VaultSecretStoreOptions) {
    this.tokens = new VaultTenantTokens(options);
  }

  /** Writes a new KV version (the latest is the value) and answers the secret's metadata. */
  async put(orgId: string, name: string, value: string): Promise<SecretMetadata> {
    assertSecretReference(orgId, name);
    await this.call(orgId, `writing secret ${name}`, (vault) =>
      vault.write(this.path('data', orgId, name), { data: { value } }),
    );
    const metadata = await this.readMetadata(orgId, name);
    if (!metadata)
      throw new SecretStoreError('unavailable', `vault lost secret ${name} right after writing it`);
    return metadata;
  }

  /** Reads the latest version's value; null when the tenant holds no such secret. */
  async get(orgId: string, name: string): Promise<string | null> {
    assertSecretReference(orgId, name);
    const found = await this.call(orgId, `reading secret ${name}`, (vault) =>
      vault.read(this.path('data', orgId, name)),
    );
    const value = found?.data?.data?.value;
    return typeof value === 'string' ? value : null;
  }

  /** Deletes the secret's metadata and every version; true when it existed. */
  async delete(orgId: string, name: string): Promise<boolean> {
    assertSecretReference(orgId, name);
    if (!(await this.readMetadata(orgId, name))) return false;
    await this.call(orgId, `deleting secret ${name}`, (vault) =>
      vault.delete(this.path('metadata', orgId, name)),
    );
    return true;
  }

  /** Lists the tenant's secret names, then reads each one's metadata. */
  async list(orgId: string): Promise<SecretMetadata[]> {
    assertSecretReference(orgId);
    const listed = await this.call(orgId, 'listing secrets', (vault) =>
      vault.list(`${this.options.kvMount}/metadata/${tenantSecretsPrefix(orgId)}`),
    );
    const names: string[] = (listed?.data?.keys ?? []).filter(
      (key: unknown): key is string => typeof key === 'string' && !key.endsWith('/'),
    );
    const all = await Promise.all(names.map((name) => this.readMetadata(orgId, name)));
    return all.filter((m): m is SecretMetadata => m !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  private path(kind: 'data' | 'metadata', orgId: string, name: string): string {
    return `${this.options.kvMount}/${kind}/${tenantSecretsPrefix(orgId)}/${name}`;
  }

  private async readMetadata(orgId: string, name: string): Promise<SecretMetadata | null> {
    const found = await this.call(orgId, `reading metadata of ${name}`, (vault) =>
      vault.read(this.path('metadata', orgId, name)),
    );
    const metadata = found?.data as KvMetadata | undefined;
    if (!metadata) return null;
    return {
      name,
      createdAt: new Date(metadata.created_time).toISOString(),
      updatedAt: new Date(metadata.updated_time).toISOString(),
      version: metadata.current_version,
    };
  }

  /**
   * Runs one request with the tenant's token: 404 becomes null; a 403 is retried once with a fresh
   * token (the cached one may have been revoked); every error is replaced by one safe to log.
   */
  private async call<T>(
    orgId: string,
    operation: string,
    request: (vault: VaultClient) => Promise<T>,
  ): Promise<T | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request(await this.tokens.clientFor(orgId));
      } catch (error) {
        if (error instanceof SecretStoreError) throw error;
        const status = vaultStatus(error);
        if (status === 404) return null;
        if (status === 403 && attempt === 1) {
          this.tokens.forget(orgId);
          continue;
        }
        throw vaultFailure(`${operation} of tenant ${orgId}`, error);
      }
    }
  }
}
