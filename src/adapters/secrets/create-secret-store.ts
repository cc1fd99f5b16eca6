import type { Config } from '../../config.js';
import type { Db } from '../../db/pool.js';
import { resolveMasterKey } from '../../config/master-key.js';
import { createMasterKeyring } from './master-keyring.js';
import { PostgresSecretStore } from './postgres-secret-store.js';
import type { SecretStore } from './secret-store.js';
import { VaultSecretStore } from './vault-secret-store.js';

/**
 * Builds the configured secret store. The Postgres store's master key comes from SECRETS_MASTER_KEY,
 * or in local mode from `<DATA_DIR>/master-key` (generated on first start).
 */
export async function createSecretStore(input: {
  config: Pick<Config, 'secrets' | 'dataDir'>;
  db: Db;
}): Promise<SecretStore> {
  const { secrets } = input.config;
  if (secrets.store === 'vault') {
    // loadConfig has refused SECRET_STORE=vault without both of these.
    return new VaultSecretStore({
      address: secrets.vault.address!,
      adminToken: secrets.vault.token!,
      kvMount: secrets.vault.kvMount,
    });
  }
  const master = await resolveMasterKey({ masterKey: secrets.masterKey, dataDir: input.config.dataDir });
  return new PostgresSecretStore(input.db, createMasterKeyring(master.key, secrets.previousMasterKeys));
}
