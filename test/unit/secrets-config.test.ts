import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMasterKeyring } from '../../src/adapters/secrets/master-keyring.js';
import { loadConfig } from '../../src/config.js';
import { resolveMasterKey } from '../../src/config/master-key.js';

describe('secret-store configuration', () => {
  it('defaults to the Postgres store and parses master keys', () => {
    const key = randomBytes(32).toString('base64');
    const old = randomBytes(32).toString('base64');
    const config = loadConfig({ SECRETS_MASTER_KEY: key, SECRETS_PREVIOUS_MASTER_KEYS: ` ${old} ,` });
    expect(config.secrets).toMatchObject({ store: 'postgres', masterKey: key, previousMasterKeys: [old] });
    expect(loadConfig({}).secrets).toMatchObject({ store: 'postgres', previousMasterKeys: [] });
  });

  it('names a bad master key without echoing it', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => loadConfig({ SECRETS_MASTER_KEY: short })).toThrowError(
      /SECRETS_MASTER_KEY: must be 32 bytes/,
    );
    try {
      loadConfig({ SECRETS_MASTER_KEY: short });
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
    expect(() => loadConfig({ SECRETS_PREVIOUS_MASTER_KEYS: short })).toThrowError(
      /SECRETS_PREVIOUS_MASTER_KEYS/,
    );
  });

  it('requires what the chosen store needs', () => {
    expect(() => loadConfig({ SECRET_STORE: 'vault' })).toThrowError(/VAULT_ADDR: required/);
    expect(() => loadConfig({ SECRET_STORE: 'vault', VAULT_ADDR: 'http://127.0.0.1:8200' })).toThrowError(
      /VAULT_TOKEN: required/,
    );
    const vault = loadConfig({
      SECRET_STORE: 'vault',
      VAULT_ADDR: 'http://127.0.0.1:8200',
      VAULT_TOKEN: 't',
    });
    expect(vault.secrets.vault).toEqual({ address: 'http://127.0.0.1:8200', token: 't', kvMount: 'secret' });
    const production = { BAZAAR_MODE: 'production', ADMIN_TOKEN: 'x'.repeat(32) };
    expect(() => loadConfig(production)).toThrowError(/SECRETS_MASTER_KEY: required/);
  });

  it('gives master keys stable ids that differ per key', () => {
    const key = randomBytes(32).toString('base64');
    expect(createMasterKeyring(key).current.id).toBe(createMasterKeyring(key).current.id);
    expect(createMasterKeyring(key).current.id).not.toBe(
      createMasterKeyring(randomBytes(32).toString('base64')).current.id,
    );
    expect(createMasterKeyring(key).current.id).not.toContain(key);
  });
});

describe('resolveMasterKey (local mode)', () => {
  it('generates a 32-byte key into <dataDir>/master-key, owner-only, then reuses it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bazaar-master-key-'));
    try {
      const first = await resolveMasterKey({ dataDir: join(dataDir, 'nested') });
      expect(first.source).toBe(join(dataDir, 'nested', 'master-key'));
      expect(Buffer.from(first.key, 'base64')).toHaveLength(32);
      expect((await stat(first.source)).mode & 0o777).toBe(0o600);
      expect((await readFile(first.source, 'utf8')).trim()).toBe(first.key);
      expect((await resolveMasterKey({ dataDir: join(dataDir, 'nested') })).key).toBe(first.key);
      const configured = randomBytes(32).toString('base64');
      expect(await resolveMasterKey({ masterKey: configured, dataDir })).toEqual({
        key: configured,
        source: 'the SECRETS_MASTER_KEY environment variable',
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
