import { z } from 'zod';
import { AppError } from '../errors.js';
import { decodeOpaqueCursor, encodeOpaqueCursor, fingerprintOf } from '../opaque-cursor.js';

/** Position after the last event of a page, in the (occurred_at desc, id desc) order. */
export interface EventCursor {
  /** The event's time with PostgreSQL's microseconds, as text (a JS Date would lose them). */
  afterTime: string;
  afterId: string;
}

const positionShape = {
  t: z.iso.datetime({ offset: true, precision: 6 }),
  i: z.uuid(),
};

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
  return fingerprintOf([
    filters.orgId,
    [...(filters.types ?? [])].sort(),
    filters.from ? new Date(filters.from).toISOString() : null,
    filters.to ? new Date(filters.to).toISOString() : null,
  ]);
}

/** Serialises a cursor into an opaque URL-safe string. */
export function encodeEventCursor(cursor: EventCursor, fingerprint: string): string {
  return encodeOpaqueCursor(fingerprint, { t: cursor.afterTime, i: cursor.afterId });
}

/** Parses a cursor issued for this fingerprint; anything else is a 400 naming `query.cursor`. */
export function decodeEventCursor(token: string, expectedFingerprint: string): EventCursor {
  const decoded = decodeOpaqueCursor(token, positionShape, expectedFingerprint);
  if ('refused' in decoded) {
    throw invalidCursor(
      decoded.refused === 'malformed'
        ? 'cursor is malformed; pass back nextCursor exactly as received'
        : 'cursor belongs to different filters; start again without a cursor',
    );
  }
  return { afterTime: decoded.position.t, afterId: decoded.position.i };
}

function invalidCursor(message: string): AppError {
  return new AppError('invalid_request', message, [{ path: 'query.cursor', message }]);
}
