import type pg from 'pg';
import { trimDecimal } from '../decimal.js';
import { recordEvent } from '../events/repository.js';
import type { UsageEvent } from './usage-events.js';

// The month's spend in the meter's currency against the installation's budget, for each threshold
// reached; events whose key exists already insert nothing (a unique index), so once per month.
const REACHED = `
SELECT i.id, i.org_id, i.listing_id, to_char(u.month, 'YYYY-MM') AS month, t.threshold,
       i.monthly_budget::text AS budget, u.cost::text AS spent, u.currency
FROM unnest($1::uuid[], $2::date[]) AS p(installation_id, month)
JOIN installations i ON i.id = p.installation_id
JOIN usage_meters m ON m.installation_id = i.id
JOIN usage_monthly u ON u.installation_id = i.id AND u.month = p.month
  AND u.currency = COALESCE(m.pricing->>'currency', 'usd')
CROSS JOIN (VALUES (80), (100)) AS t(threshold)
WHERE i.monthly_budget > 0 AND u.cost * 100 >= i.monthly_budget * t.threshold
ORDER BY i.id, u.month, t.threshold`;

/**
 * Records usage.budget_threshold (80 % and 100 % of an installation's monthly budget, once each per
 * month) for the installations and months these usage events touched, in the transaction that
 * recorded them.
 */
export async function recordBudgetThresholds(tx: pg.PoolClient, events: UsageEvent[]): Promise<void> {
  const touched = new Map<string, [string, string]>();
  for (const event of events) {
    const month = `${event.occurredAt.toISOString().slice(0, 7)}-01`;
    touched.set(`${event.installationId}:${month}`, [event.installationId, month]);
  }
  if (touched.size === 0) return;
  const pairs = [...touched.values()];
  const { rows } = await tx.query(REACHED, [pairs.map(([id]) => id), pairs.map(([, month]) => month)]);
  for (const row of rows) {
    await recordEvent(tx, {
      orgId: row.org_id,
      type: 'usage.budget_threshold',
      data: {
        installationId: row.id,
        listingId: row.listing_id,
        month: row.month,
        threshold: row.threshold,
        budget: trimDecimal(row.budget),
        spent: trimDecimal(row.spent),
        currency: row.currency,
      },
    });
  }
}
