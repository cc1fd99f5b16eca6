// Starts Bazaar in one process tree: (in local mode) the Temporal dev server as a child process, then
// migrations, the worker and the API. Ctrl-C (SIGINT) or SIGTERM stops everything in order.
import { join, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { serve } from '@hono/node-server';
import { createActivities } from './activities/index.js';
import { createSecretStore } from './adapters/secrets/create-secret-store.js';
import { PostgresSecretStore } from './adapters/secrets/postgres-secret-store.js';
import { createApp } from './api/app.js';
import { ConfigError, loadConfig } from './config.js';
import { ensureDatabase, migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { upsertBootstrapAdminKey } from './domain/auth/repository.js';
import { resolveAdminToken } from './local/admin-token.js';
import { createEmbedder } from './adapters/embeddings/index.js';
import { startSearch } from './domain/search/start-search.js';
import { createLogger } from './logger.js';
import { createTemporalClient } from './temporal/client.js';
import { startDevServer, type DevServer } from './temporal/dev-server.js';
import { installTemporalRuntimeLogger } from './temporal/runtime-logger.js';
import { ensureSearchAttributes } from './temporal/search-attributes.js';
import { connectWorker, createWorker } from './temporal/worker.js';
import { startReembedding } from './temporal/start-reembedding.js';

// Undo steps for what has started so far, run newest first on shutdown or on a failed start.
const cleanups: Array<() => Promise<unknown>> = [];

async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.reverse())
    await cleanup().catch((error) => console.error('shutdown step failed:', error));
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  installTemporalRuntimeLogger(logger);
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await runCleanups();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  let devServer: DevServer | null = null;
  if (config.temporal.startDevServer) {
    if (!config.temporal.cliPath)
      throw new ConfigError(
        'TEMPORAL_CLI_PATH: required to start the Temporal dev server (npm start sets it)',
      );
    await mkdir(config.dataDir, { recursive: true });
    const port = Number(config.temporal.address.split(':').at(-1));
    devServer = await startDevServer({
      cliPath: config.temporal.cliPath,
      port,
      uiPort: config.temporal.uiPort,
      dbFile: join(config.dataDir, 'temporal.sqlite'),
      namespace: config.temporal.namespace,
      logger,
    });
    const server = devServer;
    cleanups.push(() => server.stop());
  }

  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl, logger);
  const db = createPool(config.databaseUrl);
  cleanups.push(() => db.end());
  const admin = await resolveAdminToken({ adminToken: config.adminToken, dataDir: config.dataDir });
  await upsertBootstrapAdminKey(db, admin.token);
  const secrets = await createSecretStore({ config, db });
  // Key rotation: with older keys configured, re-wrap what they still wrap (idempotent, quick when done).
  if (secrets instanceof PostgresSecretStore && secrets.hasPreviousKeys) {
    const { rewrapped, failed } = await secrets.rotateMasterKey();
    logger.info({ rewrapped }, 'secret data keys re-wrapped under the current master key');
    if (failed.length > 0)
      logger.error(
        { failed },
        'some secrets could not be re-wrapped; keep the old keys until they are fixed',
      );
  }

  const { client: temporal, connection } = await createTemporalClient(config.temporal);
  cleanups.push(() => connection.close());
  await ensureSearchAttributes(connection, config.temporal.namespace);

  // One embedder (the local model runs on its own thread) serves the worker's indexing and the API's queries.
  const embedder = createEmbedder({ openaiApiKey: config.openaiApiKey });
  cleanups.push(() => embedder.close());
  const search = await startSearch({ config, db, logger, embedder });
  cleanups.push(() => search.stop());

  const workerConnection = await connectWorker(config.temporal.address);
  const worker = await createWorker({
    connection: workerConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({ db, logger, embedder }),
  });
  const workerRun = worker.run();
  cleanups.push(async () => {
    worker.shutdown();
    await workerRun;
    await workerConnection.close();
  });

  await startReembedding(temporal, config.temporal.taskQueue, embedder.model);

  const app = createApp({ db, temporal, config, logger, search: search.search, secrets });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: '0.0.0.0' });
  cleanups.push(() => new Promise((done) => server.close(done)));

  const api = `http://localhost:${config.port}`;
  process.stdout.write(
    [
      '',
      'Bazaar is running.',
      `  API:          ${api}/v1`,
      `  API docs:     ${api}/docs   (OpenAPI: ${api}/openapi.json)`,
      `  Health:       ${api}/health`,
      `  Temporal UI:  ${devServer?.uiUrl ?? `(external Temporal at ${config.temporal.address})`}`,
      `  Admin token:  ${admin.source.startsWith('the ') ? admin.source : `in ${resolve(admin.source)}`}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  workerRun.catch((error) => {
    logger.fatal({ err: error }, 'worker stopped unexpectedly');
    void shutdown('worker-failure');
  });
}

main().catch(async (error) => {
  await runCleanups();
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `Bazaar failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
