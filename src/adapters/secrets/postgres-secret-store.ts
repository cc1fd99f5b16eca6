import type { Db } from '../../db/pool.js';
import { withTransaction } from '../../db/pool.js';
import { open, rewrap, seal, secretAad } from './envelope.js';
import { findMasterKey, type MasterKeyring } from './master-keyring.js';
import {
  assertSecretReference,
  SecretStoreError,
  type SecretMetadata,
  type SecretStore,
} from './secret-store.js';

const METADATA_COLUMNS = 'name, version, created_at, updated_at';

// Tenants are organisations; their ids are bound into the AAD exactly as PostgreSQL prints them.
const orgIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function assertReference(orgId: string, name?: string): void {
  assertSecretReference(orgId, name);
  if (!orgIdPattern.test(orgId))
    throw new SecretStoreError(
      'invalid_reference',
      'a tenant id must be an organisation id (lower-case UUID)',
    );
}

function toMetadata(row: Record<string, unknown>): SecretMetadata {
  return {
    name: row.name as string,
    version: row.version as number,
    createdAt: (row.created_at as Date).toISOString(),
    updatedAt: (row.updated_at as Date).toISOString(),
  };
}

/** What a key rotation did: rows re-wrapped, and rows left under their old key with the reason. */
export interface RotationResult {
  rewrapped: number;
  failed: Array<{ orgId: string; name: string; reason: string }>;
}

/** The embedded secret store: AES-256-GCM envelope-encrypted rows in PostgreSQL (tenant_secrets). */
export class PostgresSecretStore implements SecretStore {
  readonly kind = 'postgres';

  constructor(
    private readonly db: Db,
    private readonly keyring: MasterKeyring,
  ) {}

  /** Seals the value under a fresh data key and inserts or replaces the row. */
  async put(orgId: string, name: string, value: string): Promise<SecretMetadata> {
    assertReference(orgId, name);
    const sealed = seal(value, secretAad(orgId, name), this.keyring.current);
    const { rows } = await this.db.query(
      `INSERT INTO tenant_secrets (org_id, name, value_ciphertext, wrapped_data_key, master_key_id)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (org_id, name) DO UPDATE SET
         value_ciphertext = EXCLUDED.value_ciphertext,
         wrapped_data_key = EXCLUDED.wrapped_data_key,
         master_key_id = EXCLUDED.master_key_id,
         version = tenant_secrets.version + 1,
         updated_at = now()
       RETURNING ${METADATA_COLUMNS}`,
      [orgId, name, sealed.ciphertext, sealed.wrappedKey, sealed.masterKeyId],
    );
    return toMetadata(rows[0]);
  }

  /** Unwraps and decrypts the row's value; SecretStoreError('decrypt_failed') when it cannot. */
  async get(orgId: string, name: string): Promise<string | null> {
    assertReference(orgId, name);
    const { rows } = await this.db.query(
      `SELECT value_ciphertext, wrapped_data_key, master_key_id FROM tenant_secrets
       WHERE org_id = $1 AND name = $2`,
      [orgId, name],
    );
    const row = rows[0];
    if (!row) return null;
    const masterKey = findMasterKey(this.keyring, row.master_key_id);
    if (!masterKey)
      throw new SecretStoreError(
        'decrypt_failed',
        `secret ${name} of tenant ${orgId} is wrapped by master key ${row.master_key_id}, which is not configured`,
      );
    try {
      return open(
        { ciphertext: row.value_ciphertext, wrappedKey: row.wrapped_data_key },
        secretAad(orgId, name),
        masterKey,
      );
    } catch {
      throw new SecretStoreError(
        'decrypt_failed',
        `secret ${name} of tenant ${orgId} failed to decrypt: tampered with, or not this tenant's`,
      );
    }
  }

  /** Deletes the row; true when there was one. */
  async delete(orgId: string, name: string): Promise<boolean> {
    assertReference(orgId, name);
    const { rowCount } = await this.db.query('DELETE FROM tenant_secrets WHERE org_id = $1 AND name = $2', [
      orgId,
      name,
    ]);
    return rowCount === 1;
  }

  /** The tenant's secrets' metadata, by name. */
  async list(orgId: string): Promise<SecretMetadata[]> {
    assertReference(orgId);
    const { rows } = await this.db.query(
      `SELECT ${METADATA_COLUMNS} FROM tenant_secrets WHERE org_id = $1 ORDER BY name`,
      [orgId],
    );
    return rows.map(toMetadata);
  }

  /** True when the keyring holds older keys that rows may still be wrapped by. */
  get hasPreviousKeys(): boolean {
    return this.keyring.previous.length > 0;
  }

  /**
   * Key rotation: re-wraps every data key not yet under the current master key (values are not
   * re-encrypted). Rows it cannot unwrap (key not configured, or tampered with) are left as they are
   * and reported by name. Idempotent and safe to run from several processes at once.
   */
  async rotateMasterKey(batchSize = 500): Promise<RotationResult> {
    const current = this.keyring.current;
    const result: RotationResult = { rewrapped: 0, failed: [] };
    // Keyset pagination, so rows that fail are passed over instead of being selected again.
    let after: { orgId: string; name: string } | null = null;
    for (;;) {
      const rows = await withTransaction(this.db, async (tx) => {
        // SKIP LOCKED lets concurrent rotations share the work instead of waiting on each other.
        const { rows } = await tx.query(
          `SELECT org_id, name, wrapped_data_key, master_key_id FROM tenant_secrets
           WHERE master_key_id <> $1 AND ($2::uuid IS NULL OR (org_id, name) > ($2::uuid, $3::text))
           ORDER BY org_id, name LIMIT $4 FOR UPDATE SKIP LOCKED`,
          [current.id, after?.orgId ?? null, after?.name ?? null, batchSize],
        );
        for (const row of rows) {
          const ref = { orgId: row.org_id as string, name: row.name as string };
          const from = findMasterKey(this.keyring, row.master_key_id);
          if (!from) {
            result.failed.push({ ...ref, reason: `master key ${row.master_key_id} is not configured` });
            continue;
          }
          let wrappedKey: Buffer;
          try {
            wrappedKey = rewrap(row.wrapped_data_key, secretAad(ref.orgId, ref.name), from, current);
          } catch {
            result.failed.push({ ...ref, reason: 'the data key does not unwrap: tampered with or moved' });
            continue;
          }
          await tx.query(
            `UPDATE tenant_secrets SET wrapped_data_key = $3, master_key_id = $4 WHERE org_id = $1 AND name = $2`,
            [ref.orgId, ref.name, wrappedKey, current.id],
          );
          result.rewrapped++;
        }
        return rows;
      });
      const last = rows.at(-1);
      if (!last || rows.length < batchSize) return result;
      after = { orgId: last.org_id, name: last.name };
    }
  }
}
