import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { createActivities, type Activities } from './activities/index.js';
import { createEmbedder } from './adapters/embeddings/index.js';
import { createPayments } from './adapters/payments/index.js';
import { createSecretStore } from './adapters/secrets/create-secret-store.js';
import { PostgresSecretStore } from './adapters/secrets/postgres-secret-store.js';
import type { SecretStore } from './adapters/secrets/secret-store.js';
import { createApp } from './api/app.js';
import { createGateway, type Gateway } from './gateway/gateway-app.js';
import { serveGatewaySocket } from './gateway/serve-gateway.js';
import { NotifiedCache } from './db/notified-cache.js';
import { API_KEY_CHANGES_CHANNEL, type CachedKey } from './domain/auth/repository.js';
import {
  CATALOG_CHANGES_CHANNEL,
  ORG_LISTINGS_CHANGES_CHANNEL,
  type ListingPage,
} from './domain/catalog/repository.js';
import { webhookAddressPolicy } from './services/manage-webhooks.js';
import { resumeStalledInstallations } from './services/resume-stalled-installations.js';
import type { Config } from './config.js';
import { ensureDatabase, migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { UsageEventBatcher } from './domain/metering/usage-event-batcher.js';
import type { SearchCard } from './domain/search/search-repository.js';
import { cacheSearchResults, type SearchPage } from './domain/search/search-result-cache.js';
import { startSearch } from './domain/search/start-search.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics, type MetricsSources } from './observability/metrics.js';
import { serveMetrics } from './observability/metrics-server.js';
import type { RenderedJson } from './services/rendered-json.js';
import { startTracing, type Tracing } from './observability/tracing.js';
import { createKubernetesRuntimeDriver } from './runtime/kubernetes/create-kubernetes-runtime-driver.js';
import { LocalRuntimeDriver } from './runtime/local/local-runtime-driver.js';
import { createRemoteRuntimeDriver } from './runtime/remote/create-remote-runtime-driver.js';
import type { RuntimeDriver } from './runtime/runtime-driver.js';
import { RuntimeRouter } from './runtime/runtime-router.js';
import { registerBillingSchedule } from './temporal/billing-schedule.js';
import { createTemporalClient } from './temporal/client.js';
import { ensureSearchAttributes } from './temporal/search-attributes.js';
import { startReembedding } from './temporal/start-reembedding.js';
import { startWebhookDispatcher } from './temporal/webhook-dispatcher.js';
import { connectWorker, createWorker } from './temporal/worker.js';

// How long an installation may stay provisioning or deprovisioning before its workflow is started again.
const STALLED_INSTALLATION_MS = 120_000;

/** Parts a caller may supply instead of having them built from configuration (tests, benchmarks). */
export interface BazaarParts {
  secrets?: SecretStore;
  runtime?: RuntimeDriver;
  /** Replaces some real activities, e.g. to inject a failure at one step in a test. */
  activities?: (real: Activities) => Partial<Activities>;
}

/**
 * Starts Bazaar on a reachable PostgreSQL and Temporal: migrates the database, builds the secret
 * store, search and runtime driver, runs the worker, and returns the API app (not yet listening).
 * stop() undoes it all, newest first.
 */
export async function startBazaar(config: Config, logger: Logger, parts: BazaarParts = {}) {
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of stops.reverse())
      await step().catch((error) => logger.error({ err: error }, 'stop step failed'));
  };
  try {
    await ensureDatabase(config.databaseUrl);
    await migrate(config.databaseUrl, logger);
    const db = createPool(config.databaseUrl, logger);
    stops.push(() => db.end());
    const secrets = parts.secrets ?? (await createSecretStore({ config, db }));
    await rotateMasterKeyIfNeeded(secrets, logger);

    // One registry for whatever roles this process runs; its gauges read their sources when scraped.
    const metricsSources: MetricsSources = {};
    const metrics = createMetrics(metricsSources);
    // First of the Temporal pieces, so the client and worker interceptors have a tracer to use; its
    // stop step runs last, after the worker, flushing the last spans.
    // A worker's activities need the context across awaits (AsyncLocalStorage, which Temporal's worker
    // turns on for itself anyway); without one, contexts are handed explicitly and no promise pays.
    const tracing = config.tracing
      ? startTracing({
          endpoint: config.tracing.endpoint,
          serviceName: config.tracing.serviceName,
          contextManager: config.roles.includes('worker') ? 'async-local-storage' : 'synchronous',
        })
      : null;
    if (tracing) stops.push(() => tracing.shutdown());
    const { client: temporal, connection } = await createTemporalClient({
      ...config.temporal,
      metrics,
      tracing: tracing !== null,
    });
    stops.push(() => connection.close());
    await ensureSearchAttributes(connection, config.temporal.namespace, logger);

    // One embedder (the local model runs on its own thread) serves the worker's indexing and the API's queries.
    const embedder = createEmbedder({ openaiApiKey: config.openaiApiKey });
    stops.push(() => embedder.close());
    // The API's hot reads, cached in process and invalidated by PostgreSQL's announcements.
    const caches = config.roles.includes('api')
      ? {
          apiKeys: new NotifiedCache<CachedKey>({
            databaseUrl: config.databaseUrl,
            logger,
            channel: API_KEY_CHANGES_CHANNEL,
            ttlMs: 60_000,
            maxEntries: 50_000,
          }),
          catalogPages: new NotifiedCache<ListingPage>({
            databaseUrl: config.databaseUrl,
            logger,
            channel: CATALOG_CHANGES_CHANNEL,
            ttlMs: 30_000,
          }),
          // Any catalog change may move any listing into or out of any query's results: each clears it all.
          searchResults: new NotifiedCache<SearchPage>({
            databaseUrl: config.databaseUrl,
            logger,
            channel: CATALOG_CHANGES_CHANNEL,
            ttlMs: 30_000,
            maxEntries: 2_000,
            anyChangeClearsAll: true,
          }),
          // Each organisation's own listings, rendered, dropped when one of them changes.
          ownListings: new NotifiedCache<RenderedJson>({
            databaseUrl: config.databaseUrl,
            logger,
            channel: ORG_LISTINGS_CHANGES_CHANNEL,
            ttlMs: 30_000,
          }),
          // Each listing's search card (summary, stats, quality signals), dropped when it changes.
          searchCards: new NotifiedCache<SearchCard>({
            databaseUrl: config.databaseUrl,
            logger,
            channel: CATALOG_CHANGES_CHANNEL,
            ttlMs: 60_000,
            maxEntries: 20_000,
          }),
        }
      : {};
    const search = await startSearch({ config, db, logger, embedder, cards: caches.searchCards });
    stops.push(() => search.stop());
    metricsSources.searchIndexSize = () => search.index.size();

    // Installations' runtimes, by the version's runtime kind: process agents run in per-installation
    // sandbox directories under DATA_DIR (the local driver), container agents as Kubernetes Jobs
    // when configured, remote agents on their publisher's endpoint.
    const runtime = new RuntimeRouter({
      process:
        parts.runtime ??
        new LocalRuntimeDriver(join(config.dataDir, 'runtimes'), {
          socketPath: config.gateway.socketPath,
          port: config.gateway.port,
        }),
      container: config.kubernetes.enabled
        ? createKubernetesRuntimeDriver(config.kubernetes, config.gateway)
        : undefined,
      remote: await createRemoteRuntimeDriver({
        config: config.remoteAgents,
        db,
        secrets,
        gatewayUrl: config.gateway.publicUrl,
      }),
    });
    // Stripe when a secret key is configured; otherwise invoices live in PostgreSQL only.
    const payments = createPayments(config.billing.stripe);
    const real = createActivities({
      db,
      logger,
      metrics,
      embedder,
      secrets,
      runtime,
      payments,
      platformFeePercent: config.billing.platformFeePercent,
      remoteEndpoints: { policy: { allowPrivateNetworks: config.remoteAgents.allowPrivateNetworks } },
      webhooks: {
        policy: webhookAddressPolicy(config),
        // Node replaces its default roots with `ca`, so the extra CA is added to them, not swapped in.
        ca: config.webhooks.caFile
          ? [...rootCertificates, await readFile(config.webhooks.caFile, 'utf8')]
          : undefined,
        ...config.webhooks,
      },
    });
    const workerRun = config.roles.includes('worker')
      ? (await startWorker(config, { ...real, ...parts.activities?.(real) }, { metrics, tracing }, stops)).run
      : null;
    // The worker wakes endpoints' delivery workflows (LISTEN/NOTIFY, and a sweep for missed wake-ups).
    if (config.roles.includes('worker')) {
      const dispatcher = await startWebhookDispatcher({
        databaseUrl: config.databaseUrl,
        db,
        temporal,
        taskQueue: config.temporal.taskQueue,
        sweepIntervalMs: config.webhooks.sweepIntervalMs,
        logger,
      });
      stops.push(() => dispatcher.stop());
      // Installations whose workflow never started (an API killed between recording and starting).
      const resume = setInterval(() => {
        resumeStalledInstallations({ db, temporal, config }, { olderThanMs: STALLED_INSTALLATION_MS })
          .then((started) => started && logger.warn({ started }, 'started stalled installations’ workflows'))
          .catch((error: unknown) => logger.warn({ err: error }, 'could not resume stalled installations'));
      }, STALLED_INSTALLATION_MS / 2);
      resume.unref();
      stops.push(async () => clearInterval(resume));
    }
    await startReembedding({ db, temporal, taskQueue: config.temporal.taskQueue }, embedder.model);
    if (config.billing.schedule)
      await registerBillingSchedule(
        temporal,
        { taskQueue: config.temporal.taskQueue, batchSize: config.billing.batchSize },
        logger,
      );

    const usage = new UsageEventBatcher(db, metrics);
    for (const cache of Object.values(caches)) {
      await cache.start();
      stops.push(() => cache.stop());
    }
    // The vector index lags the database by a moment: a page computed meanwhile is dropped once it catches up.
    const searchResults = caches.searchResults;
    if (searchResults) search.sync.onApplied(() => searchResults.clear());
    // Pages are built from listings' cards: a page built with a card its cache is about to drop is dropped with it.
    if (searchResults) caches.searchCards.onForget(() => searchResults.clear());
    const app = createApp({
      db,
      temporal,
      config,
      logger,
      metrics,
      search: searchResults ? cacheSearchResults(search.search, searchResults) : search.search,
      secrets,
      runtime,
      usage,
      ...caches,
    });
    // The tool gateway: served on its own port by main.ts for role `gateway`, and by every worker on
    // the Unix socket its local sandboxes get bind-mounted (their only way out).
    let gateway: Gateway | null = null;
    if (config.roles.includes('gateway') || config.roles.includes('worker')) {
      // A pool of its own: agents' calls never wait behind the API's or the worker's queries, and its
      // writes (call counters, tool call records) commit without waiting for the disk flush. They
      // become durable with the WAL's next flush, at the latest with the run's own (durable) finish,
      // which is what bills them; a database crash mid-run may lose the last fraction of a second.
      const gatewayDb = createPool(asyncCommitUrl(config.databaseUrl), logger, 20);
      stops.push(() => gatewayDb.end());
      const built = createGateway({
        db: gatewayDb,
        secrets,
        logger,
        // Node replaces its default roots with `ca`, so the extra CA is added to them, not swapped in.
        upstreamCa: config.gateway.upstreamCaFile
          ? [...rootCertificates, await readFile(config.gateway.upstreamCaFile, 'utf8')]
          : undefined,
        journalDir: config.gateway.journalDir,
        testOnlyRecordDelayMs: config.gateway.testOnlyRecordDelayMs,
      });
      gateway = built;
      stops.push(() => built.close());
    }
    if (gateway && config.roles.includes('worker')) {
      const socket = await serveGatewaySocket(gateway.app, { socketPath: config.gateway.socketPath, logger });
      stops.push(() => socket.close());
    }
    // Its own port, never the API's: Prometheus scrapes it inside the cluster without a key.
    let metricsUrl: string | null = null;
    if (config.metricsPort !== undefined) {
      const served = await serveMetrics(metrics.registry, { port: config.metricsPort, logger });
      stops.push(() => new Promise((done) => served.server.close(done)));
      metricsUrl = served.url;
    }
    return { app, gateway, db, temporal, secrets, runtime, search, metrics, metricsUrl, workerRun, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The database URL with synchronous_commit off for every session opened on it. */
function asyncCommitUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', '-c synchronous_commit=off');
  return url.toString();
}

/** Starts the worker (stopped by stop()); `run` settles when it stops, and rejects if it fails. */
async function startWorker(
  config: Config,
  activities: Activities,
  observability: { metrics: Metrics; tracing: Tracing | null },
  stops: Array<() => Promise<unknown>>,
) {
  const workerConnection = await connectWorker(config.temporal);
  const worker = await createWorker({
    connection: workerConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities,
    ...observability,
  });
  const workerRun = worker.run();
  stops.push(async () => {
    worker.shutdown();
    await workerRun;
    await workerConnection.close();
  });
  // Wrapped: an async function returning the promise itself would wait for the worker to stop.
  return { run: workerRun };
}

// Key rotation: with older keys configured, re-wrap what they still wrap (idempotent, quick when done).
async function rotateMasterKeyIfNeeded(secrets: SecretStore, logger: Logger): Promise<void> {
  if (!(secrets instanceof PostgresSecretStore) || !secrets.hasPreviousKeys) return;
  const { rewrapped, failed } = await secrets.rotateMasterKey();
  logger.info({ rewrapped }, 'secret data keys re-wrapped under the current master key');
  if (failed.length > 0) {
    logger.error({ failed }, 'some secrets could not be re-wrapped; keep the old keys until they are fixed');
  }
}
