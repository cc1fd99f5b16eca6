import { z } from 'zod';
import type { SecretStore } from '../../adapters/secrets/secret-store.js';
import { generateSigningSecret } from './standard-webhooks.js';

/** How long the secret a rotation replaced still signs requests, so receivers can switch over. */
export const SIGNING_SECRET_GRACE_MS = 24 * 3600 * 1000;

/** True for secret names that are platform records, not credentials an organisation stored. */
export function isPlatformSecretName(name: string): boolean {
  return name.startsWith('bazaar-');
}

/**
 * Where one rotating signing secret lives: the organisation whose secrets hold it, under a name
 * starting with `bazaar-` (lower case, so never a credential name: the credentials API can neither
 * overwrite, delete nor list it).
 */
export interface SigningSecretRef {
  orgId: string;
  name: string;
}

const storedSchema = z.object({
  current: z.string().min(1),
  previous: z.string().min(1).nullable(),
  rotatedAt: z.iso.datetime(),
});

type Stored = z.infer<typeof storedSchema>;

async function readStored(secrets: SecretStore, ref: SigningSecretRef): Promise<Stored | null> {
  const text = await secrets.get(ref.orgId, ref.name);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  const parsed = storedSchema.safeParse(json);
  if (!parsed.success) throw new Error(`the signing secret ${ref.name} is malformed`);
  return parsed.data;
}

/**
 * Makes a new signing secret and returns it (the only time it is shown). The one it replaces keeps
 * signing, beside the new one, for SIGNING_SECRET_GRACE_MS.
 */
export async function rotateSecret(
  secrets: SecretStore,
  ref: SigningSecretRef,
  now = new Date(),
): Promise<{ secret: string; rotatedAt: string; previousValidUntil: string | null }> {
  const existing = await readStored(secrets, ref);
  const secret = generateSigningSecret();
  const stored: Stored = {
    current: secret,
    previous: existing?.current ?? null,
    rotatedAt: now.toISOString(),
  };
  await secrets.put(ref.orgId, ref.name, JSON.stringify(stored));
  return {
    secret,
    rotatedAt: stored.rotatedAt,
    previousValidUntil: existing ? new Date(now.getTime() + SIGNING_SECRET_GRACE_MS).toISOString() : null,
  };
}

/** The secrets requests are signed with: current first, then the previous one during its grace; none before the first rotation. */
export async function activeSecrets(
  secrets: SecretStore,
  ref: SigningSecretRef,
  now = new Date(),
): Promise<string[]> {
  const stored = await readStored(secrets, ref);
  if (!stored) return [];
  const graceLeft = Date.parse(stored.rotatedAt) + SIGNING_SECRET_GRACE_MS > now.getTime();
  return stored.previous && graceLeft ? [stored.current, stored.previous] : [stored.current];
}
