// One contract for every SecretStore, run against the embedded PostgreSQL store (a database of its
// own, so key rotation sees only its rows) and the Vault store on a real OpenBao dev server; then
// what only one backend can show: envelope encryption and rotation, per-tenant Vault policies.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMasterKeyring } from '../../src/adapters/secrets/master-keyring.js';
import { PostgresSecretStore } from '../../src/adapters/secrets/postgres-secret-store.js';
import { SecretStoreError, type SecretStore } from '../../src/adapters/secrets/secret-store.js';
import { createVaultClient, vaultStatus } from '../../src/adapters/secrets/vault-client.js';
import { VaultSecretStore } from '../../src/adapters/secrets/vault-secret-store.js';
import { createLogger } from '../../src/logger.js';
import { createPool, type Db } from '../../src/db/pool.js';
import { createOrganization } from '../../src/domain/auth/repository.js';
import { freePort } from '../support/free-port.js';
import { startOpenBao, type OpenBao } from '../support/openbao.js';
import { createOwnDatabase } from '../support/own-database.js';

const newKey = () => randomBytes(32).toString('base64');
const secretValue = () => `sk-live-${randomBytes(18).toString('base64url')}`;

/** What the shared contract needs: the store and a way to get fresh tenants for it. */
interface Subject {
  store: SecretStore;
  newTenant(): Promise<string>;
}

/** Fails unless fn rejects with a SecretStoreError of this kind; returns it for further checks. */
async function expectStoreError(fn: () => Promise<unknown>, kind: SecretStoreError['kind']) {
  const error = await fn().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretStoreError);
  expect((error as SecretStoreError).kind).toBe(kind);
  return error as SecretStoreError;
}

function secretStoreContract(subject: () => Subject) {
  it('round-trips a value, and answers null for a name the tenant does not hold', async () => {
    const { store, newTenant } = subject();
    const tenant = await newTenant();
    const value = `${secretValue()} ünïcødé ✓ "quoted"\nsecond line`;
    const stored = await store.put(tenant, 'SHOP_API_KEY', value);
    expect(stored).toEqual({
      name: 'SHOP_API_KEY',
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await store.get(tenant, 'SHOP_API_KEY')).toBe(value);
    expect(await store.get(tenant, 'NEVER_STORED')).toBeNull();
  });

  it('replaces a value, bumping the version and keeping the creation time', async () => {
    const { store, newTenant } = subject();
    const tenant = await newTenant();
    const first = await store.put(tenant, 'OPENAI_API_KEY', secretValue());
    const replacement = secretValue();
    const second = await store.put(tenant, 'OPENAI_API_KEY', replacement);
    expect(second.version).toBe(first.version + 1);
    expect(second.createdAt).toBe(first.createdAt);
    expect(Date.parse(second.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.updatedAt));
    expect(await store.get(tenant, 'OPENAI_API_KEY')).toBe(replacement);
  });

  it('lists names and metadata, by name, never values', async () => {
    const { store, newTenant } = subject();
    const tenant = await newTenant();
    const values = [secretValue(), secretValue()];
    await store.put(tenant, 'ZETA_TOKEN', values[0]!);
    await store.put(tenant, 'ALPHA_TOKEN', values[1]!);
    await store.put(tenant, 'ALPHA_TOKEN', values[1]!);
    const listed = await store.list(tenant);
    expect(listed).toEqual([
      { name: 'ALPHA_TOKEN', version: 2, createdAt: expect.any(String), updatedAt: expect.any(String) },
      { name: 'ZETA_TOKEN', version: 1, createdAt: expect.any(String), updatedAt: expect.any(String) },
    ]);
    for (const value of values) expect(JSON.stringify(listed)).not.toContain(value);
    expect(await store.list(await newTenant())).toEqual([]);
  });

  it('deletes idempotently: true once, then false; a new value starts again at version 1', async () => {
    const { store, newTenant } = subject();
    const tenant = await newTenant();
    await store.put(tenant, 'DB_PASSWORD', secretValue());
    await store.put(tenant, 'DB_PASSWORD', secretValue());
    expect(await store.delete(tenant, 'DB_PASSWORD')).toBe(true);
    expect(await store.get(tenant, 'DB_PASSWORD')).toBeNull();
    expect(await store.delete(tenant, 'DB_PASSWORD')).toBe(false);
    expect(await store.list(tenant)).toEqual([]);
    expect((await store.put(tenant, 'DB_PASSWORD', secretValue())).version).toBe(1);
  });

  it("keeps tenants apart: B cannot read, list or delete A's secret of the same name", async () => {
    const { store, newTenant } = subject();
    const [a, b] = [await newTenant(), await newTenant()];
    const value = secretValue();
    await store.put(a, 'SHARED_NAME', value);
    expect(await store.get(b, 'SHARED_NAME')).toBeNull();
    expect(await store.list(b)).toEqual([]);
    expect(await store.delete(b, 'SHARED_NAME')).toBe(false);
    expect(await store.get(a, 'SHARED_NAME')).toBe(value);
    const bValue = secretValue();
    await store.put(b, 'SHARED_NAME', bValue);
    expect(await store.get(a, 'SHARED_NAME')).toBe(value);
    expect(await store.get(b, 'SHARED_NAME')).toBe(bValue);
  });

  it('refuses names and tenant ids that could leave the tenant namespace', async () => {
    const { store, newTenant } = subject();
    const tenant = await newTenant();
    await expectStoreError(() => store.get(tenant, '../OTHER'), 'invalid_reference');
    await expectStoreError(() => store.put(tenant, 'A/B', 'x'), 'invalid_reference');
    await expectStoreError(() => store.list('../tenants'), 'invalid_reference');
  });
}

describe('SecretStore contract', () => {
  let ownDb: Awaited<ReturnType<typeof createOwnDatabase>>;
  let db: Db;
  let openBao: OpenBao;
  const newTenant = async () => (await createOrganization(db, `tenant-${randomUUID().slice(0, 8)}`)).id;

  beforeAll(async () => {
    ownDb = await createOwnDatabase();
    db = createPool(ownDb.url, createLogger('silent'));
    openBao = await startOpenBao();
  });
  afterAll(async () => {
    await openBao?.stop();
    await db?.end();
    await ownDb?.drop();
  });

  describe('PostgresSecretStore', () => {
    const currentKey = newKey();
    const store = () => new PostgresSecretStore(db, createMasterKeyring(currentKey));
    secretStoreContract(() => ({ store: store(), newTenant }));

    const row = async (tenant: string, name: string) =>
      (await db.query('SELECT * FROM tenant_secrets WHERE org_id = $1 AND name = $2', [tenant, name]))
        .rows[0];

    it('stores only ciphertext, under a fresh data key per write', async () => {
      const tenant = await newTenant();
      const value = secretValue();
      await store().put(tenant, 'API_KEY', value);
      const first = await row(tenant, 'API_KEY');
      expect(first.value_ciphertext.includes(Buffer.from(value))).toBe(false);
      expect(JSON.stringify(first)).not.toContain(value);
      await store().put(tenant, 'API_KEY', value);
      const second = await row(tenant, 'API_KEY');
      expect(second.wrapped_data_key.equals(first.wrapped_data_key)).toBe(false);
      expect(second.value_ciphertext.equals(first.value_ciphertext)).toBe(false);
    });

    it('refuses a tampered ciphertext or wrapped key, without echoing anything secret', async () => {
      const tenant = await newTenant();
      const value = secretValue();
      await store().put(tenant, 'API_KEY', value);
      for (const column of ['value_ciphertext', 'wrapped_data_key']) {
        const original: Buffer = (await row(tenant, 'API_KEY'))[column];
        const tampered = Buffer.from(original);
        tampered[tampered.length - 1]! ^= 0x01;
        await db.query(`UPDATE tenant_secrets SET ${column} = $3 WHERE org_id = $1 AND name = $2`, [
          tenant,
          'API_KEY',
          tampered,
        ]);
        const error = await expectStoreError(() => store().get(tenant, 'API_KEY'), 'decrypt_failed');
        expect(error.message).not.toContain(value);
        await db.query(`UPDATE tenant_secrets SET ${column} = $3 WHERE org_id = $1 AND name = $2`, [
          tenant,
          'API_KEY',
          original,
        ]);
        expect(await store().get(tenant, 'API_KEY')).toBe(value);
      }
    });

    it('refuses a row copied to another tenant or name (tenant and name are the AAD)', async () => {
      const [a, b] = [await newTenant(), await newTenant()];
      await store().put(a, 'API_KEY', secretValue());
      const copy = (toTenant: string, toName: string) =>
        db.query(
          `INSERT INTO tenant_secrets (org_id, name, value_ciphertext, wrapped_data_key, master_key_id)
           SELECT $3, $4, value_ciphertext, wrapped_data_key, master_key_id FROM tenant_secrets
           WHERE org_id = $1 AND name = $2`,
          [a, 'API_KEY', toTenant, toName],
        );
      await copy(b, 'API_KEY');
      await expectStoreError(() => store().get(b, 'API_KEY'), 'decrypt_failed');
      await copy(a, 'OTHER_KEY');
      await expectStoreError(() => store().get(a, 'OTHER_KEY'), 'decrypt_failed');
      await db.query('DELETE FROM tenant_secrets WHERE (org_id, name) IN (($1, $2), ($3, $4))', [
        b,
        'API_KEY',
        a,
        'OTHER_KEY',
      ]);
    });

    it('refuses to read with the wrong master key', async () => {
      const tenant = await newTenant();
      await store().put(tenant, 'API_KEY', secretValue());
      const stranger = new PostgresSecretStore(db, createMasterKeyring(newKey()));
      const error = await expectStoreError(() => stranger.get(tenant, 'API_KEY'), 'decrypt_failed');
      expect(error.message).toMatch(/not configured/);
    });

    it('rotates the master key: values stay readable and the old key id disappears', async () => {
      const oldKey = newKey();
      const oldStore = new PostgresSecretStore(db, createMasterKeyring(oldKey));
      const written = new Map<string, string>();
      for (let i = 0; i < 5; i++) {
        const tenant = await newTenant();
        const value = secretValue();
        await oldStore.put(tenant, 'ROTATED_KEY', value);
        written.set(tenant, value);
      }
      const oldKeyId = createMasterKeyring(oldKey).current.id;
      // A row whose wrapped key was moved to another name cannot be re-wrapped: reported, left alone.
      const [movedTenant] = [...written.keys()];
      await db.query(
        `INSERT INTO tenant_secrets (org_id, name, value_ciphertext, wrapped_data_key, master_key_id)
         SELECT org_id, 'MOVED_KEY', value_ciphertext, wrapped_data_key, master_key_id FROM tenant_secrets
         WHERE org_id = $1 AND name = 'ROTATED_KEY'`,
        [movedTenant],
      );
      // The contract tests above left rows under currentKey in this database: rotation moves them too.
      const newRing = createMasterKeyring(newKey(), [oldKey, currentKey]);
      const rotating = new PostgresSecretStore(db, newRing);
      const [aTenant, aValue] = [...written][0]!;
      // Before rotation the old key is still accepted for reading.
      expect(await rotating.get(aTenant, 'ROTATED_KEY')).toBe(aValue);

      const { rewrapped, failed } = await rotating.rotateMasterKey(2);
      expect(rewrapped).toBeGreaterThanOrEqual(written.size);
      expect(failed).toEqual([{ orgId: movedTenant, name: 'MOVED_KEY', reason: expect.any(String) }]);
      const ids = await db.query(
        `SELECT DISTINCT master_key_id FROM tenant_secrets WHERE name <> 'MOVED_KEY'`,
      );
      expect(ids.rows.map((r) => r.master_key_id)).toEqual([newRing.current.id]);
      expect(ids.rows.map((r) => r.master_key_id)).not.toContain(oldKeyId);

      const newKeyOnly = new PostgresSecretStore(db, { current: newRing.current, previous: [] });
      for (const [tenant, value] of written) expect(await newKeyOnly.get(tenant, 'ROTATED_KEY')).toBe(value);
      await expectStoreError(() => oldStore.get(aTenant, 'ROTATED_KEY'), 'decrypt_failed');
      expect(await rotating.rotateMasterKey()).toEqual({ rewrapped: 0, failed: [expect.anything()] });
    });
  });

  describe('VaultSecretStore on OpenBao', () => {
    const store = () =>
      new VaultSecretStore({ address: openBao.address, adminToken: openBao.rootToken, kvMount: 'secret' });
    let shared: VaultSecretStore;
    beforeAll(() => {
      shared = store();
    });
    secretStoreContract(() => ({ store: shared, newTenant: async () => randomUUID() }));

    it('keeps each tenant at <mount>/data/tenants/<orgId>/<name>', async () => {
      const tenant = randomUUID();
      const value = secretValue();
      await shared.put(tenant, 'SHOP_API_KEY', value);
      const admin = createVaultClient({ address: openBao.address, token: openBao.rootToken });
      const read = await admin.read(`secret/data/tenants/${tenant}/SHOP_API_KEY`);
      expect(read.data.data).toEqual({ value });
    });

    it("gives each tenant a token that its own path accepts and another tenant's path refuses", async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      await shared.put(a, 'API_KEY', secretValue());
      const bValue = secretValue();
      await shared.put(b, 'API_KEY', bValue);
      const asA = createVaultClient({ address: openBao.address, token: await shared.tokens.tokenFor(a) });
      expect((await asA.read(`secret/data/tenants/${a}/API_KEY`)).data.data.value).toEqual(
        expect.any(String),
      );

      for (const attempt of [
        () => asA.read(`secret/data/tenants/${b}/API_KEY`),
        () => asA.write(`secret/data/tenants/${b}/API_KEY`, { data: { value: 'overwritten' } }),
        () => asA.list(`secret/metadata/tenants/${b}`),
        () => asA.delete(`secret/metadata/tenants/${b}/API_KEY`),
        () => asA.list('secret/metadata/tenants'),
        () => asA.read('sys/policies/acl'),
      ]) {
        const error = await attempt().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).not.toBeNull();
        expect(vaultStatus(error)).toBe(403);
      }
      expect(await shared.get(b, 'API_KEY')).toBe(bValue);
    });

    it('reports an unreachable server without the value or any token in the error', async () => {
      const closedPort = await freePort();
      const unreachable = new VaultSecretStore({
        address: `http://127.0.0.1:${closedPort}`,
        adminToken: openBao.rootToken,
        kvMount: 'secret',
      });
      const value = secretValue();
      const error = await expectStoreError(
        () => unreachable.put(randomUUID(), 'API_KEY', value),
        'unavailable',
      );
      const everything = `${error.message} ${error.stack} ${JSON.stringify(error)}`;
      expect(everything).not.toContain(value);
      expect(everything).not.toContain(openBao.rootToken);
    });
  });
});
