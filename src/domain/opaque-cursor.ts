// Page cursors clients pass back untouched: base64url JSON carrying a fingerprint of what the cursor
// may continue (caller and filters), so a cursor reused with other filters is refused, not misread.
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** A short hash of everything a cursor is tied to (order-sensitive: normalise the parts first). */
export function fingerprintOf(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** Serialises a cursor's position, with its fingerprint, into an opaque URL-safe string. */
export function encodeOpaqueCursor(fingerprint: string, position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ v: 1, f: fingerprint, ...position }), 'utf8').toString('base64url');
}

const envelopeSchema = z.object({ v: z.literal(1), f: z.string().regex(/^[0-9a-f]{16}$/) });

/** Why a cursor was refused: not one Bazaar issued, or issued for other filters. */
export type CursorRefusal = 'malformed' | 'other_filters';

/** Parses a cursor's position against its schema and the expected fingerprint, or says why not. */
export function decodeOpaqueCursor<T extends z.ZodRawShape>(
  token: string,
  position: T,
  expectedFingerprint: string,
): { position: z.infer<z.ZodObject<T>> } | { refused: CursorRefusal } {
  let payload: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) return { refused: 'malformed' };
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return { refused: 'malformed' };
  }
  const envelope = envelopeSchema.safeParse(payload);
  const parsed = z.object(position).safeParse(payload);
  if (!envelope.success || !parsed.success) return { refused: 'malformed' };
  if (envelope.data.f !== expectedFingerprint) return { refused: 'other_filters' };
  return { position: parsed.data };
}
