// Starts Bazaar in one process tree: (in local mode) the Temporal dev server as a child process, then
// migrations, the worker and the API. Ctrl-C (SIGINT) or SIGTERM stops everything in order.
import { join, resolve } from 'node:path';
import { listen } from './api/listen.js';
import { startBazaar } from './bazaar.js';
import { ConfigError, loadConfig } from './config.js';
import { upsertBootstrapAdminKey } from './domain/auth/repository.js';
import { resolveAdminToken } from './config/admin-token.js';
import { ensurePrivateDataDir } from './config/data-dir.js';
import { createLogger } from './logger.js';
import { startDevServer, type DevServer } from './temporal/dev-server.js';
import { installTemporalRuntimeLogger } from './temporal/runtime-logger.js';

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

  // Owner-only before anything is written into it (runtimes, secrets master key, Temporal's SQLite).
  if (!(await ensurePrivateDataDir(config.dataDir)))
    logger.warn({ dataDir: config.dataDir }, 'DATA_DIR belongs to another user: it could not be made 0700');
  let devServer: DevServer | null = null;
  if (config.temporal.startDevServer) {
    if (!config.temporal.cliPath)
      throw new ConfigError(
        'TEMPORAL_CLI_PATH: required to start the Temporal dev server (npm start sets it)',
      );
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

  const bazaar = await startBazaar(config, logger);
  cleanups.push(() => bazaar.stop());
  const admin = await resolveAdminToken({ adminToken: config.adminToken, dataDir: config.dataDir });
  await upsertBootstrapAdminKey(bazaar.db, admin.token);

  if (config.roles.includes('api')) {
    const server = await listen(bazaar.app, { port: config.port, hostname: '0.0.0.0', logger });
    cleanups.push(() => new Promise((done) => server.close(done)));
  }

  let gatewayLine: string | null = null;
  if (config.roles.includes('gateway') && bazaar.gateway) {
    const server = await listen(bazaar.gateway.app, {
      port: config.gateway.port,
      hostname: '0.0.0.0',
      logger,
    });
    cleanups.push(() => new Promise((done) => server.close(done)));
    gatewayLine = `  Tool gateway: http://localhost:${config.gateway.port}   (agents call it with their execution's token)`;
  }

  const api = `http://localhost:${config.port}`;
  const banner = config.roles.includes('api')
    ? [
        'Bazaar is running.',
        `  Console:      ${api}/   (sign in with an API key)`,
        `  API:          ${api}/v1`,
        `  API docs:     ${api}/docs   (OpenAPI: ${api}/openapi.json)`,
        `  Health:       ${api}/health`,
        `  Temporal UI:  ${devServer?.uiUrl ?? `(external Temporal at ${config.temporal.address})`}`,
        `  Admin token:  ${admin.source.startsWith('the ') ? admin.source : `in ${resolve(admin.source)}`}`,
      ]
    : [`Bazaar worker is running on task queue ${config.temporal.taskQueue} (${config.temporal.address}).`];
  if (gatewayLine) banner.push(gatewayLine);
  if (bazaar.metricsUrl)
    banner.push(`  Metrics:      ${bazaar.metricsUrl.replace('127.0.0.1', 'localhost')}`);
  process.stdout.write(['', ...banner, 'Press Ctrl-C to stop.', ''].join('\n'));
  bazaar.workerRun?.catch((error: unknown) => {
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
