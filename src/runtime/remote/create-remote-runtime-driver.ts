import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import type { SecretStore } from '../../adapters/secrets/secret-store.js';
import type { Config } from '../../config.js';
import type { Queryable } from '../../db/pool.js';
import { RemoteRuntimeDriver } from './remote-runtime-driver.js';

/** Builds the remote driver from configuration, reading the extra CA file (if any) once, at start-up. */
export async function createRemoteRuntimeDriver(deps: {
  config: Config['remoteAgents'];
  db: Queryable;
  secrets: SecretStore;
  /** The tool gateway's public address (config.gateway.publicUrl). */
  gatewayUrl: string;
}): Promise<RemoteRuntimeDriver> {
  const { config } = deps;
  // Node replaces its default roots with `ca`, so the extra CA is added to them, not swapped in.
  const ca = config.caFile ? [...rootCertificates, await readFile(config.caFile, 'utf8')] : undefined;
  return new RemoteRuntimeDriver({
    db: deps.db,
    secrets: deps.secrets,
    policy: { allowPrivateNetworks: config.allowPrivateNetworks },
    maxResponseBytes: config.maxResponseBytes,
    ca,
    gatewayUrl: deps.gatewayUrl,
  });
}
