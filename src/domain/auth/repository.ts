import type { Queryable } from '../../db/pool.js';
import { BOOTSTRAP_ADMIN_KEY_ID, hashSecret, issueKey, parseToken, secretMatches } from './api-keys.js';
import type { NotifiedCache } from '../../db/notified-cache.js';
import type { Principal, Role } from './principal.js';

/** An organisation as the API shows it. */
export interface Organization {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  statusReason: string | null;
  createdAt: string;
}

/** An API key's metadata (never its secret). */
export interface ApiKeyInfo {
  id: string;
  orgId: string | null;
  role: Role;
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

const toOrganization = (row: Record<string, unknown>): Organization => ({
  id: row.id as string,
  name: row.name as string,
  status: row.status as Organization['status'],
  statusReason: (row.status_reason as string | null) ?? null,
  createdAt: (row.created_at as Date).toISOString(),
});

const toKeyInfo = (row: Record<string, unknown>): ApiKeyInfo => ({
  id: row.id as string,
  orgId: (row.org_id as string | null) ?? null,
  role: row.role as Role,
  name: row.name as string,
  createdAt: (row.created_at as Date).toISOString(),
  revokedAt: row.revoked_at ? (row.revoked_at as Date).toISOString() : null,
});

/** Creates an organisation. */
export async function createOrganization(db: Queryable, name: string): Promise<Organization> {
  const { rows } = await db.query('INSERT INTO organizations (name) VALUES ($1) RETURNING *', [name]);
  return toOrganization(rows[0]);
}

/** Every organisation, newest first (the platform admin's list). */
export async function listOrganizations(db: Queryable, limit: number): Promise<Organization[]> {
  const { rows } = await db.query('SELECT * FROM organizations ORDER BY created_at DESC, id LIMIT $1', [
    limit,
  ]);
  return rows.map(toOrganization);
}

/** Finds an organisation by id (null when absent or the id is malformed). */
export async function findOrganization(db: Queryable, id: string): Promise<Organization | null> {
  const { rows } = await db.query('SELECT * FROM organizations WHERE id::text = $1', [id]);
  return rows[0] ? toOrganization(rows[0]) : null;
}

/** Suspends or reinstates an organisation; null when it does not exist. */
export async function setOrganizationStatus(
  db: Queryable,
  input: { id: string; status: Organization['status']; reason: string | null },
): Promise<Organization | null> {
  const { rows } = await db.query(
    'UPDATE organizations SET status = $2, status_reason = $3 WHERE id::text = $1 RETURNING *',
    [input.id, input.status, input.reason],
  );
  return rows[0] ? toOrganization(rows[0]) : null;
}

/** Issues a key for an organisation (orgId) or the platform (orgId null); returns the token once. */
export async function createApiKey(
  db: Queryable,
  input: { orgId: string | null; role: Role; name: string; createdBy: string | null },
): Promise<{ key: ApiKeyInfo; token: string }> {
  const issued = issueKey();
  const { rows } = await db.query(
    `INSERT INTO api_keys (id, org_id, role, name, secret_hash, created_by)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [issued.keyId, input.orgId, input.role, input.name, issued.secretHash, input.createdBy],
  );
  return { key: toKeyInfo(rows[0]), token: issued.token };
}

/** Finds a key's metadata by id. */
export async function findApiKey(db: Queryable, keyId: string): Promise<ApiKeyInfo | null> {
  const { rows } = await db.query('SELECT * FROM api_keys WHERE id = $1', [keyId]);
  return rows[0] ? toKeyInfo(rows[0]) : null;
}

/** Lists an organisation's keys. */
export async function listApiKeys(db: Queryable, orgId: string): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query('SELECT * FROM api_keys WHERE org_id = $1 ORDER BY created_at', [orgId]);
  return rows.map(toKeyInfo);
}

/** Revokes a key; revoking twice is harmless. */
export async function revokeApiKey(db: Queryable, keyId: string): Promise<void> {
  await db.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [keyId]);
}

/** Stores (or rotates) the platform-admin key that ADMIN_TOKEN authenticates as. */
export async function upsertBootstrapAdminKey(db: Queryable, adminToken: string): Promise<void> {
  await db.query(
    `INSERT INTO api_keys (id, org_id, role, name, secret_hash)
     VALUES ($1, NULL, 'platform-admin', 'ADMIN_TOKEN', $2)
     ON CONFLICT (id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, revoked_at = NULL`,
    [BOOTSTRAP_ADMIN_KEY_ID, hashSecret(adminToken)],
  );
}

/** A key's row as authentication needs it (the secret only as its SHA-256), as the API caches it. */
export interface CachedKey {
  id: string;
  orgId: string | null;
  role: string;
  secretHash: string;
}

/** The NOTIFY channel on which every change to an API key is announced (migration 014). */
export const API_KEY_CHANGES_CHANNEL = 'bazaar_api_key_changes';

/** Resolves a bearer token to its principal, or null when unknown, revoked or wrong (from the cache when given and holding it). */
export async function authenticate(
  db: Queryable,
  token: string,
  cache?: NotifiedCache<CachedKey>,
): Promise<Principal | null> {
  const parsed = parseToken(token);
  // Tokens that are not `bzr_key_…` can only be the ADMIN_TOKEN, whose whole value is hashed.
  const keyId = parsed?.keyId ?? BOOTSTRAP_ADMIN_KEY_ID;
  const secret = parsed?.secret ?? token;
  let key = cache?.get(keyId);
  if (!key) {
    const snapshot = cache?.snapshot() ?? 0;
    const { rows } = await db.query(
      'SELECT id, org_id, role, secret_hash FROM api_keys WHERE id = $1 AND revoked_at IS NULL',
      [keyId],
    );
    const row = rows[0];
    if (!row) return null;
    key = { id: row.id, orgId: row.org_id ?? null, role: row.role, secretHash: row.secret_hash };
    cache?.set(key.id, key, snapshot);
  }
  if (!secretMatches(secret, key.secretHash)) return null;
  return { keyId: key.id, role: key.role as Role, orgId: key.orgId };
}
