// A whole Bazaar for benchmarks: its own Temporal dev server (in memory), a fresh database, the
// worker and the API app, with helpers to call the API and publish agents. stop() removes it all.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startBazaar } from '../src/bazaar.js';
import { loadConfig } from '../src/config.js';
import { upsertBootstrapAdminKey } from '../src/domain/auth/repository.js';
import { createLogger } from '../src/logger.js';
import { startDevServer } from '../src/temporal/dev-server.js';

/** Starts Bazaar for a benchmark; extra configuration comes as environment variables. */
export async function startBenchBazaar(env: Record<string, string> = {}) {
  const logger = createLogger('warn');
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? join(homedir(), '.cache/bazaar/temporal-v1.5.1/temporal');
  const databaseName = `bazaar_bench_${Date.now()}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'bazaar-bench-'));
  const adminToken = randomBytes(24).toString('base64url');
  const devServer = await startDevServer({
    cliPath,
    port: 17_233 + Math.floor(Math.random() * 1000),
    namespace: 'default',
    logger,
  });
  const config = loadConfig({
    DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${databaseName}`,
    TEMPORAL_ADDRESS: devServer.address,
    DATA_DIR: dataDir,
    ADMIN_TOKEN: adminToken,
    SECRETS_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    ...env,
  });
  const bazaar = await startBazaar(config, logger);
  await upsertBootstrapAdminKey(bazaar.db, adminToken);

  /** Calls the API; throws on an error status. */
  async function call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    contentType = 'application/json',
  ) {
    const response = await bazaar.app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body:
        body === undefined
          ? undefined
          : body instanceof Uint8Array
            ? new Uint8Array(body)
            : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Publishes version 1.0.0 of a listing through review (with the agent's code, when given); returns the publisher's token. */
  async function publish(input: { slug: string; manifest: Record<string, unknown>; agentDir?: string }) {
    const publisher = (await call('POST', '/v1/orgs', adminToken, { name: `publisher-${input.slug}` })).apiKey
      .token;
    const reviewer = (
      await call('POST', '/v1/platform/keys', adminToken, { name: 'reviewer', role: 'reviewer' })
    ).token;
    await call('POST', '/v1/listings', publisher, { slug: input.slug, name: input.slug, category: 'bench' });
    const version = await call('POST', `/v1/listings/${input.slug}/versions`, publisher, input.manifest);
    if (input.agentDir) {
      const artifact = execFileSync('tar', ['-czf', '-', '-C', input.agentDir, '.']);
      await call(
        'PUT',
        `/v1/listings/${input.slug}/versions/1.0.0/artifact`,
        publisher,
        new Uint8Array(artifact),
        'application/gzip',
      );
    }
    const submitted = await call('POST', `/v1/listings/${input.slug}/versions/1.0.0/submit`, publisher);
    for (;;) {
      const state = await call('GET', `/v1/workflows/${submitted.workflowId}`, publisher);
      if (state.state?.phase === 'awaiting_review') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await call('POST', `/v1/reviews/${version.id}/decision`, reviewer, { decision: 'approve' });
    await bazaar.temporal.workflow.getHandle(submitted.workflowId).result();
    return publisher as string;
  }

  /** A new consumer organisation's admin token. */
  async function consumer(name: string) {
    return (await call('POST', '/v1/orgs', adminToken, { name })).apiKey.token as string;
  }

  return {
    bazaar,
    call,
    publish,
    consumer,
    async stop() {
      await bazaar.stop();
      await devServer.stop();
      const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
      await admin.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The p-th percentile of sorted numbers. */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
