import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives local defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: 'local',
      port: 3000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/bazaar',
      temporal: {
        address: '127.0.0.1:7233',
        namespace: 'default',
        taskQueue: 'bazaar',
        startDevServer: true,
      },
      reviewTimeoutSeconds: 604_800,
    });
  });

  it('keeps the search index snapshot under DATA_DIR unless told where, or off', () => {
    expect(loadConfig({ DATA_DIR: '/var/lib/bazaar' }).searchIndexDir).toBe('/var/lib/bazaar/search-index');
    expect(loadConfig({ SEARCH_INDEX_DIR: '/cache/index' }).searchIndexDir).toBe('/cache/index');
    expect(loadConfig({ SEARCH_INDEX_DIR: 'off' }).searchIndexDir).toBeNull();
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url', LOG_LEVEL: 'loud' })).toThrowError(
      ConfigError,
    );
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url', LOG_LEVEL: 'loud' });
    } catch (error) {
      expect((error as Error).message).toMatch(/PORT:/);
      expect((error as Error).message).toMatch(/DATABASE_URL:/);
      expect((error as Error).message).toMatch(/LOG_LEVEL:/);
    }
  });

  it('requires ADMIN_TOKEN in production and never starts a dev server there by default', () => {
    expect(() => loadConfig({ BAZAAR_MODE: 'production' })).toThrowError(/ADMIN_TOKEN: required/);
    const config = loadConfig({
      BAZAAR_MODE: 'production',
      ADMIN_TOKEN: 'x'.repeat(32),
      SECRETS_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    expect(config.temporal.startDevServer).toBe(false);
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrowError(/ADMIN_TOKEN: must be at least 24/);
  });

  it('configures the Kubernetes runtime: a kubeconfig or a pod, a worker identity, a valid prefix', () => {
    expect(loadConfig({}).kubernetes.enabled).toBe(false);
    expect(() => loadConfig({ KUBERNETES_RUNTIME: 'true' })).toThrowError(/KUBERNETES_KUBECONFIG: required/);
    const inPod = loadConfig({
      KUBERNETES_RUNTIME: 'true',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_WORKER_SERVICE_ACCOUNT: 'bazaar-system/bazaar-worker',
    });
    expect(inPod.kubernetes).toMatchObject({
      enabled: true,
      namespacePrefix: 'bazaar-t-',
      workerServiceAccount: { namespace: 'bazaar-system', name: 'bazaar-worker' },
    });
    expect(() => loadConfig({ KUBERNETES_NAMESPACE_PREFIX: 'Tenants' })).toThrowError(
      /KUBERNETES_NAMESPACE_PREFIX:/,
    );
    expect(() => loadConfig({ KUBERNETES_WORKER_SERVICE_ACCOUNT: 'bazaar-worker' })).toThrowError(
      /KUBERNETES_WORKER_SERVICE_ACCOUNT: namespace\/name/,
    );
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', ADMIN_TOKEN: '' }).port).toBe(3000);
  });
});
