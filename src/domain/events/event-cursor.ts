import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors.js';

/** Position after the last event of a page, in the (occurred_at desc, id desc) order. */
export interface EventCursor {
  /** The event's time with PostgreSQL's microseconds, as text (a JS Date would lose them). */
  afterTime: string;
  afterId: string;
}

const cursorPayloadSchema = z.object({
  v: z.literal(1),
  f: z.string().regex(/^[0-9a-f]{16}$/),
  t: z.iso.datetime({ offset: true, precision: 6 }),
  i: z.uuid(),
});

/**
 * Identifies what a cursor may continue: the organisation and every filter. Page size is left out so
 * a client may change it between pages.
 */
export function eventsFingerprint(filters: {
  orgId: string;
  types?: readonly string[];
  from?: string;
  to?: string;
}): string {
  const canonical = JSON.stringify([
    filters.orgId,
    [...(filters.types ?? [])].sort(),
    filters.from ? new Date(filters.from).toISOString() : null,
    filters.to ? new Date(filters.to).toISOString() : null,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Serialises a cursor into an opaque URL-safe string. */
export function encodeEventCursor(cursor: EventCursor, fingerprint: string): string {
  const payload = { v: 1, f: fingerprint, t: cursor.afterTime, i: cursor.afterId };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** Parses a cursor issued for this fingerprint; anything else is a 400 naming `query.cursor`. */
export function decodeEventCursor(token: string, expectedFingerprint: string): EventCursor {
  let payload: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('not base64url');
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('cursor is malformed; pass back nextCursor exactly as received');
  }
  const parsed = cursorPayloadSchema.safeParse(payload);
  if (!parsed.success) throw invalidCursor('cursor is malformed; pass back nextCursor exactly as received');
  if (parsed.data.f !== expectedFingerprint) {
    throw invalidCursor('cursor belongs to different filters; start again without a cursor');
  }
  return { afterTime: parsed.data.t, afterId: parsed.data.i };
}

function invalidCursor(message: string): AppError {
  return new AppError('invalid_request', message, [{ path: 'query.cursor', message }]);
}
