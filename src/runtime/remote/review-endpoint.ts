import type { Manifest } from '../../domain/catalog/schemas.js';
import {
  RemoteEndpointRefusedError,
  resolveEndpoint,
  type AddressPolicy,
  type HostLookup,
} from './resolve-endpoint.js';

/**
 * The automated review's check of a remote version's endpoint: why Bazaar would refuse to call it
 * (e.g. it resolves to a loopback or private address under the policy), or null when it would call
 * it or the version is not remote. A host that does not resolve now is not a refusal: DNS may be
 * failing for a moment, and the endpoint is resolved and checked again at install and at each call.
 */
export async function endpointRefusal(
  manifest: Manifest,
  policy: AddressPolicy,
  lookup?: HostLookup,
): Promise<string | null> {
  if (manifest.runtime.kind !== 'remote') return null;
  try {
    await resolveEndpoint(manifest.runtime.endpoint, policy, lookup);
    return null;
  } catch (error) {
    if (error instanceof RemoteEndpointRefusedError) return error.message;
    return null;
  }
}
