import type { Context as TraceContext } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import type { SecretStore } from '../adapters/secrets/secret-store.js';
import type { Config } from '../config.js';
import type { NotifiedCache } from '../db/notified-cache.js';
import type { CachedKey } from '../domain/auth/repository.js';
import type { ListingPage } from '../domain/catalog/repository.js';
import type { Db } from '../db/pool.js';
import type { Logger } from '../logger.js';
import type { RuntimeRouter } from '../runtime/runtime-router.js';
import type { RenderedJson } from './rendered-json.js';
import type { StartWorkflowDeps } from '../temporal/start-workflow.js';

/** What the use cases need: built once at start-up and shared by the API (and so the console and CLI). */
export interface ServiceDeps {
  db: Db;
  temporal: Client;
  config: Config;
  logger: Logger;
  secrets: SecretStore;
  runtime: RuntimeRouter;
  /** The API keys this process authenticated (absent: every request reads PostgreSQL). */
  apiKeys?: NotifiedCache<CachedKey>;
  /** Public listings' pages this process read (absent: every request reads PostgreSQL). */
  catalogPages?: NotifiedCache<ListingPage>;
  /** Organisations' own listings, serialised, this process read (absent: every request reads PostgreSQL). */
  ownListings?: NotifiedCache<RenderedJson>;
  /** The OpenTelemetry context of the request being served, for the Temporal calls it makes (see withRequestTrace). */
  traceContext?: TraceContext;
}

/** The part of the dependencies that starts workflows. */
export function workflowStarter(deps: ServiceDeps): StartWorkflowDeps {
  return {
    db: deps.db,
    temporal: deps.temporal,
    taskQueue: deps.config.temporal.taskQueue,
    traceContext: deps.traceContext,
  };
}
