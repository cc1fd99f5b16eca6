// Who a key is. The API has no "who am I" route yet (GET /v1/me is coming with the console), so
// this works it out from what the key may do: a key only reads, never changes anything here.
import type { createBazaarClient } from '../client/bazaar-client.js';
import { apiFailure } from './errors.js';

/** What the key can tell about itself. */
export interface Identity {
  kind: 'organisation' | 'platform';
  role: 'admin' | 'member' | 'platform-admin' | 'reviewer';
  /** The key's id, read from the token when it is a Bazaar-issued key. */
  keyId: string | null;
  /** How it was found out. */
  source: 'probed';
}

const nilUuid = '00000000-0000-0000-0000-000000000000';

/** The key id inside a `bzr_key_…_…` token, or null (the ADMIN_TOKEN environment key has none). */
export const keyIdOf = (token: string) => /^bzr_(key_[0-9a-f]{16})_/.exec(token)?.[1] ?? null;

/** Finds the key's kind and role with read-only calls; a 401 throws the API's error. */
export async function identify(
  client: ReturnType<typeof createBazaarClient>,
  token: string,
): Promise<Identity> {
  const keyId = keyIdOf(token);
  // Organisation keys may list their installations; platform keys may not (403).
  const installations = await client.GET('/v1/installations');
  if (installations.response.ok) {
    // Only an organisation's admin may list its credentials.
    const credentials = await client.GET('/v1/credentials');
    return {
      kind: 'organisation',
      role: credentials.response.ok ? 'admin' : 'member',
      keyId,
      source: 'probed',
    };
  }
  if (installations.response.status !== 403)
    throw apiFailure(installations.response.status, installations.error);
  // A platform admin may read any organisation's keys (404 for one that does not exist); a reviewer may not (403).
  const keys = await client.GET('/v1/orgs/{orgId}/keys', { params: { path: { orgId: nilUuid } } });
  return {
    kind: 'platform',
    role: keys.response.status === 403 ? 'reviewer' : 'platform-admin',
    keyId,
    source: 'probed',
  };
}
