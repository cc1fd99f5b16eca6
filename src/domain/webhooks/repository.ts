import type pg from 'pg';
import { z } from 'zod';
import type { Queryable } from '../../db/pool.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../events/repository.js';
import { decodeOpaqueCursor, encodeOpaqueCursor, fingerprintOf } from '../opaque-cursor.js';

/** The NOTIFY channel that wakes an endpoint's delivery loop; the payload is the endpoint id. */
export const WEBHOOK_WAKE_CHANNEL = 'webhook_deliveries';

/** The secret-store name of an endpoint's signing secrets, kept with its organisation's secrets. */
export function webhookSecretName(endpointId: string): string {
  return `bazaar-webhook-${endpointId}`;
}

/** A webhook endpoint as the API answers it: never its secret. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  status: 'active' | 'disabled';
  disabledReason: string | null;
  disabledAt: string | null;
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An endpoint with the organisation it belongs to (for the delivery loop). */
export type OwnedWebhookEndpoint = WebhookEndpoint & { orgId: string };

const iso = (value: Date | null) => (value ? value.toISOString() : null);

function toEndpoint(row: pg.QueryResultRow): OwnedWebhookEndpoint {
  return {
    id: row.id,
    orgId: row.org_id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    status: row.status,
    disabledReason: row.disabled_reason,
    disabledAt: iso(row.disabled_at),
    failingSince: iso(row.failing_since),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The endpoint without its organisation, as the API answers it. */
export function publicEndpoint({ orgId: _orgId, ...endpoint }: OwnedWebhookEndpoint): WebhookEndpoint {
  return endpoint;
}

/** Registers an endpoint (active). */
export async function insertEndpoint(
  db: Queryable,
  input: { orgId: string; url: string; eventTypes: string[]; description: string | null },
): Promise<OwnedWebhookEndpoint> {
  const { rows } = await db.query(
    `INSERT INTO webhook_endpoints (org_id, url, event_types, description) VALUES ($1, $2, $3, $4) RETURNING *`,
    [input.orgId, input.url, [...new Set(input.eventTypes)], input.description],
  );
  return toEndpoint(rows[0]);
}

/** One endpoint of the organisation (any organisation when orgId is null), or null. */
export async function findEndpoint(
  db: Queryable,
  id: string,
  orgId: string | null,
): Promise<OwnedWebhookEndpoint | null> {
  const { rows } = await db.query(
    'SELECT * FROM webhook_endpoints WHERE id = $1 AND ($2::uuid IS NULL OR org_id = $2)',
    [id, orgId],
  );
  return rows[0] ? toEndpoint(rows[0]) : null;
}

/** The organisation's endpoints, newest first. */
export async function listEndpoints(db: Queryable, orgId: string): Promise<OwnedWebhookEndpoint[]> {
  const { rows } = await db.query(
    'SELECT * FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at DESC, id DESC',
    [orgId],
  );
  return rows.map(toEndpoint);
}

/**
 * Changes an endpoint. Setting status `active` clears why it was disabled and its failure streak;
 * `disabled` records that an admin did it. Null when there is no such endpoint.
 */
export async function updateEndpoint(
  db: Queryable,
  input: {
    id: string;
    orgId: string;
    url?: string;
    eventTypes?: string[];
    description?: string | null;
    status?: 'active' | 'disabled';
  },
): Promise<OwnedWebhookEndpoint | null> {
  const { rows } = await db.query(
    `UPDATE webhook_endpoints SET
       url = COALESCE($3, url),
       event_types = COALESCE($4, event_types),
       description = CASE WHEN $5 THEN $6 ELSE description END,
       status = COALESCE($7, status),
       disabled_reason = CASE WHEN $7 = 'active' THEN NULL
                              WHEN $7 = 'disabled' AND status = 'active' THEN 'disabled by an admin'
                              ELSE disabled_reason END,
       disabled_at = CASE WHEN $7 = 'active' THEN NULL
                          WHEN $7 = 'disabled' AND status = 'active' THEN clock_timestamp()
                          ELSE disabled_at END,
       failing_since = CASE WHEN $7 = 'active' THEN NULL ELSE failing_since END,
       updated_at = clock_timestamp()
     WHERE id = $1 AND org_id = $2
     RETURNING *`,
    [
      input.id,
      input.orgId,
      input.url ?? null,
      input.eventTypes ? [...new Set(input.eventTypes)] : null,
      input.description !== undefined,
      input.description ?? null,
      input.status ?? null,
    ],
  );
  return rows[0] ? toEndpoint(rows[0]) : null;
}

/** Deletes an endpoint with its deliveries and attempts; false when there was none. */
export async function deleteEndpoint(db: Queryable, id: string, orgId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM webhook_endpoints WHERE id = $1 AND org_id = $2', [
    id,
    orgId,
  ]);
  return (rowCount ?? 0) > 0;
}

/** Wakes the endpoint's delivery loop once the transaction commits (NOTIFY is sent at commit). */
export async function wakeEndpoint(db: Queryable, endpointId: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [WEBHOOK_WAKE_CHANNEL, endpointId]);
}

/** A delivery's status. */
export const deliveryStatusSchema = z.enum(['pending', 'succeeded', 'failed']);

/** One attempt to send a delivery. */
export interface WebhookAttempt {
  attemptedAt: string;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
  nextRetryAt: string | null;
}

/** One event's delivery to one endpoint, with its attempts (newest first). */
export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  status: z.infer<typeof deliveryStatusSchema>;
  attemptCount: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  attempts: WebhookAttempt[];
}

const ATTEMPTS_SHOWN = 20;

function invalidCursor(message: string): AppError {
  return new AppError('invalid_request', message, [{ path: 'query.cursor', message }]);
}

/** An endpoint's deliveries, newest first, optionally of one status, a page after the cursor. */
export async function listDeliveries(
  db: Queryable,
  input: {
    endpointId: string;
    status?: z.infer<typeof deliveryStatusSchema>;
    cursor?: string;
    limit: number;
  },
): Promise<{ deliveries: WebhookDelivery[]; nextCursor: string | null }> {
  const fingerprint = fingerprintOf([input.endpointId, input.status ?? null]);
  let after: { t: string; i: string } | null = null;
  if (input.cursor) {
    const decoded = decodeOpaqueCursor(
      input.cursor,
      { t: z.iso.datetime({ offset: true, precision: 6 }), i: z.uuid() },
      fingerprint,
    );
    if ('refused' in decoded)
      throw invalidCursor(
        decoded.refused === 'malformed'
          ? 'cursor is malformed; pass back nextCursor exactly as received'
          : 'cursor belongs to different filters; start again without a cursor',
      );
    after = decoded.position;
  }
  const { rows } = await db.query(
    `SELECT d.*, to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position,
            COALESCE((SELECT json_agg(a ORDER BY a.attempted_at DESC) FROM (
               SELECT attempted_at, status_code, latency_ms, response_excerpt, error, next_retry_at
               FROM webhook_attempts WHERE delivery_id = d.id ORDER BY attempted_at DESC LIMIT ${ATTEMPTS_SHOWN}) a),
             '[]') AS attempt_list
     FROM webhook_deliveries d
     WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.status = $2)
       AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3::timestamptz, $4::uuid))
     ORDER BY d.created_at DESC, d.id DESC
     LIMIT $5`,
    [input.endpointId, input.status ?? null, after?.t ?? null, after?.i ?? null, input.limit + 1],
  );
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    deliveries: page.map((row) => ({
      id: row.id,
      eventId: row.event_id,
      eventType: row.event_type,
      status: row.status,
      attemptCount: row.attempts,
      lastStatusCode: row.last_status_code,
      lastError: row.last_error,
      nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
      createdAt: row.created_at.toISOString(),
      attempts: (row.attempt_list as pg.QueryResultRow[]).map((attempt) => ({
        attemptedAt: new Date(attempt.attempted_at).toISOString(),
        statusCode: attempt.status_code,
        latencyMs: attempt.latency_ms,
        responseExcerpt: attempt.response_excerpt,
        error: attempt.error,
        nextRetryAt: attempt.next_retry_at ? new Date(attempt.next_retry_at).toISOString() : null,
      })),
    })),
    nextCursor:
      rows.length > input.limit && last
        ? encodeOpaqueCursor(fingerprint, { t: last.position, i: last.id })
        : null,
  };
}

/**
 * Makes one delivery due now for one last attempt (a manual retry is one attempt, not a new
 * schedule). False when the endpoint has no such delivery.
 */
export async function retryDelivery(
  db: Queryable,
  input: { endpointId: string; deliveryId: string; lastStep: number },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = clock_timestamp(),
       schedule_step = $3, updated_at = clock_timestamp()
     WHERE id = $1 AND endpoint_id = $2`,
    [input.deliveryId, input.endpointId, input.lastStep],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Re-sends every event of the endpoint's types since a time: events it has a delivery for become
 * due again for one attempt, events it has none for (recorded while it was disabled, or before it
 * subscribed) get one. Answers how many events will be sent.
 */
export async function recoverDeliveries(
  db: Queryable,
  input: { endpoint: OwnedWebhookEndpoint; since: string; lastStep: number },
): Promise<number> {
  const { rows } = await db.query(
    `WITH wanted AS (
       SELECT id, org_id, type, occurred_at FROM events
       WHERE org_id = $1 AND occurred_at >= $2 AND type = ANY($3::text[])
     ), fresh AS (
       INSERT INTO webhook_deliveries (endpoint_id, event_id, org_id, event_type, event_occurred_at)
       SELECT $4, id, org_id, type, occurred_at FROM wanted
       ON CONFLICT (endpoint_id, event_id) DO NOTHING
       RETURNING event_id
     ), again AS (
       UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = clock_timestamp(),
         schedule_step = $5, updated_at = clock_timestamp()
       FROM wanted w WHERE d.endpoint_id = $4 AND d.event_id = w.id
       RETURNING d.event_id
     )
     SELECT (SELECT count(*) FROM fresh) + (SELECT count(*) FROM again) AS n`,
    [input.endpoint.orgId, input.since, input.endpoint.eventTypes, input.endpoint.id, input.lastStep],
  );
  return Number(rows[0].n);
}

/** Records a webhook.test event and its one delivery, to this endpoint only; answers the event id. */
export async function insertTestEvent(tx: pg.PoolClient, endpoint: OwnedWebhookEndpoint): Promise<string> {
  const eventId = await recordEvent(tx, {
    orgId: endpoint.orgId,
    type: 'webhook.test',
    data: { endpointId: endpoint.id, message: 'a test event sent on request' },
  });
  await tx.query(
    `INSERT INTO webhook_deliveries (endpoint_id, event_id, org_id, event_type, event_occurred_at)
     SELECT $1, id, org_id, type, occurred_at FROM events WHERE id = $2`,
    [endpoint.id, eventId],
  );
  await wakeEndpoint(tx, endpoint.id);
  return eventId!;
}
