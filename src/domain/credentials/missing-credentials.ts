import type { SecretStore } from '../../adapters/secrets/secret-store.js';

/** The names among `required` the tenant holds no secret for, in the order given; reads no values. */
export async function findMissingCredentials(
  secrets: SecretStore,
  orgId: string,
  required: readonly string[],
): Promise<string[]> {
  const held = new Set((await secrets.list(orgId)).map((secret) => secret.name));
  return required.filter((name) => !held.has(name));
}
