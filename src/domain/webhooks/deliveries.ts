import type { Db, Queryable } from '../../db/pool.js';
import { withTransaction } from '../../db/pool.js';
import { recordEvent } from '../events/repository.js';

/** A delivery due now, with the event it carries. */
export interface DueDelivery {
  id: string;
  eventId: string;
  attempts: number;
  /** The exact JSON body every attempt sends: `{id, type, occurredAt, orgId, data}`. */
  body: string;
  occurredAt: Date;
}

/** The endpoint's deliveries due now, in event order (oldest first). */
export async function dueDeliveries(
  db: Queryable,
  endpointId: string,
  limit: number,
): Promise<DueDelivery[]> {
  const { rows } = await db.query(
    `SELECT d.id, d.attempts, e.id AS event_id, e.type, e.occurred_at, e.org_id, e.data
     FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.endpoint_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= clock_timestamp()
     ORDER BY d.event_occurred_at, d.event_id
     LIMIT $2`,
    [endpointId, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event_id,
    attempts: row.attempts,
    occurredAt: row.occurred_at,
    body: JSON.stringify({
      id: row.event_id,
      type: row.type,
      occurredAt: (row.occurred_at as Date).toISOString(),
      orgId: row.org_id,
      data: row.data,
    }),
  }));
}

/** How long until the endpoint's next pending delivery is due (0: now), or null when none is pending. */
export async function nextDueInMs(db: Queryable, endpointId: string): Promise<number | null> {
  const { rows } = await db.query(
    `SELECT GREATEST(0, EXTRACT(EPOCH FROM min(next_attempt_at) - clock_timestamp()) * 1000)::float8 AS ms
     FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'`,
    [endpointId],
  );
  return rows[0].ms === null ? null : Math.ceil(rows[0].ms);
}

/** Endpoints (active) with a delivery due now: what the periodic sweep wakes. */
export async function endpointsWithDueDeliveries(db: Queryable, limit = 1000): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT DISTINCT d.endpoint_id FROM webhook_deliveries d
     JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.status = 'active'
     WHERE d.status = 'pending' AND d.next_attempt_at <= clock_timestamp()
     LIMIT $1`,
    [limit],
  );
  return rows.map((row) => row.endpoint_id);
}

/** What came of one attempt. */
export interface AttemptResult {
  deliveryId: string;
  endpointId: string;
  attemptedAt: Date;
  succeeded: boolean;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
}

/** What recording an attempt changed. */
export interface AttemptRecorded {
  /** succeeded, failed_retrying (another attempt is scheduled), failed_final; null: nothing recorded. */
  outcome: 'succeeded' | 'failed_retrying' | 'failed_final' | null;
  /** True when this failure made the endpoint disabled. */
  disabledEndpoint: boolean;
}

/**
 * Records an attempt and moves its delivery on (succeeded, or the next step of the retry schedule,
 * or failed when the schedule is spent), keeps the endpoint's failure streak, and disables the
 * endpoint, with a webhook.endpoint_disabled event, once the streak is disableAfterMs long. One
 * transaction; a delivery no longer pending (deleted, or finished by a concurrent attempt) records nothing.
 */
export async function recordAttempt(
  db: Db,
  result: AttemptResult,
  policy: { retryScheduleMs: number[]; disableAfterMs: number },
): Promise<AttemptRecorded> {
  // The common case, a success, in one statement (atomic on its own): the delivery moves from
  // pending to succeeded, the attempt is recorded, and the endpoint's failure streak ends.
  if (result.succeeded) {
    const { rows } = await db.query(
      `WITH moved AS (
         UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1,
           schedule_step = schedule_step + 1, next_attempt_at = NULL, last_status_code = $3,
           last_error = NULL, updated_at = clock_timestamp()
         WHERE id = $1 AND status = 'pending' RETURNING id
       ), attempt AS (
         INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, response_excerpt)
         SELECT id, $4, $3, $5, $6 FROM moved
       ), streak AS (
         UPDATE webhook_endpoints SET failing_since = NULL
         WHERE id = $2 AND failing_since IS NOT NULL AND EXISTS (SELECT 1 FROM moved)
       )
       SELECT count(*)::int AS n FROM moved`,
      [
        result.deliveryId,
        result.endpointId,
        result.statusCode,
        result.attemptedAt,
        result.latencyMs,
        result.responseExcerpt,
      ],
    );
    return { outcome: rows[0].n > 0 ? 'succeeded' : null, disabledEndpoint: false };
  }
  // A failure: the next step of the schedule (or failed), and perhaps the endpoint disabled.
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query(
      `SELECT schedule_step FROM webhook_deliveries WHERE id = $1 AND status = 'pending' FOR UPDATE`,
      [result.deliveryId],
    );
    if (!rows[0]) return { outcome: null, disabledEndpoint: false };
    const step = rows[0].schedule_step + 1;
    const retryInMs = policy.retryScheduleMs[step];
    const nextAt = retryInMs === undefined ? null : new Date(result.attemptedAt.getTime() + retryInMs);
    const status = nextAt ? 'pending' : 'failed';
    await tx.query(
      `INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error, next_retry_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        result.deliveryId,
        result.attemptedAt,
        result.statusCode,
        result.latencyMs,
        result.responseExcerpt,
        result.error,
        nextAt,
      ],
    );
    await tx.query(
      `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, schedule_step = $3,
         next_attempt_at = $4, last_status_code = $5, last_error = $6, updated_at = clock_timestamp()
       WHERE id = $1`,
      [result.deliveryId, status, step, nextAt, result.statusCode, result.error],
    );
    const outcome = nextAt ? 'failed_retrying' : 'failed_final';
    const reason = `every attempt has failed since %s (the last: ${result.error ?? 'no answer'})`;
    await tx.query('UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1', [
      result.endpointId,
      result.attemptedAt,
    ]);
    const { rows: disabled } = await tx.query(
      `UPDATE webhook_endpoints SET status = 'disabled', disabled_at = clock_timestamp(),
         disabled_reason = replace($3, '%s', to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
         updated_at = clock_timestamp()
       WHERE id = $1 AND status = 'active'
         AND failing_since <= $2::timestamptz - make_interval(secs => $4::float8 / 1000)
       RETURNING id, org_id, disabled_reason`,
      [result.endpointId, result.attemptedAt, reason.slice(0, 900), policy.disableAfterMs],
    );
    if (disabled[0]) {
      await recordEvent(tx, {
        orgId: disabled[0].org_id,
        type: 'webhook.endpoint_disabled',
        data: { endpointId: disabled[0].id, reason: disabled[0].disabled_reason },
      });
    }
    return { outcome, disabledEndpoint: Boolean(disabled[0]) };
  });
}
