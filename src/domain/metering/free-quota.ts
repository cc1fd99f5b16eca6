import type pg from 'pg';
import { recordEvent } from '../events/repository.js';
import type { UsageEvent } from './usage-events.js';

// Installations whose organisation has now used, this month, at least the free invocations their
// pricing grants for the listing (the same count the entitlement check uses: per organisation and
// listing). Events whose key exists already insert nothing (a unique index), so once per month.
const EXHAUSTED = `
SELECT i.id, i.org_id, i.listing_id, i.version_id, to_char(p.month, 'YYYY-MM') AS month,
       (m.pricing->>'freeInvocations')::bigint AS free
FROM unnest($1::uuid[], $2::date[]) AS p(installation_id, month)
JOIN installations i ON i.id = p.installation_id
JOIN usage_meters m ON m.installation_id = i.id
WHERE (m.pricing->>'freeInvocations')::bigint > 0
  AND (SELECT COALESCE(sum(u.invocations), 0) FROM usage_monthly u
        WHERE u.org_id = i.org_id AND u.listing_id = i.listing_id AND u.month = p.month)
      >= (m.pricing->>'freeInvocations')::bigint
ORDER BY i.id, p.month`;

/**
 * Records quota.free_exhausted (the organisation's free invocations of a listing for the month are
 * used up, once per month) for the installations and months these usage events touched, in the
 * transaction that recorded them.
 */
export async function recordFreeQuotaExhausted(tx: pg.PoolClient, events: UsageEvent[]): Promise<void> {
  const touched = new Map<string, [string, string]>();
  for (const event of events) {
    if (event.invocations <= 0) continue;
    const month = `${event.occurredAt.toISOString().slice(0, 7)}-01`;
    touched.set(`${event.installationId}:${month}`, [event.installationId, month]);
  }
  if (touched.size === 0) return;
  const pairs = [...touched.values()];
  const { rows } = await tx.query(EXHAUSTED, [pairs.map(([id]) => id), pairs.map(([, month]) => month)]);
  for (const row of rows) {
    await recordEvent(tx, {
      orgId: row.org_id,
      type: 'quota.free_exhausted',
      data: {
        installationId: row.id,
        listingId: row.listing_id,
        versionId: row.version_id,
        month: row.month,
        freeInvocations: Number(row.free),
      },
    });
  }
}
