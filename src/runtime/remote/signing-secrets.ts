import { z } from 'zod';
import type { SecretStore } from '../../adapters/secrets/secret-store.js';
import { generateSigningSecret } from './request-signature.js';

/** How long the secret a rotation replaced still signs requests, so publishers can switch over. */
export const SIGNING_SECRET_GRACE_MS = 24 * 3600 * 1000;

/**
 * The secret-store name of a listing's signing secrets, kept with the publisher organisation's
 * secrets. Lower case, so it can never be a credential name (those are UPPER_SNAKE_CASE): the
 * credentials API can neither overwrite, delete nor list it.
 */
export function signingSecretName(listingId: string): string {
  return `bazaar-signing-${listingId}`;
}

/** True for secret names that are platform records, not credentials an organisation stored. */
export function isPlatformSecretName(name: string): boolean {
  return name.startsWith('bazaar-');
}

const storedSchema = z.object({
  current: z.string().min(1),
  previous: z.string().min(1).nullable(),
  rotatedAt: z.iso.datetime(),
});

type Stored = z.infer<typeof storedSchema>;

/** Which listing, of which publisher organisation. */
export interface SigningSecretOwner {
  publisherOrgId: string;
  listingId: string;
}

async function readStored(secrets: SecretStore, owner: SigningSecretOwner): Promise<Stored | null> {
  const text = await secrets.get(owner.publisherOrgId, signingSecretName(owner.listingId));
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  const parsed = storedSchema.safeParse(json);
  if (!parsed.success) throw new Error(`the signing secret of listing ${owner.listingId} is malformed`);
  return parsed.data;
}

/**
 * Makes a new signing secret for the listing and returns it (the only time it is shown). The one it
 * replaces keeps signing, beside the new one, for SIGNING_SECRET_GRACE_MS.
 */
export async function rotateSigningSecret(
  secrets: SecretStore,
  owner: SigningSecretOwner,
  now = new Date(),
): Promise<{ secret: string; rotatedAt: string; previousValidUntil: string | null }> {
  const existing = await readStored(secrets, owner);
  const secret = generateSigningSecret();
  const stored: Stored = {
    current: secret,
    previous: existing?.current ?? null,
    rotatedAt: now.toISOString(),
  };
  await secrets.put(owner.publisherOrgId, signingSecretName(owner.listingId), JSON.stringify(stored));
  return {
    secret,
    rotatedAt: stored.rotatedAt,
    previousValidUntil: existing ? new Date(now.getTime() + SIGNING_SECRET_GRACE_MS).toISOString() : null,
  };
}

/** The secrets requests to the listing's endpoint are signed with: current first; none before the first rotation. */
export async function activeSigningSecrets(
  secrets: SecretStore,
  owner: SigningSecretOwner,
  now = new Date(),
): Promise<string[]> {
  const stored = await readStored(secrets, owner);
  if (!stored) return [];
  const graceLeft = Date.parse(stored.rotatedAt) + SIGNING_SECRET_GRACE_MS > now.getTime();
  return stored.previous && graceLeft ? [stored.current, stored.previous] : [stored.current];
}
