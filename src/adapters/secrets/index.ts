export {
  assertSecretReference,
  SecretStoreError,
  type SecretMetadata,
  type SecretStore,
  type SecretStoreErrorKind,
} from './secret-store.js';
export { createMasterKeyring, parseMasterKey, type MasterKey, type MasterKeyring } from './master-keyring.js';
export { PostgresSecretStore } from './postgres-secret-store.js';
export { VaultSecretStore, type VaultSecretStoreOptions } from './vault-secret-store.js';
export { VaultTenantTokens, tenantPolicy, tenantPolicyName } from './vault-tenant-tokens.js';
export { createSecretStore } from './create-secret-store.js';
