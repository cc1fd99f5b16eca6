import { z } from 'zod';
import type { Queryable } from '../../db/pool.js';
import type { UsageEvent } from './usage-events.js';

/** The most events one report may carry. */
export const MAX_EVENTS_PER_REPORT = 1000;

/** Clocks differ: events may be stamped this far outside their meter's window. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** One usage event a publisher's remote agent reports for an installation of one of its listings. */
export const publisherUsageEventSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .describe('Your unique id for this event: sending it again never counts it twice'),
  installationId: z.uuid(),
  occurredAt: z.iso.datetime({ offset: true }).optional().describe('Default: now'),
  invocations: z.number().int().min(0).max(1_000_000).default(1),
  tokensIn: z.number().int().min(0).max(1_000_000_000).default(0),
  tokensOut: z.number().int().min(0).max(1_000_000_000).default(0),
  durationMs: z.number().int().min(0).max(86_400_000).default(0),
});
export type PublisherUsageEvent = z.infer<typeof publisherUsageEventSchema>;

/** Why one reported event was refused. */
export interface RefusedEvent {
  index: number;
  id: string;
  problem: string;
}

// Each event's installation, whether the reporting publisher owns its listing, its meter's window,
// and the event's price under the installation's pricing snapshot (exact, by the shared formula).
const RESOLVE_EVENTS = `
SELECT x.ord::int AS ord, i.org_id, i.listing_id, (l.id IS NOT NULL) AS owned,
       m.opened_at, m.closed_at, COALESCE(m.pricing->>'currency', 'usd') AS currency,
       usage_cost(m.pricing, x.invocations, x.tokens)::text AS cost
FROM unnest($2::uuid[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS x(installation_id, invocations, tokens, ord)
LEFT JOIN installations i ON i.id = x.installation_id
LEFT JOIN listings l ON l.id = i.listing_id AND l.org_id = $1
LEFT JOIN usage_meters m ON m.installation_id = i.id
ORDER BY x.ord`;

/**
 * Turns a publisher's report into usage events priced from each installation's snapshot, or names
 * every event it refuses: an installation that is not of one of the publisher's listings (reported as
 * not found, like a missing one), one with no meter, or a time outside the meter's open window.
 */
export async function resolvePublisherEvents(
  db: Queryable,
  input: { publisherOrgId: string; events: PublisherUsageEvent[]; now?: Date },
): Promise<{ events: UsageEvent[]; refused: RefusedEvent[] }> {
  const now = input.now ?? new Date();
  const { rows } = await db.query(RESOLVE_EVENTS, [
    input.publisherOrgId,
    input.events.map((event) => event.installationId),
    input.events.map((event) => event.invocations),
    input.events.map((event) => event.tokensIn + event.tokensOut),
  ]);
  const events: UsageEvent[] = [];
  const refused: RefusedEvent[] = [];
  input.events.forEach((event, index) => {
    const row = rows[index];
    const refuse = (problem: string) => refused.push({ index, id: event.id, problem });
    const occurredAt = event.occurredAt ? new Date(event.occurredAt) : now;
    if (!row.owned) return refuse('installation not found among your listings’ installations');
    if (!row.opened_at) return refuse('the installation has no usage meter: it was never provisioned');
    if (occurredAt.getTime() > now.getTime() + CLOCK_SKEW_MS) return refuse('occurredAt is in the future');
    if (occurredAt.getTime() < row.opened_at.getTime() - CLOCK_SKEW_MS)
      return refuse('occurredAt is before the installation was provisioned');
    if (row.closed_at && occurredAt.getTime() > row.closed_at.getTime() + CLOCK_SKEW_MS)
      return refuse('occurredAt is after the installation was removed');
    events.push({
      eventId: `publisher:${row.listing_id}:${event.id}`,
      orgId: row.org_id,
      installationId: event.installationId,
      listingId: row.listing_id,
      executionId: null,
      invocations: event.invocations,
      tokensIn: event.tokensIn,
      tokensOut: event.tokensOut,
      durationMs: event.durationMs,
      cost: row.cost,
      currency: row.currency,
      occurredAt,
      source: 'publisher',
    });
  });
  return { events, refused };
}
