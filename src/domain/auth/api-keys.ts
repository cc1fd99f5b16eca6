import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PREFIX = 'bzr';

/** A freshly issued key: the token is shown to its owner once, only the hash is stored. */
export interface IssuedKey {
  keyId: string;
  token: string;
  secretHash: string;
}

/** Issues a new key: `bzr_<keyId>_<secret>`, with 256 bits of secret. */
export function issueKey(): IssuedKey {
  const keyId = `key_${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  return { keyId, token: `${KEY_PREFIX}_${keyId}_${secret}`, secretHash: hashSecret(secret) };
}

/** Splits a bearer token into key id and secret; null when it is not a Bazaar key. */
export function parseToken(token: string): { keyId: string; secret: string } | null {
  const match = /^bzr_(key_[0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { keyId: match[1]!, secret: match[2]! } : null;
}

/** SHA-256 of a high-entropy secret (no slow hash needed: secrets are random, not passwords). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** The fixed key id under which the ADMIN_TOKEN bootstrap key is stored. */
export const BOOTSTRAP_ADMIN_KEY_ID = 'key_bootstrap_admin';
