import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { KeyedHistogram } from './keyed-histogram.js';

/** Bazaar's Prometheus metrics: one registry per Bazaar (API and worker in one process share it). */
export type Metrics = ReturnType<typeof createMetrics>;

/** Where the gauges read what they report when scraped. */
export interface MetricsSources {
  /** Number of vectors in the search index (the in-process index, or Qdrant's count). */
  searchIndexSize?: () => Promise<number>;
}

/**
 * Builds the registry: Node's process metrics plus Bazaar's own, every name prefixed `bazaar_` and
 * carrying its unit. Labels take bounded values only (route templates, workflow and activity types,
 * statuses), never ids.
 */
export function createMetrics(sources: MetricsSources = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bazaar_' });
  const registers = [registry];
  return {
    registry,
    // Observed on every request: keyed by `method route status` (see src/api/middleware/http-metrics.ts).
    httpRequestDuration: new KeyedHistogram(
      'bazaar_http_request_duration_seconds',
      'API requests by method, route template and status, with their latency',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    ),
    workflowStarts: new Counter({
      name: 'bazaar_workflow_starts_total',
      help: 'Workflows this process started (not counting "already started"), by workflow type',
      labelNames: ['type'] as const,
      registers,
    }),
    workflowOutcomes: new Counter({
      name: 'bazaar_workflow_outcomes_total',
      help: 'Workflow runs this worker saw end, by type and outcome (completed, failed, cancelled, continued_as_new)',
      labelNames: ['type', 'outcome'] as const,
      registers,
    }),
    activityDuration: new Histogram({
      name: 'bazaar_activity_duration_seconds',
      help: 'Activity attempts this worker ran, by activity, with their duration',
      labelNames: ['activity'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    }),
    activityFailures: new Counter({
      name: 'bazaar_activity_failures_total',
      help: 'Failed activity attempts, by activity and failure type (the ApplicationFailure type, else the error name)',
      labelNames: ['activity', 'type'] as const,
      registers,
    }),
    executions: new Counter({
      name: 'bazaar_executions_total',
      help: 'Executions that reached a terminal state, by status and runtime kind',
      labelNames: ['status', 'runtime'] as const,
      registers,
    }),
    usageEventsIngested: new Counter({
      name: 'bazaar_usage_events_ingested_total',
      help: 'Usage events reported over the API and committed, by result (accepted, duplicate)',
      labelNames: ['result'] as const,
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'bazaar_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by outcome (succeeded, failed_retrying, failed_final, refused)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    webhookAttemptDuration: new Histogram({
      name: 'bazaar_webhook_attempt_duration_seconds',
      help: 'Webhook delivery attempts, from sending the request to the end of the answer (or the failure)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers,
    }),
    webhookEventToFirstAttempt: new Histogram({
      name: 'bazaar_webhook_event_to_first_attempt_seconds',
      help: 'From an event being recorded to the first attempt to deliver it to an endpoint',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    searchIndexVectors: new Gauge({
      name: 'bazaar_search_index_vectors',
      help: 'Vectors in the search index',
      registers,
      async collect() {
        // An index that cannot answer (Qdrant down) keeps the last value rather than failing the scrape.
        const size = await sources.searchIndexSize?.().catch(() => undefined);
        if (size !== undefined) this.set(size);
      },
    }),
  };
}
