import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { UnsupportedRuntimeError } from '../runtime-router.js';
import { addressRefusal } from './address-policy.js';

/** Whether endpoints may resolve to loopback, private, link-local and other non-public addresses. */
export interface AddressPolicy {
  allowPrivateNetworks: boolean;
  /** Also accept plain `http://` URLs (webhooks to local development receivers). */
  allowPlainHttp?: boolean;
}

/** A publisher's endpoint whose every address passed the policy: connect to these and nothing else. */
export interface ResolvedEndpoint {
  url: URL;
  /** The host as written in the URL, without IPv6 brackets: for TLS (SNI, certificate) and Host. */
  hostname: string;
  port: number;
  addresses: LookupAddress[];
}

/** The endpoint is one this Bazaar will never call (not https, credentials in it, a refused address). */
export class RemoteEndpointRefusedError extends UnsupportedRuntimeError {}

/** The endpoint's host did not resolve: maybe a passing DNS problem, so worth trying again. */
export class RemoteEndpointUnresolvedError extends Error {
  override name = 'RemoteEndpointUnresolved';
}

/** Resolves every address of a host (all families, in the resolver's order). */
export type HostLookup = (hostname: string) => Promise<LookupAddress[]>;

const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, order: 'verbatim' });

/**
 * Checks a remote endpoint URL and resolves its host, refusing it when any address it resolves to
 * is not public (unless the policy allows private networks). A host with one private address among
 * public ones is refused outright: which one a connection would use is not ours to predict.
 */
export async function resolveEndpoint(
  endpoint: string,
  policy: AddressPolicy,
  lookup: HostLookup = systemLookup,
): Promise<ResolvedEndpoint> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new RemoteEndpointRefusedError('the remote endpoint is not a valid URL');
  }
  const plainHttp = url.protocol === 'http:' && policy.allowPlainHttp === true;
  if (url.protocol !== 'https:' && !plainHttp)
    throw new RemoteEndpointRefusedError('the remote endpoint must be https://');
  if (url.username || url.password)
    throw new RemoteEndpointRefusedError('the remote endpoint must not carry a user name or password');
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : plainHttp ? 80 : 443;

  let addresses: LookupAddress[];
  if (isIP(hostname)) {
    addresses = [{ address: hostname, family: isIP(hostname) }];
  } else {
    try {
      addresses = await lookup(hostname);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'lookup failed';
      throw new RemoteEndpointUnresolvedError(
        `the remote endpoint's host ${hostname} does not resolve (${code})`,
      );
    }
    if (addresses.length === 0)
      throw new RemoteEndpointUnresolvedError(`the remote endpoint's host ${hostname} has no addresses`);
  }
  for (const { address } of addresses) {
    const refusal = addressRefusal(address, policy);
    if (refusal) {
      const where = address === hostname ? address : `${hostname}, which resolves to ${address},`;
      throw new RemoteEndpointRefusedError(
        `the remote endpoint is refused: ${where} is not a public address (${refusal})`,
      );
    }
  }
  return { url, hostname, port, addresses };
}
