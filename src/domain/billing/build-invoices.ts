import { withTransaction, type Db } from '../../db/pool.js';
import { periodStartDate } from './period.js';
import { recordInvoicesFinalized } from './repository.js';

/** An invoice as the billing workflow carries it: ids and totals, nothing else. */
export interface InvoiceRef {
  invoiceId: string;
  currency: string;
  totalMinor: string;
  status: 'draft' | 'final';
}

// A period's bounds from its first day (a date parameter): it ends at the start of the next month, UTC.
// The statements below take $1 org and $2 period start.
function bounds(start: string) {
  return `
  (${start}::date::timestamp AT TIME ZONE 'UTC') AS period_start_at,
  ((${start}::date + interval '1 month')::timestamp AT TIME ZONE 'UTC') AS period_end_at,
  (${start}::date + interval '1 month' - interval '1 day')::date AS last_day,
  extract(day FROM ${start}::date + interval '1 month' - interval '1 day')::int AS month_days`;
}
const BOUNDS = bounds('$2');

// Installations whose provisioning failed were never usable: no subscription or one-time fee.
const BILLABLE_METERS = `
  SELECT m.*, COALESCE(m.pricing->>'currency', 'usd') AS currency
  FROM usage_meters m JOIN installations i ON i.id = m.installation_id
  WHERE m.org_id = $1 AND i.status <> 'failed'`;

// The currencies this tenant owes anything in for the period: unbilled usage up to the period's
// month (late usage of earlier months included), subscriptions open during it, one-time fees unbilled.
const CURRENCIES = `
WITH b AS (SELECT ${BOUNDS}), meters AS (${BILLABLE_METERS})
SELECT DISTINCT currency FROM (
  SELECT u.currency FROM usage_monthly u
  WHERE u.org_id = $1 AND u.month <= $2::date AND u.events > u.billed_events
  UNION
  SELECT m.currency FROM meters m, b
  WHERE m.pricing->>'model' = 'subscription' AND m.opened_at < b.period_end_at
    AND (m.closed_at IS NULL OR m.closed_at > b.period_start_at)
  UNION
  SELECT m.currency FROM meters m, b
  WHERE m.pricing->>'model' = 'one_time' AND m.opened_at < b.period_end_at
    AND NOT EXISTS (SELECT 1 FROM billed_one_time_fees f WHERE f.installation_id = m.installation_id)
) c ORDER BY currency`;

// One statement: lock the tenant's monthly usage aggregates (up to the period's month) that hold
// unbilled usage in a currency invoiced now, write usage lines from what they hold beyond what was
// billed before, and move their billed amounts up to the locked sums; plus the free allowance,
// subscriptions and one-time fees. Every line's amount is rounded once, half away from zero, to
// minor units; the platform fee ($3 percent) is rounded the same way and the payout is the rest.
// The gateway's tool charges go on a 'tool_usage' line per listing and service period, all platform
// fee (the platform runs and prices the tools); the listing's usage line holds only its own price.
// The free allowance of late usage counts the invocations earlier invoices billed for the same
// listing and service period, so only what is left of it is granted.
const LINES = `
WITH b AS (SELECT ${BOUNDS}),
meters AS (${BILLABLE_METERS}),
inv AS (SELECT id, currency, currency_exponent FROM invoices WHERE org_id = $1 AND period = $2::date),
-- Locked, so usage recorded meanwhile waits and lands on top of what is billed here: the lines and
-- the billed amounts come from the same sums. Locked in the order ingestion locks them, so the two
-- never deadlock. A currency that appeared since the invoices were created stays for the next run.
locked AS (
  SELECT inv.id AS invoice_id, u.installation_id, u.month, u.currency, u.listing_id, u.events, u.invocations,
         u.tokens_in, u.tokens_out, u.cost, u.tool_cost, u.tool_tokens,
         u.invocations - u.billed_invocations AS new_invocations,
         (u.tokens_in - u.billed_tokens_in) + (u.tokens_out - u.billed_tokens_out) AS new_tokens,
         u.cost - u.billed_cost AS new_cost,
         u.tool_cost - u.billed_tool_cost AS new_tool_cost, u.tool_tokens - u.billed_tool_tokens AS new_tool_tokens
  FROM usage_monthly u JOIN inv ON inv.currency = u.currency
  WHERE u.org_id = $1 AND u.month <= $2::date AND u.events > u.billed_events
  ORDER BY u.installation_id, u.month, u.currency
  FOR UPDATE OF u
),
marked AS (
  UPDATE usage_monthly u SET billed_events = l.events, billed_invocations = l.invocations,
    billed_tokens_in = l.tokens_in, billed_tokens_out = l.tokens_out, billed_cost = l.cost,
    billed_tool_cost = l.tool_cost, billed_tool_tokens = l.tool_tokens
  FROM locked l
  WHERE u.installation_id = l.installation_id AND u.month = l.month AND u.currency = l.currency
),
-- Several installations of one listing add up to one line per listing and service month. The
-- gateway's tool charges (part of the cost) are the platform's: the listing's line holds the rest.
usage AS (
  SELECT invoice_id, listing_id, month AS service_period, sum(new_invocations) AS invocations,
         sum(new_tokens) AS tokens, sum(new_cost - new_tool_cost) AS amount, sum(new_tool_cost) AS tool_amount,
         sum(new_tool_tokens) AS tool_tokens
  FROM locked GROUP BY 1, 2, 3
),
allowance_terms AS (
  SELECT DISTINCT ON (listing_id, currency) listing_id, currency,
         (pricing->>'freeInvocations')::bigint AS free, (pricing->>'pricePerInvocation')::numeric AS price
  FROM meters
  WHERE pricing->>'model' = 'usage_based' AND COALESCE((pricing->>'freeInvocations')::bigint, 0) > 0
    AND COALESCE((pricing->>'pricePerInvocation')::numeric, 0) > 0
  ORDER BY listing_id, currency, opened_at DESC
),
billed_before AS (
  SELECT l.listing_id, i.currency, l.service_period, sum(l.invocations) AS invocations
  FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
  WHERE l.org_id = $1 AND l.kind IN ('usage', 'adjustment') AND i.period <> $2::date
  GROUP BY 1, 2, 3
),
allowance AS (
  SELECT u.invoice_id, u.listing_id, u.service_period, t.price,
         least(t.free, COALESCE(bb.invocations, 0) + u.invocations) - least(t.free, COALESCE(bb.invocations, 0))
           AS invocations
  FROM usage u
  JOIN inv ON inv.id = u.invoice_id
  JOIN allowance_terms t ON t.listing_id = u.listing_id AND t.currency = inv.currency
  LEFT JOIN billed_before bb
    ON bb.listing_id = u.listing_id AND bb.currency = inv.currency AND bb.service_period = u.service_period
),
subscriptions AS (
  SELECT inv.id AS invoice_id, m.listing_id, sum(d.days)::int AS days,
         sum((m.pricing->>'monthlyPrice')::numeric * d.days) AS price_days, max(b.month_days) AS month_days
  FROM meters m
  CROSS JOIN b
  CROSS JOIN LATERAL (
    SELECT least(COALESCE(((m.closed_at - interval '1 microsecond') AT TIME ZONE 'UTC')::date, b.last_day), b.last_day)
           - greatest((m.opened_at AT TIME ZONE 'UTC')::date, $2::date) + 1 AS days
  ) d
  JOIN inv ON inv.currency = m.currency
  WHERE m.pricing->>'model' = 'subscription' AND m.opened_at < b.period_end_at
    AND (m.closed_at IS NULL OR m.closed_at > b.period_start_at) AND d.days > 0
  GROUP BY 1, 2
),
one_time_new AS (
  INSERT INTO billed_one_time_fees (installation_id, invoice_id)
  SELECT m.installation_id, inv.id FROM meters m JOIN inv ON inv.currency = m.currency, b
  WHERE m.pricing->>'model' = 'one_time' AND m.opened_at < b.period_end_at
  ON CONFLICT (installation_id) DO NOTHING
  RETURNING installation_id, invoice_id
),
one_time AS (
  SELECT n.invoice_id, m.listing_id, date_trunc('month', m.opened_at AT TIME ZONE 'UTC')::date AS service_period,
         count(*) AS installations, sum((m.pricing->>'oneTimePrice')::numeric) AS amount
  FROM one_time_new n JOIN usage_meters m ON m.installation_id = n.installation_id
  GROUP BY 1, 2, 3
),
charges AS (
  SELECT invoice_id, listing_id, CASE WHEN service_period = $2::date THEN 'usage' ELSE 'adjustment' END AS kind,
         service_period, invocations, tokens, NULL::int AS days, amount AS numerator, 1 AS denominator
  FROM usage
  UNION ALL
  SELECT invoice_id, listing_id,
         CASE WHEN service_period = $2::date THEN 'free_allowance' ELSE 'adjustment_free_allowance' END,
         service_period, invocations, 0, NULL, -(invocations * price), 1
  FROM allowance WHERE invocations > 0
  UNION ALL
  SELECT invoice_id, listing_id, 'subscription', $2::date, 0, 0, days, price_days, month_days
  FROM subscriptions
  UNION ALL
  SELECT invoice_id, listing_id, 'one_time', service_period, installations, 0, NULL, amount, 1
  FROM one_time
  UNION ALL
  SELECT invoice_id, listing_id, 'tool_usage', service_period, 0, tool_tokens, NULL, tool_amount, 1
  FROM usage WHERE tool_amount <> 0
),
-- Rounded from the exact fraction (proration divides by the month's days), never from a rounded value.
priced AS (
  SELECT c.*, inv.currency, l.org_id AS publisher_org_id, l.name AS listing_name,
         round(c.numerator * (10::numeric ^ inv.currency_exponent) / c.denominator)::bigint AS amount_minor
  FROM charges c
  JOIN inv ON inv.id = c.invoice_id
  JOIN listings l ON l.id = c.listing_id
),
-- The platform operates and prices the gateway's tools: their whole line is its fee.
feed AS (
  SELECT p.*, CASE WHEN p.kind = 'tool_usage' THEN 100 ELSE $3::numeric END AS fee_percent,
         CASE WHEN p.kind = 'tool_usage' THEN p.amount_minor
              ELSE round(p.amount_minor * $3::numeric / 100)::bigint END AS fee_minor
  FROM priced p
)
INSERT INTO invoice_lines (invoice_id, org_id, listing_id, publisher_org_id, kind, service_period, description,
                           invocations, tokens, days, amount_exact, amount_minor, platform_fee_percent,
                           platform_fee_minor, payout_minor, idempotency_key)
SELECT f.invoice_id, $1, f.listing_id, f.publisher_org_id, f.kind, f.service_period,
       CASE f.kind
         WHEN 'usage' THEN format('%s: %s invocations, %s tokens', f.listing_name, f.invocations, f.tokens)
         WHEN 'adjustment' THEN format('%s: late usage of %s, %s invocations, %s tokens', f.listing_name,
                                       to_char(f.service_period, 'YYYY-MM'), f.invocations, f.tokens)
         WHEN 'free_allowance' THEN format('%s: %s free invocations', f.listing_name, f.invocations)
         WHEN 'adjustment_free_allowance' THEN format('%s: %s free invocations of %s', f.listing_name,
                                                      f.invocations, to_char(f.service_period, 'YYYY-MM'))
         WHEN 'subscription' THEN format('%s: subscription, %s of %s days', f.listing_name, f.days,
                                         f.denominator)
         WHEN 'tool_usage' THEN CASE WHEN f.service_period = $2::date
           THEN format('%s: gateway tool usage, %s tokens', f.listing_name, f.tokens)
           ELSE format('%s: gateway tool usage of %s, %s tokens', f.listing_name,
                       to_char(f.service_period, 'YYYY-MM'), f.tokens) END
         ELSE format('%s: one-time fee, %s installation(s)', f.listing_name, f.invocations)
       END,
       f.invocations, f.tokens, f.days, f.numerator / f.denominator, f.amount_minor, f.fee_percent, f.fee_minor,
       f.amount_minor - f.fee_minor,
       format('bazaar:%s:%s:%s:%s:%s:%s', $1, to_char($2::date, 'YYYY-MM'), f.currency, f.kind, f.listing_id,
              to_char(f.service_period, 'YYYY-MM'))
FROM feed f`;

// Totals every new invoice; $3 true marks them final too (no payment provider to sync them to first).
const TOTALS = `
UPDATE invoices i SET total_minor = COALESCE((SELECT sum(amount_minor) FROM invoice_lines l WHERE l.invoice_id = i.id), 0),
  status = CASE WHEN $3 THEN 'final' ELSE i.status END,
  finalized_at = CASE WHEN $3 THEN now() ELSE i.finalized_at END
WHERE i.org_id = $1 AND i.period = $2::date
RETURNING id, org_id, to_char(period, 'YYYY-MM') AS period, currency, total_minor::text, status`;

const toRef = (row: { id: string; currency: string; total_minor: string; status: 'draft' | 'final' }) => ({
  invoiceId: row.id,
  currency: row.currency,
  totalMinor: row.total_minor,
  status: row.status,
});

/**
 * Builds a tenant's invoices for a period (one per currency), once: when they exist already they are
 * returned unchanged, so re-running a period never bills anything twice. Everything happens in one
 * transaction under a per-tenant lock, so concurrent runs for the same tenant serialise. `finalize`
 * marks the new invoices final at once (when there is no payment provider to sync them to).
 */
export async function buildTenantInvoices(
  db: Db,
  input: { orgId: string; period: string; platformFeePercent: string; finalize: boolean },
): Promise<InvoiceRef[]> {
  const start = periodStartDate(input.period);
  return withTransaction(db, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('billing:' || $1, 0))`, [input.orgId]);
    const existing = await client.query(
      `SELECT id, currency, total_minor::text, status FROM invoices WHERE org_id = $1 AND period = $2::date
       ORDER BY currency`,
      [input.orgId, start],
    );
    if (existing.rows.length > 0) return existing.rows.map(toRef);

    // Named, so each connection plans these once: a run repeats them for every tenant, and planning
    // the lines statement costs more than running it.
    const currencies = (
      await client.query({ name: 'billing-currencies', text: CURRENCIES, values: [input.orgId, start] })
    ).rows.map((row) => row.currency);
    if (currencies.length === 0) return [];
    await client.query(
      `INSERT INTO invoices (org_id, period, currency, currency_exponent, total_minor)
       SELECT $1, $2::date, c, currency_exponent(c), 0 FROM unnest($3::text[]) AS c`,
      [input.orgId, start, currencies],
    );
    await client.query({
      name: 'billing-lines',
      text: LINES,
      values: [input.orgId, start, input.platformFeePercent],
    });
    const totals = await client.query({
      name: 'billing-totals',
      text: TOTALS,
      values: [input.orgId, start, input.finalize],
    });
    // Created in this transaction, so made final exactly once: each reports invoice.finalized.
    if (input.finalize) await recordInvoicesFinalized(client, totals.rows);
    return totals.rows.map(toRef).sort((a, b) => a.currency.localeCompare(b.currency));
  });
}

/**
 * The organisations with anything to bill for a period, in id order (set-based: one query); a page of
 * them when given the last id of the page before and a limit.
 */
export async function tenantsToBill(
  db: Db,
  period: string,
  page: { afterOrgId?: string; limit?: number } = {},
): Promise<string[]> {
  const start = periodStartDate(period);
  const { rows } = await db.query(
    `WITH b AS (SELECT ${bounds('$1')}),
     billable AS (
       SELECT u.org_id FROM usage_monthly u WHERE u.month <= $1::date AND u.events > u.billed_events
       UNION
       SELECT m.org_id FROM usage_meters m JOIN installations i ON i.id = m.installation_id, b
       WHERE i.status <> 'failed' AND m.opened_at < b.period_end_at AND (
         (m.pricing->>'model' = 'subscription' AND (m.closed_at IS NULL OR m.closed_at > b.period_start_at))
         OR (m.pricing->>'model' = 'one_time'
             AND NOT EXISTS (SELECT 1 FROM billed_one_time_fees f WHERE f.installation_id = m.installation_id)))
     )
     -- Tenants already invoiced for the period are done, unless an invoice is still a draft (its sync failed).
     SELECT org_id FROM (
       SELECT org_id FROM billable
       WHERE NOT EXISTS (SELECT 1 FROM invoices WHERE org_id = billable.org_id AND period = $1::date)
       UNION
       SELECT org_id FROM invoices WHERE period = $1::date AND status = 'draft'
     ) AS tenants
     WHERE $2::uuid IS NULL OR org_id > $2::uuid
     ORDER BY org_id
     LIMIT $3`,
    [start, page.afterOrgId ?? null, page.limit ?? null],
  );
  return rows.map((row) => row.org_id);
}
