import type { Client } from '@temporalio/client';
import type { SecretStore } from '../adapters/secrets/secret-store.js';
import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import type { Principal } from '../domain/auth/principal.js';
import type { UsageEventBatcher } from '../domain/metering/usage-event-batcher.js';
import type { SearchService } from '../domain/search/search-service.js';
import type { Logger } from '../logger.js';
import type { RuntimeRouter } from '../runtime/runtime-router.js';

/** What the API's routes need: built once at start-up and shared. */
export interface ApiDeps {
  db: Db;
  temporal: Client;
  config: Config;
  logger: Logger;
  search: SearchService;
  secrets: SecretStore;
  runtime: RuntimeRouter;
  /** Batched ingestion of usage events reported over the API. */
  usage: UsageEventBatcher;
}

/** Hono's typing for Bazaar: per-request variables set by middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    principal: Principal;
  };
}
