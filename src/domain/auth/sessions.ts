import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../../db/pool.js';
import { hashSecret } from './api-keys.js';
import type { Principal } from './principal.js';

/** A console session as authentication sees it: the key it acts as, and when it ends. */
export interface ConsoleSession {
  /** The stored SHA-256 of the session id (never the id itself). */
  idHash: string;
  principal: Principal;
  expiresAt: string;
}

/** A fresh random session id (256 bits): it goes into the cookie, only its hash into PostgreSQL. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** True when a cookie value can be a session id (43 base64url characters), before any query. */
export function isSessionIdShaped(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * The session's CSRF token: derived from the session id (one-way, with a label so it never equals the
 * stored hash), so it needs no storage, dies with the session, and cannot be forged without the
 * HttpOnly cookie's value.
 */
export function csrfTokenFor(sessionId: string): string {
  return createHash('sha256').update(`bazaar-csrf:${sessionId}`).digest('base64url');
}

/** Compares a presented CSRF token with the session's in constant time. */
export function csrfTokenMatches(sessionId: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(sessionId));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Stores a session for a key, valid for ttlSeconds; removes expired sessions on the way. */
export async function createSession(
  db: Queryable,
  input: { sessionId: string; keyId: string; ttlSeconds: number },
): Promise<{ idHash: string; expiresAt: string }> {
  await db.query('DELETE FROM console_sessions WHERE expires_at < now()');
  const { rows } = await db.query(
    `INSERT INTO console_sessions (id_hash, key_id, expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING id_hash, expires_at`,
    [hashSecret(input.sessionId), input.keyId, input.ttlSeconds],
  );
  return { idHash: rows[0].id_hash, expiresAt: (rows[0].expires_at as Date).toISOString() };
}

/** The live session with this id: unexpired, and its key not revoked; null otherwise. */
export async function findSession(db: Queryable, sessionId: string): Promise<ConsoleSession | null> {
  const { rows } = await db.query(
    `SELECT s.id_hash, s.expires_at, k.id AS key_id, k.role, k.org_id
     FROM console_sessions s JOIN api_keys k ON k.id = s.key_id
     WHERE s.id_hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL`,
    [hashSecret(sessionId)],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    idHash: row.id_hash,
    principal: { keyId: row.key_id, role: row.role, orgId: row.org_id ?? null },
    expiresAt: (row.expires_at as Date).toISOString(),
  };
}

/** Ends one session; ending it twice is harmless. */
export async function deleteSession(db: Queryable, idHash: string): Promise<void> {
  await db.query('DELETE FROM console_sessions WHERE id_hash = $1', [idHash]);
}

/** Ends every session of a key (when it is revoked). */
export async function deleteSessionsOfKey(db: Queryable, keyId: string): Promise<void> {
  await db.query('DELETE FROM console_sessions WHERE key_id = $1', [keyId]);
}

/** Who a key is, for the console's header: its name and, for an organisation key, the organisation's. */
export async function describeKey(
  db: Queryable,
  keyId: string,
): Promise<{ keyName: string; orgName: string | null } | null> {
  const { rows } = await db.query(
    `SELECT k.name AS key_name, o.name AS org_name
     FROM api_keys k LEFT JOIN organizations o ON o.id = k.org_id WHERE k.id = $1`,
    [keyId],
  );
  return rows[0] ? { keyName: rows[0].key_name, orgName: rows[0].org_name ?? null } : null;
}
