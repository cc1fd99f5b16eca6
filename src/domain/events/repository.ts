import type pg from 'pg';
import type { Queryable } from '../../db/pool.js';
import { decodeEventCursor, encodeEventCursor, eventsFingerprint } from './event-cursor.js';
import { eventDataSchemas, type EventData, type EventType } from './event-types.js';

/** One event of an organisation's log, as the API answers it. */
export interface StoredEvent {
  id: string;
  type: EventType;
  occurredAt: string;
  data: Record<string, unknown>;
}

/**
 * Appends one event to the organisation's log. Takes the client of the transaction that makes the
 * change the event reports (never the pool), so the event exists exactly when the change committed;
 * call it only when that transaction's guarded update took effect, so a retry records nothing.
 * The payload is checked against its type's strict schema: ids and names only, never secrets.
 * Answers the new event's id, or null when a once-only event existed already.
 */
export async function recordEvent<T extends EventType>(
  tx: pg.PoolClient,
  input: { orgId: string; type: T; data: EventData<T> },
): Promise<string | null> {
  const data = eventDataSchemas[input.type].parse(input.data);
  // A type recorded once per key (a unique index, e.g. budget thresholds) inserts nothing the second time.
  const { rows } = await tx.query(
    'INSERT INTO events (org_id, type, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id',
    [input.orgId, input.type, JSON.stringify(data)],
  );
  return rows[0]?.id ?? null;
}

/**
 * An organisation's events, newest first, filtered by type and by time within [from, to), a page
 * after the opaque cursor; nextCursor is null on the last page.
 */
export async function listEvents(
  db: Queryable,
  input: { orgId: string; types?: EventType[]; from?: string; to?: string; cursor?: string; limit: number },
): Promise<{ events: StoredEvent[]; nextCursor: string | null }> {
  const fingerprint = eventsFingerprint(input);
  const after = input.cursor ? decodeEventCursor(input.cursor, fingerprint) : null;
  const { rows } = await db.query(
    `SELECT id, type, occurred_at, data,
            to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position
     FROM events
     WHERE org_id = $1
       AND ($2::text[] IS NULL OR type = ANY($2::text[]))
       AND ($3::timestamptz IS NULL OR occurred_at >= $3)
       AND ($4::timestamptz IS NULL OR occurred_at < $4)
       AND ($5::timestamptz IS NULL OR (occurred_at, id) < ($5::timestamptz, $6::uuid))
     ORDER BY occurred_at DESC, id DESC
     LIMIT $7`,
    [
      input.orgId,
      input.types?.length ? input.types : null,
      input.from ?? null,
      input.to ?? null,
      after?.afterTime ?? null,
      after?.afterId ?? null,
      input.limit + 1,
    ],
  );
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    events: page.map((row) => ({
      id: row.id,
      type: row.type,
      occurredAt: (row.occurred_at as Date).toISOString(),
      data: row.data,
    })),
    nextCursor:
      rows.length > input.limit && last
        ? encodeEventCursor({ afterTime: last.position, afterId: last.id }, fingerprint)
        : null,
  };
}
