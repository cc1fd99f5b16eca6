// A monthly billing run over many usage events: `billing:<YYYY-MM>` with one child workflow per batch
// of tenants, on a fresh database and Temporal dev server (Stripe: stripe-mock with --stripe).
// Targets: 1M events of 1k tenants ≤ 10 s; 1M events of 10k tenants ≤ 60 s with bounded histories.
// Run: npx tsx bench/billing.bench.ts [--tenants=1000] [--events=1000000] [--listings=20]
//        [--batch-size=100] [--concurrency=10] [--stripe]
import { parseArgs } from 'node:util';
import { DEFAULT_BILLING_BATCH_SIZE } from '../src/domain/billing/batches.js';
import { buildTenantInvoices } from '../src/domain/billing/build-invoices.js';
import { previousPeriod } from '../src/domain/billing/period.js';
import { monthlyBilling } from '../src/workflows/billing.js';
import { seedActiveInstallations, seedOrg, seedOrgs, seedPublishedListings } from '../test/support/seed.js';
import { startStripeMock } from '../test/support/stripe-mock.js';
import { startBenchBazaar } from './bench-bazaar.js';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1000' },
    events: { type: 'string', default: '1000000' },
    listings: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '10' },
    'batch-size': { type: 'string', default: String(DEFAULT_BILLING_BATCH_SIZE) },
    stripe: { type: 'boolean', default: false },
  },
});
const tenants = Number(values.tenants);
const events = Number(values.events);
const listings = Number(values.listings);
const concurrency = Number(values.concurrency);
const batchSize = Number(values['batch-size']);
const period = previousPeriod(new Date());
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(2);

const stripe = values.stripe ? await startStripeMock() : null;
const bench = await startBenchBazaar({ BILLING_SCHEDULE: 'false', ...stripe?.env });
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
              row_number() OVER (ORDER BY m.installation_id) - 1 AS n
       FROM usage_meters m WHERE m.pricing->>'model' = 'usage_based'
     ), installs AS (SELECT count(*) AS total FROM usage_installs)
     INSERT INTO usage_events (event_id, org_id, installation_id, listing_id, invocations, tokens_in, tokens_out,
                               cost, currency, occurred_at)
     SELECT 'bench-' || g, u.org_id, u.installation_id, u.listing_id, 1, 100 + g % 400, 50 + g % 200,
            (u.pricing->>'pricePerInvocation')::numeric
              + (150 + g % 400 + g % 200)::numeric / 1000 * (u.pricing->>'pricePer1kTokens')::numeric,
            'usd', $2::date + (g % 2592000) * interval '1 second'
     FROM generate_series(0, $1 - 1) AS g
     -- The count as a scalar, so the join is a hash join on n (a per-row count made it a nested loop).
     JOIN usage_installs u ON u.n = g % (SELECT total FROM installs)`,
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
    args: [{ period, concurrency, batchSize }],
  });
  const runSeconds = seconds(begin);
  console.log(await runBreakdown(period));
  const check = await db.query(
    `SELECT (SELECT count(*) FROM invoices)::int AS invoices, (SELECT count(*) FROM invoice_lines)::int AS lines,
            (SELECT count(*) FROM usage_monthly WHERE billed_events <> events)::int AS unbilled,
            (SELECT sum(amount_exact) FROM invoice_lines WHERE kind = 'usage')
              = (SELECT sum(cost) FROM usage_events) AS lines_match_events,
            (SELECT count(*) FROM invoices i WHERE total_minor <> (SELECT sum(amount_minor) FROM invoice_lines l
               WHERE l.invoice_id = i.id))::int AS bad_totals`,
  );
  console.log(
    `billing run: ${runSeconds} s for ${result.tenants} tenants${stripe ? ' with Stripe (stripe-mock)' : ''} ` +
      `(${JSON.stringify(check.rows[0])}), batch size ${batchSize}, ${concurrency} batches at once`,
  );
  if (stripe) console.log(`Stripe requests: ${stripe.requests.length}`);
  else await invoiceBuildingAlone();
} finally {
  await bench.stop();
  await stripe?.stop();
}

/** Where the run's time went, from the dev server's visibility records: its runs and its batches. */
async function runBreakdown(billingPeriod: string): Promise<string> {
  const runs = await executions(`WorkflowId = 'billing:${billingPeriod}'`);
  const batches = await executions(`WorkflowType = 'billTenantBatch'`);
  const first = Math.min(...runs.map((run) => run.start));
  const durations = batches.map((batch) => batch.end - batch.start).sort((a, b) => a - b);
  const quantile = (q: number) =>
    durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0;
  const ms = (value: number) => `${Math.round(value)} ms`;
  return [
    `runs of billing:${billingPeriod}: ${runs.length} (continued as new after each page), longest history ${Math.max(...runs.map((run) => run.historyLength))} events`,
    `batches: ${batches.length}, each ${ms(quantile(0))} min / ${ms(quantile(0.5))} p50 / ${ms(quantile(1))} max, longest history ${Math.max(0, ...batches.map((batch) => batch.historyLength))} events`,
    `first batch started ${ms(Math.min(...batches.map((b) => b.start)) - first)} after the run; last batch ended ${ms(Math.max(...batches.map((b) => b.end)) - first)} after it`,
  ].join('\n');
}

/** Start, end and history length of the workflow executions a visibility query finds. */
async function executions(query: string) {
  const found: Array<{ start: number; end: number; historyLength: number }> = [];
  for await (const execution of temporal.workflow.list({ query }))
    found.push({
      start: execution.startTime.getTime(),
      end: execution.closeTime?.getTime() ?? Number.NaN,
      historyLength: execution.historyLength,
    });
  return found;
}

/** The same work without Temporal: the per-tenant SQL alone, 8 tenants at a time, after undoing the run. */
async function invoiceBuildingAlone(): Promise<void> {
  const { db } = bench;
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
  const begin = performance.now();
  const queue = [...orgs];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let orgId = queue.shift(); orgId; orgId = queue.shift())
        await buildTenantInvoices(db, { orgId, period, platformFeePercent: '20', finalize: true });
    }),
  );
  console.log(`invoice building alone (SQL, 8 connections): ${seconds(begin)} s`);
}
