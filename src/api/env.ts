import type { Context as TraceContext } from '@opentelemetry/api';
import type { NotifiedCache } from '../db/notified-cache.js';
import type { Principal } from '../domain/auth/principal.js';
import type { UsageEventBatcher } from '../domain/metering/usage-event-batcher.js';
import type { SearchCard } from '../domain/search/search-repository.js';
import type { SearchPage } from '../domain/search/search-result-cache.js';
import type { SearchService } from '../domain/search/search-service.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RequestSession } from '../services/console-sessions.js';
import type { ServiceDeps } from '../services/deps.js';

/** What the API's routes need: the use cases' dependencies, plus search and usage ingestion. */
export interface ApiDeps extends ServiceDeps {
  search: SearchService;
  /** Search pages this process answered, when search is cached (cleared by every catalog change). */
  searchResults?: NotifiedCache<SearchPage>;
  /** Listings' search cards this process read, when cached (each dropped when its listing changes). */
  searchCards?: NotifiedCache<SearchCard>;
  /** Batched ingestion of usage events reported over the API. */
  usage: UsageEventBatcher;
  /** Where the HTTP request histogram is recorded. */
  metrics: Metrics;
}

/** Hono's typing for Bazaar: per-request variables set by middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The process's logger: add requestLogFields(c) (request id, caller) to what is logged about a request. */
    logger: Logger;
    principal: Principal;
    /** The request's OpenTelemetry context (its server span), when tracing is on. */
    traceContext?: TraceContext;
    /** The console session the request came with (unset for a request made with an API key). */
    session?: RequestSession;
  };
}
