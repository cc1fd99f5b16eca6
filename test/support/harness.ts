// A whole Bazaar (API app, worker, real PostgreSQL, real Temporal) in the test process, with
// helpers to call the API as different principals.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Activities } from '../../src/activities/index.js';
import { startBazaar } from '../../src/bazaar.js';
import { loadConfig } from '../../src/config.js';
import { upsertBootstrapAdminKey } from '../../src/domain/auth/repository.js';
import { createLogger } from '../../src/logger.js';
import { createOwnDatabase } from './own-database.js';

/** A response as tests read it. */
export interface TestResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Options for one harness. */
export interface HarnessOptions {
  reviewTimeoutSeconds?: number;
  /** Use a database of its own (created, migrated, dropped at stop) instead of the run's shared one. */
  ownDatabase?: boolean;
  /** Keep every log line (at trace level) in `logs` instead of discarding them. */
  captureLogs?: boolean;
  /** More configuration, as environment variables (e.g. SECRET_STORE=vault with its address). */
  env?: Record<string, string>;
  /** Replace some real activities, e.g. to inject a failure at one step. */
  activities?: (real: Activities) => Partial<Activities>;
}

/** Starts a harness; call stop() in afterAll. */
export async function startHarness(options: HarnessOptions = {}) {
  const adminToken = `test-admin-${randomUUID()}`;
  const ownDatabase = options.ownDatabase ? await createOwnDatabase() : null;
  const dataDir = await mkdtemp(join(tmpdir(), 'bazaar-test-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    SECRETS_MASTER_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: ownDatabase?.url ?? inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    ADMIN_TOKEN: adminToken,
    LOG_LEVEL: options.captureLogs ? 'trace' : (process.env.BAZAAR_TEST_LOG_LEVEL ?? 'silent'),
    REVIEW_TIMEOUT_SECONDS: String(options.reviewTimeoutSeconds ?? 3600),
    ...options.env,
  });
  const logs: string[] = [];
  const logger = createLogger(
    config.logLevel,
    options.captureLogs ? { write: (line: string) => logs.push(line) } : undefined,
  );
  const bazaar = await startBazaar(config, logger, { activities: options.activities });
  const { app, db, temporal, secrets, runtime, search } = bazaar;
  await upsertBootstrapAdminKey(db, adminToken);
  const runtimeRoot = join(dataDir, 'runtimes');

  async function request<T = any>(
    method: string,
    path: string,
    init: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token !== null) headers.authorization = `Bearer ${init.token ?? adminToken}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await app.request(path, {
      method,
      headers,
      body:
        init.body === undefined
          ? undefined
          : typeof init.body === 'string'
            ? init.body
            : JSON.stringify(init.body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  }

  /** Creates an organisation; returns it with its admin token. */
  async function createOrg(name = `org-${randomUUID().slice(0, 8)}`) {
    const created = await request('POST', '/v1/orgs', { body: { name } });
    if (created.status !== 201)
      throw new Error(`createOrg: ${created.status} ${JSON.stringify(created.body)}`);
    return {
      org: created.body.org as { id: string; name: string },
      token: created.body.apiKey.token as string,
    };
  }

  /** Issues a key with the given role in an organisation, using its admin token. */
  async function createOrgKey(orgId: string, adminTokenOfOrg: string, role: 'admin' | 'member') {
    const created = await request('POST', `/v1/orgs/${orgId}/keys`, {
      token: adminTokenOfOrg,
      body: { name: role, role },
    });
    if (created.status !== 201)
      throw new Error(`createOrgKey: ${created.status} ${JSON.stringify(created.body)}`);
    return created.body.token as string;
  }

  /** Issues a platform key (reviewer or platform-admin). */
  async function createPlatformKey(role: 'reviewer' | 'platform-admin') {
    const created = await request('POST', '/v1/platform/keys', { body: { name: role, role } });
    if (created.status !== 201)
      throw new Error(`createPlatformKey: ${created.status} ${JSON.stringify(created.body)}`);
    return created.body.token as string;
  }

  return {
    app,
    db,
    search,
    secrets,
    runtime,
    runtimeRoot,
    logs,
    temporal,
    config,
    adminToken,
    request,
    createOrg,
    createOrgKey,
    createPlatformKey,
    async stop() {
      await bazaar.stop();
      await ownDatabase?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The harness type. */
export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** A valid manifest for tests, with overrides. */
export function manifest(overrides: Record<string, unknown> = {}) {
  return {
    version: '1.0.0',
    description: 'Checks refund requests against the store policy',
    pricing: { model: 'usage_based', pricePerInvocation: 0.02 },
    requiredCredentials: [{ name: 'SHOP_API_KEY', description: 'read orders' }],
    runtime: { kind: 'process', command: ['node', 'main.js'] },
    ...overrides,
  };
}

/** A listing body with a unique slug. */
export function listingBody(overrides: Record<string, unknown> = {}) {
  return {
    slug: `agent-${randomUUID().slice(0, 8)}`,
    name: 'Refund helper',
    category: 'support',
    tags: ['returns'],
    ...overrides,
  };
}
