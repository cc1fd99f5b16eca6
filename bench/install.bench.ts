// Installs per second and install→active latency with the local runtime driver, through the real API,
// Temporal dev server (in memory), PostgreSQL and secret store. Run: npx tsx bench/install.bench.ts
//   [--installs=200] [--concurrency=20]
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startBazaar } from '../src/bazaar.js';
import { loadConfig } from '../src/config.js';
import { upsertBootstrapAdminKey } from '../src/domain/auth/repository.js';
import { createLogger } from '../src/logger.js';
import { startDevServer } from '../src/temporal/dev-server.js';

const { values } = parseArgs({
  options: { installs: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '20' } },
});
const installs = Number(values.installs);
const concurrency = Number(values.concurrency);
const logger = createLogger('warn');
const cliPath = process.env.TEMPORAL_CLI_PATH ?? join(homedir(), '.cache/bazaar/temporal-v1.5.1/temporal');
const temporalPort = 17_233 + Math.floor(Math.random() * 1000);
const databaseName = `bazaar_bench_${Date.now()}`;
const dataDir = await mkdtemp(join(tmpdir(), 'bazaar-bench-'));
const adminToken = randomBytes(24).toString('base64url');

const devServer = await startDevServer({ cliPath, port: temporalPort, namespace: 'default', logger });
const config = loadConfig({
  DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${databaseName}`,
  TEMPORAL_ADDRESS: devServer.address,
  DATA_DIR: dataDir,
  ADMIN_TOKEN: adminToken,
  SECRETS_MASTER_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'warn',
});
const bazaar = await startBazaar(config, logger);
await upsertBootstrapAdminKey(bazaar.db, adminToken);

async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await bazaar.app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

try {
  // A published listing that needs one credential, and one consumer organisation holding it per install.
  const publisher = (await call('POST', '/v1/orgs', adminToken, { name: 'publisher' })).apiKey.token;
  const reviewer = (
    await call('POST', '/v1/platform/keys', adminToken, { name: 'reviewer', role: 'reviewer' })
  ).token;
  await call('POST', '/v1/listings', publisher, {
    slug: 'bench-agent',
    name: 'Bench agent',
    category: 'bench',
  });
  const version = await call('POST', '/v1/listings/bench-agent/versions', publisher, {
    version: '1.0.0',
    description: 'An agent to install many times',
    pricing: { model: 'usage_based', pricePerInvocation: 0.01 },
    requiredCredentials: [{ name: 'SHOP_API_KEY' }],
    runtime: { kind: 'process', command: ['node', 'main.js'] },
  });
  const submitted = await call('POST', '/v1/listings/bench-agent/versions/1.0.0/submit', publisher);
  for (;;) {
    const state = await call('GET', `/v1/workflows/${submitted.workflowId}`, publisher);
    if (state.state?.phase === 'awaiting_review') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await call('POST', `/v1/reviews/${version.id}/decision`, reviewer, { decision: 'approve' });
  await bazaar.temporal.workflow.getHandle(submitted.workflowId).result();

  const consumers: string[] = [];
  for (let i = 0; i < installs; i++) {
    const token = (await call('POST', '/v1/orgs', adminToken, { name: `consumer-${i}` })).apiKey.token;
    await call('PUT', '/v1/credentials/SHOP_API_KEY', token, { value: `secret-${i}` });
    consumers.push(token);
  }

  // Each install's latency is from just before its request to the moment PostgreSQL recorded it
  // active (same machine, same clock); waiting uses the workflow result, which adds no load.
  const requestedAt = new Map<string, number>();
  const acceptLatencies: number[] = [];
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < consumers.length) {
        const token = consumers[next++]!;
        const begin = Date.now();
        const { installationId, workflowId } = await call('POST', '/v1/installations', token, {
          listing: 'bench-agent',
        });
        acceptLatencies.push(Date.now() - begin);
        requestedAt.set(installationId, begin);
        const result = await bazaar.temporal.workflow.getHandle(workflowId).result();
        if (result.phase !== 'active') throw new Error(`install ended ${JSON.stringify(result)}`);
      }
    }),
  );
  const { rows } = await bazaar.db.query(
    `SELECT id, status, extract(epoch FROM updated_at) * 1000 AS active_at FROM installations WHERE id = ANY($1::uuid[])`,
    [[...requestedAt.keys()]],
  );
  if (rows.some((row) => row.status !== 'active')) throw new Error('an installation did not end active');
  const latencies = rows.map((row) => Number(row.active_at) - requestedAt.get(row.id)!).sort((a, b) => a - b);
  const lastActive = Math.max(...rows.map((row) => Number(row.active_at)));
  const seconds = (lastActive - started) / 1000;
  acceptLatencies.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      installs,
      concurrency,
      installsPerSecond: Number((installs / seconds).toFixed(1)),
      latencyMs: {
        p50: Math.round(percentile(latencies, 50)),
        p95: Math.round(percentile(latencies, 95)),
        max: Math.round(latencies.at(-1)!),
      },
      acceptMs: {
        p50: Math.round(percentile(acceptLatencies, 50)),
        p95: Math.round(percentile(acceptLatencies, 95)),
      },
    }),
  );
} finally {
  await bazaar.stop();
  await devServer.stop();
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
  await admin.end();
  await rm(dataDir, { recursive: true, force: true });
}
