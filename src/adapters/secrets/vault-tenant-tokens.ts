import { createVaultClient, vaultFailure, type VaultClient } from './vault-client.js';

const TOKEN_TTL_SECONDS = 3600;
// Renew well before expiry so a token never lapses in the middle of a request.
const RENEW_BEFORE_MS = 5 * 60 * 1000;

/** The KV v2 path prefix under which one tenant's secrets live (without the data/ or metadata/ part). */
export function tenantSecretsPrefix(orgId: string): string {
  return `tenants/${orgId}`;
}

/** The name of the ACL policy that grants one tenant its own path and nothing else. */
export function tenantPolicyName(orgId: string): string {
  return `bazaar-tenant-${orgId}`;
}

/** The policy text: read, write, list and delete under the tenant's own data and metadata paths. */
export function tenantPolicy(kvMount: string, orgId: string): string {
  const prefix = tenantSecretsPrefix(orgId);
  return [
    `path "${kvMount}/data/${prefix}/*" { capabilities = ["create", "read", "update", "delete"] }`,
    `path "${kvMount}/metadata/${prefix}/*" { capabilities = ["read", "list", "delete"] }`,
  ].join('\n');
}

/**
 * Issues and caches one short-lived token per tenant, bound to that tenant's policy only. The admin
 * token is used for nothing else: it needs write on `sys/policies/acl/bazaar-tenant-*` and sudo on
 * `auth/token/create`.
 */
export class VaultTenantTokens {
  private readonly admin: VaultClient;
  private readonly cache = new Map<string, Promise<{ client: VaultClient; expiresAt: number }>>();

  constructor(private readonly options: { address: string; adminToken: string; kvMount: string }) {
    this.admin = createVaultClient({ address: options.address, token: options.adminToken });
  }

  /** A client acting with the tenant's own token, issuing (and writing its policy) when needed. */
  async clientFor(orgId: string): Promise<VaultClient> {
    const cached = this.cache.get(orgId);
    if (cached) {
      const entry = await cached.catch(() => null);
      if (entry && entry.expiresAt - Date.now() > RENEW_BEFORE_MS) return entry.client;
      this.cache.delete(orgId);
    }
    const issued = this.issue(orgId);
    this.cache.set(orgId, issued);
    return (await issued).client;
  }

  /** The tenant's token itself, for callers that inject it elsewhere (and tests of the policy). */
  async tokenFor(orgId: string): Promise<string> {
    return (await this.clientFor(orgId)).token;
  }

  /** Forgets the tenant's cached token, e.g. after Vault refused it. */
  forget(orgId: string): void {
    this.cache.delete(orgId);
  }

  private async issue(orgId: string) {
    const policy = tenantPolicyName(orgId);
    try {
      await this.admin.write(`sys/policies/acl/${policy}`, {
        policy: tenantPolicy(this.options.kvMount, orgId),
      });
    } catch (error) {
      throw vaultFailure(`writing policy ${policy}`, error);
    }
    let token: string;
    try {
      const created = await this.admin.write('auth/token/create', {
        policies: [policy],
        no_default_policy: true,
        renewable: false,
        ttl: `${TOKEN_TTL_SECONDS}s`,
        display_name: policy,
        meta: { tenant: orgId },
      });
      token = created.auth.client_token;
    } catch (error) {
      throw vaultFailure(`issuing a token for tenant ${orgId}`, error);
    }
    return {
      client: createVaultClient({ address: this.options.address, token }),
      expiresAt: Date.now() + TOKEN_TTL_SECONDS * 1000,
    };
  }
}
