// A monthly billing run over many usage events: `billing:<YYYY-MM>` with one child workflow per
// tenant, on a fresh database and Temporal dev server (no Stripe). Target: 1M events, 1k tenants ≤ 10 s.
// Run: npx tsx bench/billing.bench.ts [--tenants=1000] [--events=1000000] [--listings=20] [--concurrency=50]
import { parseArgs } from 'node:util';
import { buildTenantInvoices } from '../src/domain/billing/build-invoices.js';
import { previousPeriod } from '../src/domain/billing/period.js';
import { monthlyBilling } from '../src/workflows/billing.js';
import { seedActiveInstallations, seedOrg, seedOrgs, seedPublishedListings } from '../test/support/seed.js';
import { startBenchBazaar } from './bench-bazaar.js';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1000' },
    events: { type: 'string', default: '1000000' },
    listings: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '50' },
  },
});
const tenants = Number(values.tenants);
const events = Number(values.events);
const listings = Number(values.listings);
const concurrency = Number(values.concurrency);
const period = previousPeriod(new Date());
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(2);

const bench = await startBenchBazaar({ BILLING_SCHEDULE: 'false' });
const { db, temporal } = bench;
try {
  let begin = performance.now();
  // Seeded in SQL: a publisher with usage-based listings (every other one with a free allowance) and a
  // subscription listing; each tenant installs two usage listings and the subscription; events are
  // spread over the tenants, listings and the whole month.
  const publisher = await seedOrg(db, 'bench publisher');
  const published = await seedPublishedListings(db, {
    publisherOrgId: publisher.id,
    listings: Array.from({ length: listings + 1 }, (_, n) => ({ slug: `bench-${n}`, name: `Bench ${n}` })),
    category: 'bench',
  });
  const subscription = { model: 'subscription', monthlyPrice: 49 };
  const withAllowance = {
    model: 'usage_based',
    pricePerInvocation: 0.002,
    pricePer1kTokens: 0.0004,
    freeInvocations: 100,
  };
  const withoutAllowance = { model: 'usage_based', pricePerInvocation: 0.003, pricePer1kTokens: 0.0006 };
  const openedAt = new Date(Date.parse(`${period}-01T00:00:00Z`) - 20 * 86_400_000);
  const orgIds = await seedOrgs(db, { count: tenants, namePrefix: 'tenant ' });
  await seedActiveInstallations(
    db,
    orgIds.flatMap((orgId, n) =>
      [0, 1, 2].map((k) => {
        const listingN = k === 2 ? listings : (n * 7 + k * 3) % listings;
        const pricing =
          listingN === listings ? subscription : listingN % 2 === 0 ? withAllowance : withoutAllowance;
        return { orgId, listing: published[listingN]!, pricing, openedAt };
      }),
    ),
  );
  await db.query(
    `WITH usage_installs AS (
       SELECT m.installation_id, m.org_id, m.listing_id, m.pricing,
              row_number() OVER (ORDER BY m.installation_id) - 1 AS n, count(*) OVER () AS total
       FROM usage_meters m WHERE m.pricing->>'model' = 'usage_based'
     )
     INSERT INTO usage_events (event_id, org_id, installation_id, listing_id, invocations, tokens_in, tokens_out,
                               cost, currency, occurred_at)
     SELECT 'bench-' || g, u.org_id, u.installation_id, u.listing_id, 1, 100 + g % 400, 50 + g % 200,
            (u.pricing->>'pricePerInvocation')::numeric
              + (150 + g % 400 + g % 200)::numeric / 1000 * (u.pricing->>'pricePer1kTokens')::numeric,
            'usd', $2::date + (g % 2592000) * interval '1 second'
     FROM generate_series(0, $1 - 1) AS g
     JOIN usage_installs u ON u.n = g % u.total`,
    [events, `${period}-01`],
  );
  // The monthly aggregates ingestion keeps in step with the events (as migration 006 backfills them):
  // what billing reads.
  await db.query(
    `INSERT INTO usage_monthly (org_id, installation_id, listing_id, month, currency, events, invocations, tokens_in,
                                tokens_out, duration_ms, cost)
     SELECT org_id, installation_id, listing_id, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date, currency,
            count(*), sum(invocations), sum(tokens_in), sum(tokens_out), sum(duration_ms), sum(cost)
     FROM usage_events
     GROUP BY 1, 2, 3, 4, 5`,
  );
  await db.query('VACUUM ANALYZE usage_events');
  await db.query('ANALYZE');
  console.log(`seeded ${events} events for ${tenants} tenants in ${seconds(begin)} s (period ${period})`);

  // The run as the schedule or POST /v1/billing-runs starts it.
  begin = performance.now();
  const result = await temporal.workflow.execute(monthlyBilling, {
    workflowId: `billing:${period}`,
    taskQueue: bench.config.temporal.taskQueue,
    args: [{ period, concurrency }],
  });
  const runSeconds = seconds(begin);
  const check = await db.query(
    `SELECT (SELECT count(*) FROM invoices)::int AS invoices, (SELECT count(*) FROM invoice_lines)::int AS lines,
            (SELECT count(*) FROM usage_monthly WHERE billed_events <> events)::int AS unbilled,
            (SELECT sum(amount_exact) FROM invoice_lines WHERE kind = 'usage')
              = (SELECT sum(cost) FROM usage_events) AS lines_match_events,
            (SELECT count(*) FROM invoices i WHERE total_minor <> (SELECT sum(amount_minor) FROM invoice_lines l
               WHERE l.invoice_id = i.id))::int AS bad_totals`,
  );
  console.log(
    `billing run: ${runSeconds} s for ${result.tenants} tenants (${JSON.stringify(check.rows[0])}), concurrency ${concurrency}`,
  );

  // The same work without Temporal: the per-tenant SQL alone, 8 tenants at a time, after undoing the run.
  await db.query(
    `UPDATE usage_monthly SET billed_events = 0, billed_invocations = 0, billed_tokens_in = 0, billed_tokens_out = 0,
       billed_cost = 0`,
  );
  await db.query('DELETE FROM billed_one_time_fees');
  await db.query('DELETE FROM invoice_lines');
  await db.query('DELETE FROM invoices');
  await db.query('VACUUM ANALYZE usage_monthly');
  const orgs = (await db.query(`SELECT id FROM organizations WHERE name LIKE 'tenant %'`)).rows.map(
    (r) => r.id,
  );
  begin = performance.now();
  const queue = [...orgs];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let orgId = queue.shift(); orgId; orgId = queue.shift())
        await buildTenantInvoices(db, { orgId, period, platformFeePercent: '20', finalize: true });
    }),
  );
  console.log(`invoice building alone (SQL, 8 connections): ${seconds(begin)} s`);
} finally {
  await bench.stop();
}
