import type { SecretStore } from '../adapters/secrets/secret-store.js';
import type { Db } from '../db/pool.js';
import { readSecretAudited } from '../domain/credentials/read-secret-audited.js';

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * The tenants' tool credentials the gateway injects upstream, read from the secret store once per
 * execution and credential (each read is in the tenant's audit trail, naming the execution) and kept
 * in memory for a minute, so a run's hundredth call costs no secret-store round trip.
 */
export class CredentialCache {
  private readonly entries = new Map<string, { value: string | null; expiresAt: number }>();

  constructor(private readonly deps: { db: Db; secrets: SecretStore }) {}

  /** The credential's value for this execution's organisation, or null when it holds none. */
  async get(input: { orgId: string; executionId: string; name: string }): Promise<string | null> {
    const key = `${input.executionId}\u0000${input.name}`;
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > now) return cached.value;
    const value = await readSecretAudited(this.deps, {
      orgId: input.orgId,
      name: input.name,
      purpose: { executionId: input.executionId },
      actor: null,
    });
    // A missing credential is not kept: the tenant may store it and the run's next call should see it.
    if (value !== null) {
      if (this.entries.size >= MAX_ENTRIES) this.evictExpired(now);
      this.entries.delete(key);
      this.entries.set(key, { value, expiresAt: now + TTL_MS });
    }
    return value;
  }

  // Expired entries go first; if that frees nothing, the oldest entries (Map order) make room.
  private evictExpired(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    for (const key of this.entries.keys()) {
      if (this.entries.size < MAX_ENTRIES) break;
      this.entries.delete(key);
    }
  }
}
