// Who a key is, as the API says: GET /v1/me.
import type { createBazaarClient } from '../client/bazaar-client.js';
import { apiFailure } from './errors.js';

/** What the API says about the key in use. */
export interface Identity {
  kind: 'organisation' | 'platform';
  role: 'admin' | 'member' | 'platform-admin' | 'reviewer';
  /** The organisation, for an organisation's key. */
  orgId: string | null;
  orgName: string | null;
  keyId: string;
  keyName: string;
}

/** Asks the API who the key is; a 401 throws the API's error. */
export async function identify(client: ReturnType<typeof createBazaarClient>): Promise<Identity> {
  const { data, error, response } = await client.GET('/v1/me');
  if (!data) throw apiFailure(response.status, error);
  return {
    kind: data.kind === 'org' ? 'organisation' : 'platform',
    role: data.role,
    orgId: data.orgId ?? null,
    orgName: data.orgName ?? null,
    keyId: data.keyId,
    keyName: data.keyName,
  };
}
