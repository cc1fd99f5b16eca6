import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { heartbeat } from '@temporalio/activity';
import type { SecretStore } from '../adapters/secrets/secret-store.js';
import type { Db } from '../db/pool.js';
import { activeSecrets } from '../domain/signing/rotating-secrets.js';
import { signatureHeaders } from '../domain/signing/standard-webhooks.js';
import {
  dueDeliveries,
  nextDueInMs,
  recordAttempt,
  type AttemptResult,
  type DueDelivery,
} from '../domain/webhooks/deliveries.js';
import { findEndpoint, webhookSecretName } from '../domain/webhooks/repository.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { callEndpoint } from '../runtime/remote/call-endpoint.js';
import {
  resolveEndpoint,
  type AddressPolicy,
  type ResolvedEndpoint,
} from '../runtime/remote/resolve-endpoint.js';

/** How webhooks are delivered (from configuration). */
export interface WebhookDeliveryConfig {
  policy: AddressPolicy;
  /** Certificate authorities to trust for endpoints (Node's defaults plus WEBHOOKS_CA_FILE), if any. */
  ca?: string[];
  retryScheduleMs: number[];
  disableAfterMs: number;
  attemptTimeoutMs: number;
  endpointConcurrency: number;
}

/** What the webhook activities need. */
export interface WebhookActivityDeps {
  db: Db;
  secrets: SecretStore;
  logger: Logger;
  metrics: Pick<Metrics, 'webhookDeliveries' | 'webhookAttemptDuration' | 'webhookEventToFirstAttempt'>;
  webhooks: WebhookDeliveryConfig;
}

/** What the delivery loop does next: stop (endpoint gone), wait for a wake-up, go on, or wait until a retry is due. */
export type DeliveryRound =
  { next: 'gone' } | { next: 'idle' } | { next: 'more' } | { next: 'later'; inMs: number };

const BATCH = 100;
// One activity call sends for at most this long, then hands back to the workflow (short histories, fresh config).
const ROUND_MS = 20_000;
const EXCERPT_CHARS = 1024;
const HEARTBEAT_EVERY_MS = 2000;
// Successful attempts being recorded at once while the next ones are sent (each holds a pooled connection).
const RECORDS_IN_FLIGHT = 4;

/** Promises run alongside the caller, at most `limit` at once; settle() waits for all and rethrows the first failure. */
class RecordingWindow {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;
  constructor(private readonly limit: number) {}

  /** Adds one (waiting first while `limit` are in flight); a failure is kept for settle(). */
  async add(work: Promise<void>): Promise<void> {
    const tracked: Promise<void> = work
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  /** Waits for everything added; throws the first failure, if any. */
  async settle(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }
}

/** The webhook delivery activities. */
export type WebhookActivities = ReturnType<typeof createWebhookActivities>;

/**
 * Builds the delivery activity. Each attempt is sent, then recorded; a worker killed in between
 * sends that delivery again on the activity's retry, with the same webhook-id (at least once).
 */
export function createWebhookActivities({ db, secrets, logger, metrics, webhooks }: WebhookActivityDeps) {
  async function attempt(
    endpointId: string,
    target: ResolvedEndpoint | { refused: string },
    signing: string[],
    delivery: DueDelivery,
    agent: HttpAgent,
  ): Promise<AttemptResult> {
    const attemptedAt = new Date();
    if (delivery.attempts === 0)
      metrics.webhookEventToFirstAttempt.observe(
        (attemptedAt.getTime() - delivery.occurredAt.getTime()) / 1000,
      );
    const base = { deliveryId: delivery.id, endpointId, attemptedAt };
    if ('refused' in target)
      return {
        ...base,
        succeeded: false,
        statusCode: null,
        latencyMs: 0,
        responseExcerpt: null,
        error: target.refused,
      };
    if (signing.length === 0)
      return {
        ...base,
        succeeded: false,
        statusCode: null,
        latencyMs: 0,
        responseExcerpt: null,
        error: 'the endpoint has no signing secret',
      };
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Bazaar-Webhooks/1',
      ...signatureHeaders({
        secrets: signing,
        id: delivery.eventId,
        timestamp: Math.floor(attemptedAt.getTime() / 1000),
        body: delivery.body,
      }),
    };
    const started = performance.now();
    const outcome = await callEndpoint({
      endpoint: target,
      headers,
      body: delivery.body,
      timeoutMs: webhooks.attemptTimeoutMs,
      maxResponseBytes: 64 * 1024,
      ca: webhooks.ca,
      agent,
    });
    const latencyMs = Math.round(performance.now() - started);
    metrics.webhookAttemptDuration.observe(latencyMs / 1000);
    const excerpt = (body?: Buffer) => (body?.length ? body.toString('utf8').slice(0, EXCERPT_CHARS) : null);
    if (outcome.kind === 'response')
      return {
        ...base,
        succeeded: true,
        statusCode: outcome.status,
        latencyMs,
        responseExcerpt: excerpt(outcome.body),
        error: null,
      };
    return {
      ...base,
      succeeded: false,
      statusCode: outcome.status ?? null,
      latencyMs,
      responseExcerpt: excerpt(outcome.body),
      error: outcome.reason.replaceAll("the publisher's endpoint", 'the endpoint'),
    };
  }

  return {
    /**
     * Sends the endpoint's due deliveries, oldest event first (up to endpointConcurrency at once),
     * for up to ROUND_MS, recording every attempt; answers when the loop should run again.
     */
    async deliverDueWebhooks({ endpointId }: { endpointId: string }): Promise<DeliveryRound> {
      const beat = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const started = Date.now();
        const inTime = () => Date.now() - started < ROUND_MS;
        for (;;) {
          const endpoint = await findEndpoint(db, endpointId, null);
          if (!endpoint) return { next: 'gone' };
          if (endpoint.status !== 'active') return { next: 'idle' };
          const due = await dueDeliveries(db, endpointId, BATCH);
          if (due.length > 0) {
            const signing = await activeSecrets(secrets, {
              orgId: endpoint.orgId,
              name: webhookSecretName(endpointId),
            });
            const target = await resolveEndpoint(endpoint.url, webhooks.policy).catch((error: Error) => ({
              refused: error.message.replaceAll('the remote endpoint', 'the webhook URL'),
            }));
            // Connections kept alive for this batch only: the next one resolves and checks the host again.
            const agentOptions = { keepAlive: true, maxSockets: webhooks.endpointConcurrency };
            const agent = endpoint.url.startsWith('http:')
              ? new HttpAgent(agentOptions)
              : new HttpsAgent({ ...agentOptions, ...(webhooks.ca ? { ca: webhooks.ca } : {}) });
            let index = 0;
            let disabled = false;
            const record = async (result: AttemptResult) => {
              const recorded = await recordAttempt(db, result, webhooks);
              if (recorded.outcome) metrics.webhookDeliveries.inc({ outcome: recorded.outcome });
              if (recorded.disabledEndpoint) {
                disabled = true;
                logger.warn({ endpointId }, 'webhook endpoint disabled after failing too long');
              }
            };
            // A success is recorded while the next delivery is sent (the order of sends is kept); a
            // worker killed before it is recorded sends it again, with the same webhook-id. A failure
            // is recorded before going on: it may disable the endpoint.
            const successes = new RecordingWindow(RECORDS_IN_FLIGHT);
            const lane = async () => {
              while (!disabled && index < due.length && inTime()) {
                const result = await attempt(endpointId, target, signing, due[index++]!, agent);
                if (result.succeeded) await successes.add(record(result));
                else {
                  // After the successes before it, so the endpoint's failure streak ends on the latest attempt.
                  await successes.settle();
                  await record(result);
                }
              }
            };
            await Promise.all(
              Array.from({ length: Math.min(webhooks.endpointConcurrency, due.length) }, lane),
            )
              .finally(() => successes.settle())
              .finally(() => agent.destroy());
            if (disabled) return { next: 'idle' };
            if (index < due.length) return { next: 'more' };
          }
          if (due.length < BATCH) break;
          if (!inTime()) return { next: 'more' };
        }
        const inMs = await nextDueInMs(db, endpointId);
        if (inMs === null) return { next: 'idle' };
        return inMs === 0 ? { next: 'more' } : { next: 'later', inMs };
      } finally {
        clearInterval(beat);
      }
    },
  };
}
