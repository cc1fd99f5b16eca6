// A listing's signing secrets for its remote endpoint: the rotating signing secrets of
// domain/signing, kept with the publisher organisation's secrets under a name of their own.
import type { SecretStore } from '../../adapters/secrets/secret-store.js';
import { activeSecrets, rotateSecret, type SigningSecretRef } from '../../domain/signing/rotating-secrets.js';

export { isPlatformSecretName, SIGNING_SECRET_GRACE_MS } from '../../domain/signing/rotating-secrets.js';

/** The secret-store name of a listing's signing secrets, kept with the publisher organisation's secrets. */
function signingSecretName(listingId: string): string {
  return `bazaar-signing-${listingId}`;
}

/** Which listing, of which publisher organisation. */
export interface SigningSecretOwner {
  publisherOrgId: string;
  listingId: string;
}

function refOf(owner: SigningSecretOwner): SigningSecretRef {
  return { orgId: owner.publisherOrgId, name: signingSecretName(owner.listingId) };
}

/**
 * Makes a new signing secret for the listing and returns it (the only time it is shown). The one it
 * replaces keeps signing, beside the new one, for SIGNING_SECRET_GRACE_MS.
 */
export function rotateSigningSecret(secrets: SecretStore, owner: SigningSecretOwner, now = new Date()) {
  return rotateSecret(secrets, refOf(owner), now);
}

/** The secrets requests to the listing's endpoint are signed with: current first; none before the first rotation. */
export function activeSigningSecrets(
  secrets: SecretStore,
  owner: SigningSecretOwner,
  now = new Date(),
): Promise<string[]> {
  return activeSecrets(secrets, refOf(owner), now);
}
