// A whole Bazaar (API app, worker, PostgreSQL, Temporal) in this process on services someone else
// started, with helpers to call the API as different principals. No vitest imports: tests reach it
// through startHarness (harness.ts), benchmarks through startBenchBazaar (bench/bench-bazaar.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Activities } from '../../src/activities/index.js';
import { startBazaar } from '../../src/bazaar.js';
import { loadConfig } from '../../src/config.js';
import { upsertBootstrapAdminKey } from '../../src/domain/auth/repository.js';
import { createLogger } from '../../src/logger.js';
import type { RuntimeDriver } from '../../src/runtime/runtime-driver.js';

/** A response as tests read it. */
export interface TestResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** How to call the API: as whom (default the platform admin; null for no token), with what body. */
export interface RequestInit {
  token?: string | null;
  /** JSON (objects), sent as is (strings), or raw bytes (give the content-type in headers). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Where Bazaar runs and how it is configured. */
export interface TestBazaarOptions {
  databaseUrl: string;
  temporalAddress: string;
  /** Default: a task queue of its own (`test-<uuid>`), so several Bazaars share one dev server. */
  taskQueue?: string;
  reviewTimeoutSeconds?: number;
  /** Default: BAZAAR_TEST_LOG_LEVEL, else silent. */
  logLevel?: string;
  /** Keep every log line (at trace level) in `logs` instead of writing them out. */
  captureLogs?: boolean;
  /** More configuration, as environment variables (e.g. SECRET_STORE=vault with its address). */
  env?: Record<string, string>;
  /** Replace some real activities, e.g. to inject a failure at one step. */
  activities?: (real: Activities) => Partial<Activities>;
  /** The driver for process agents, instead of the local sandbox under DATA_DIR/runtimes. */
  runtime?: (runtimeRoot: string) => RuntimeDriver;
}

/** Starts Bazaar on the given database and Temporal; call stop() when done. */
export async function createTestBazaar(options: TestBazaarOptions) {
  const adminToken = `test-admin-${randomUUID()}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'bazaar-test-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    SECRETS_MASTER_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: options.taskQueue ?? `test-${randomUUID()}`,
    ADMIN_TOKEN: adminToken,
    LOG_LEVEL: options.captureLogs
      ? 'trace'
      : (options.logLevel ?? process.env.BAZAAR_TEST_LOG_LEVEL ?? 'silent'),
    REVIEW_TIMEOUT_SECONDS: String(options.reviewTimeoutSeconds ?? 3600),
    ...options.env,
  });
  const logs: string[] = [];
  const logger = createLogger(
    config.logLevel,
    options.captureLogs ? { write: (line: string) => logs.push(line) } : undefined,
  );
  let bazaar;
  try {
    bazaar = await startBazaar(config, logger, {
      activities: options.activities,
      runtime: options.runtime?.(join(dataDir, 'runtimes')),
    });
    await upsertBootstrapAdminKey(bazaar.db, adminToken);
  } catch (error) {
    await bazaar?.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const { app, gateway, db, temporal, secrets, runtime, search, metricsUrl } = bazaar;
  const runtimeRoot = join(dataDir, 'runtimes');

  /** Calls the API in process and reads the JSON answer. */
  async function request<T = any>(
    method: string,
    path: string,
    init: RequestInit = {},
  ): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token !== null) headers.authorization = `Bearer ${init.token ?? adminToken}`;
    let body: BodyInit | undefined;
    if (init.body instanceof Uint8Array) {
      body = new Uint8Array(init.body);
      headers['content-type'] ??= 'application/octet-stream';
    } else if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    const response = await app.request(path, { method, headers, body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  }

  /** Calls the API and returns the body; throws on an error status (for set-up, not for assertions). */
  async function call<T = any>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const response = await request<T>(method, path, init);
    if (response.status >= 400)
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
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
    /** The tool gateway's app (served on its socket by the worker; tests may listen on a port too). */
    gateway,
    db,
    search,
    secrets,
    runtime,
    runtimeRoot,
    /** Where this Bazaar serves /metrics, when METRICS_PORT is set. */
    metricsUrl,
    logs,
    temporal,
    config,
    adminToken,
    request,
    call,
    createOrg,
    createOrgKey,
    createPlatformKey,
    async stop() {
      await bazaar.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
