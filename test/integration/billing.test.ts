// Monthly billing on real PostgreSQL and Temporal (no Stripe): every pricing model, proration, the
// free allowance, late usage, re-runs, tenant isolation of invoices and payouts, and the routes' errors.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import { buildTenantInvoices } from '../../src/domain/billing/build-invoices.js';
import { previousPeriod } from '../../src/domain/billing/period.js';
import { billingBatchWorkflowId, type BillingProgress } from '../../src/workflows/billing.js';
import { startHarness, type Harness } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import {
  seedActiveInstallation,
  seedMonthlyUsage,
  seedPublishedListing,
  seedUsage,
} from '../support/seed.js';
import { waitFor } from '../support/wait-for.js';

/** Starts `billing:<period>` over the API as a platform admin and waits for it to finish. */
export async function runBilling(h: Harness, period: string, token?: string) {
  const started = await h.request('POST', '/v1/billing-runs', { token, body: { period } });
  expect(started.status).toBe(202);
  expect(started.body.workflowId).toBe(`billing:${period}`);
  return h.temporal.workflow.getHandle(started.body.workflowId).result();
}

/**
 * `count` new organisations, each with one usage-based installation of `listing` and `events` events
 * of `cost` in `period`: their ids, in id order (the order a billing run takes them in).
 */
async function seedUsageTenants(
  h: Harness,
  listing: { id: string; versionId: string },
  input: { count: number; period: string; events: number; cost: string },
): Promise<string[]> {
  const orgIds: string[] = [];
  for (let n = 1; n <= input.count; n++) {
    const orgId = (await h.createOrg(`tenant ${n} of ${input.period}`)).org.id;
    const installationId = await seedActiveInstallation(h.db, {
      orgId,
      listing,
      pricing: { model: 'usage_based', pricePerInvocation: Number(input.cost) },
      openedAt: `${input.period}-01T00:00:00Z`,
    });
    await seedMonthlyUsage(h.db, {
      orgId,
      installation: { id: installationId, listingId: listing.id },
      month: input.period,
      events: input.events,
      cost: input.cost,
    });
    orgIds.push(orgId);
  }
  return orgIds.sort();
}

/** The runs of a workflow chain (each continued as new into the next), first to last. */
async function runsOf(h: Harness, workflowId: string, firstRunId: string): Promise<WorkflowHandle[]> {
  const runs: WorkflowHandle[] = [];
  for (let runId: string | null | undefined = firstRunId; runId;) {
    const run: WorkflowHandle = h.temporal.workflow.getHandle(workflowId, runId);
    runs.push(run);
    const { events } = await run.fetchHistory();
    runId = events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

/** Each run's status, first to last. */
const statusesOf = (runs: WorkflowHandle[]) =>
  Promise.all(runs.map(async (run) => (await run.describe()).status.name));

/**
 * Checks the invariants of every invoice of an organisation: the total is the sum of its lines; every
 * usage or adjustment line is its own exact amount rounded once; per listing, service month and
 * currency, the lines (tool lines included) add up exactly to the raw usage events of every month
 * invoiced so far (so a lone line is the events' exact cost rounded once), and the tool lines to
 * their tool cost; payout + fee = amount, and a tool line pays out nothing.
 */
export async function expectInvoicesReproduce(db: Db, orgId: string) {
  const totals = await db.query(
    `SELECT i.id, i.total_minor::text AS total, COALESCE(sum(l.amount_minor), 0)::text AS sum_lines
     FROM invoices i LEFT JOIN invoice_lines l ON l.invoice_id = i.id WHERE i.org_id = $1 GROUP BY i.id`,
    [orgId],
  );
  for (const row of totals.rows) expect(row.total).toBe(row.sum_lines);
  const rounding = await db.query(
    `SELECT l.amount_minor::text AS billed, round(l.amount_exact * 10::numeric ^ i.currency_exponent)::text AS exact
     FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
     WHERE i.org_id = $1 AND l.kind IN ('usage', 'adjustment', 'tool_usage')`,
    [orgId],
  );
  expect(rounding.rows.length).toBeGreaterThan(0);
  for (const row of rounding.rows) expect(row.billed).toBe(row.exact);
  // Every event of a month up to the last invoiced period has been billed (no usage arrives between a
  // run and this check), so the lines must add up to the raw events exactly; a full join shows a
  // listing and month missing on either side.
  const sums = await db.query(
    `WITH lines AS (
       SELECT l.listing_id, l.service_period AS month, i.currency, count(*)::int AS lines,
              sum(l.invocations) AS invocations, sum(l.tokens) FILTER (WHERE l.kind <> 'tool_usage') AS tokens,
              sum(l.amount_exact) AS exact, sum(l.amount_minor) AS minor,
              COALESCE(sum(l.amount_exact) FILTER (WHERE l.kind = 'tool_usage'), 0) AS tool_exact,
              COALESCE(sum(l.tokens) FILTER (WHERE l.kind = 'tool_usage'), 0) AS tool_tokens
       FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
       WHERE i.org_id = $1 AND l.kind IN ('usage', 'adjustment', 'tool_usage')
       GROUP BY 1, 2, 3
     ), raw AS (
       SELECT listing_id, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS month, currency,
              sum(invocations) AS invocations, sum(tokens_in::bigint + tokens_out) AS tokens, sum(cost) AS cost,
              sum(tool_cost) AS tool_cost, sum(tool_tokens) AS tool_tokens
       FROM usage_events WHERE org_id = $1
       GROUP BY 1, 2, 3
     )
     SELECT l.lines, l.invocations::text AS line_invocations, r.invocations::text AS raw_invocations,
            l.tokens::text AS line_tokens, r.tokens::text AS raw_tokens, l.exact::text AS line_exact,
            r.cost::text AS raw_exact, l.minor::text AS line_minor,
            l.tool_exact::numeric(30, 10)::text AS line_tool_exact, r.tool_cost::numeric(30, 10)::text AS raw_tool_exact,
            l.tool_tokens::text AS line_tool_tokens, r.tool_tokens::text AS raw_tool_tokens,
            round(r.cost * 10::numeric ^ currency_exponent(r.currency))::text AS raw_minor
     FROM lines l FULL JOIN raw r USING (listing_id, month, currency)
     WHERE COALESCE(l.month, r.month) <= (SELECT max(period) FROM invoices WHERE org_id = $1)`,
    [orgId],
  );
  expect(sums.rows.length).toBeGreaterThan(0);
  for (const row of sums.rows) {
    expect(row.line_invocations).toBe(row.raw_invocations);
    expect(row.line_tokens).toBe(row.raw_tokens);
    expect(row.line_exact).toBe(row.raw_exact);
    expect(row.line_tool_exact).toBe(row.raw_tool_exact);
    expect(row.line_tool_tokens).toBe(row.raw_tool_tokens);
    if (row.lines === 1) expect(row.line_minor).toBe(row.raw_minor);
  }
  const split = await db.query(
    `SELECT count(*)::int AS bad FROM invoice_lines
     WHERE org_id = $1 AND (payout_minor + platform_fee_minor <> amount_minor
       OR platform_fee_minor <> round(amount_minor * platform_fee_percent / 100)
       OR (kind = 'tool_usage' AND payout_minor <> 0))`,
    [orgId],
  );
  expect(split.rows[0].bad).toBe(0);
}

describe('monthly billing', () => {
  let h: Harness;
  let publisher: { org: { id: string }; token: string };
  let otherPublisher: { org: { id: string }; token: string };
  let consumer: { org: { id: string }; token: string };
  let stranger: { org: { id: string }; token: string };
  const listings: Record<string, { id: string; slug: string; versionId: string }> = {};

  beforeAll(async () => {
    h = await startHarness({ ownDatabase: true });
    publisher = await h.createOrg('publisher');
    otherPublisher = await h.createOrg('other publisher');
    consumer = await h.createOrg('consumer');
    stranger = await h.createOrg('stranger');
    for (const name of ['metered', 'newSub', 'oldSub', 'oneTime', 'free', 'yen', 'allowance', 'failedSub']) {
      listings[name] = await seedPublishedListing(h.db, {
        publisherOrgId: publisher.org.id,
        name: name,
        category: 'billing',
      });
    }
    const orgId = consumer.org.id;
    const seed = (name: string, pricing: Record<string, unknown>, openedAt: string, extra = {}) =>
      seedActiveInstallation(h.db, { orgId, listing: listings[name]!, pricing, openedAt, ...extra });

    // usage_based with tokens and 5 free invocations: 12 events of 1 invocation and 150 tokens each.
    const metered = await seed(
      'metered',
      { model: 'usage_based', pricePerInvocation: 0.02, pricePer1kTokens: 0.001, freeInvocations: 5 },
      '2026-08-20T00:00:00Z',
    );
    await seedUsage(h.db, {
      orgId,
      installationId: metered,
      listingId: listings.metered!.id,
      count: 12,
      tokensIn: 100,
      tokensOut: 50,
      cost: '0.02015',
      occurredAt: '2026-09-10T12:00:00Z',
    });
    // October usage is not September's.
    await seedUsage(h.db, {
      orgId,
      installationId: metered,
      listingId: listings.metered!.id,
      count: 2,
      cost: '0.02',
      occurredAt: '2026-10-02T00:00:00Z',
    });
    // Subscriptions: opened 21 September (10 of 30 days), and one closed at the start of 12 September (11 days).
    await seed('newSub', { model: 'subscription', monthlyPrice: 30 }, '2026-09-21T10:00:00Z');
    await seed('oldSub', { model: 'subscription', monthlyPrice: 49 }, '2026-08-01T00:00:00Z', {
      closedAt: '2026-09-12T00:00:00Z',
    });
    // A failed installation is never billed.
    await seed('failedSub', { model: 'subscription', monthlyPrice: 99 }, '2026-09-02T00:00:00Z', {
      status: 'failed',
      closedAt: '2026-09-02T00:00:10Z',
    });
    await seed('oneTime', { model: 'one_time', oneTimePrice: 199 }, '2026-09-05T08:00:00Z');
    const free = await seed('free', { model: 'free', freeInvocations: 100 }, '2026-09-01T00:00:00Z');
    await seedUsage(h.db, {
      orgId,
      installationId: free,
      listingId: listings.free!.id,
      count: 3,
      cost: '0',
      occurredAt: '2026-09-03T00:00:00Z',
    });
    // A zero-decimal currency: 3 × 3.5 JPY = 10.5, rounded half up to 11.
    const yen = await seed(
      'yen',
      { model: 'usage_based', pricePerInvocation: 3.5, currency: 'jpy' },
      '2026-09-01T00:00:00Z',
    );
    await seedUsage(h.db, {
      orgId,
      installationId: yen,
      listingId: listings.yen!.id,
      count: 3,
      cost: '3.5',
      currency: 'jpy',
      occurredAt: '2026-09-30T23:59:59Z',
    });
    // 4 of 10 free invocations used in September; late events will use more of the allowance.
    const allowance = await seed(
      'allowance',
      { model: 'usage_based', pricePerInvocation: 0.01, freeInvocations: 10 },
      '2026-09-01T00:00:00Z',
    );
    await seedUsage(h.db, {
      orgId,
      installationId: allowance,
      listingId: listings.allowance!.id,
      count: 4,
      cost: '0.01',
      occurredAt: '2026-09-15T00:00:00Z',
    });
  }, 120_000);
  afterAll(() => h?.stop());

  const linesOf = (invoice: any) =>
    Object.fromEntries(
      invoice.lines.map((line: any) => [
        `${line.kind}:${Object.keys(listings).find((name) => listings[name]!.id === line.listingId)}:${line.servicePeriod}`,
        line.amountMinor,
      ]),
    );

  it('bills each pricing model for a closed month, one invoice per currency, exactly', async () => {
    const result = await runBilling(h, '2026-09');
    expect(result).toEqual({ period: '2026-09', tenants: 1, invoices: 2 });
    // Histories recorded before batches (billing-run, billing-tenant) stay and keep replaying.
    await recordHistory('billing:2026-09', 'billing-run-batches');
    await recordHistory(billingBatchWorkflowId('2026-09', consumer.org.id), 'billing-batch');

    // An operator finds the tenant's billing in the Web UI with the same filter as its provisions.
    const batch = h.temporal.workflow.getHandle(billingBatchWorkflowId('2026-09', consumer.org.id));
    expect((await batch.describe()).searchAttributes).toMatchObject({ BazaarTenantId: [consumer.org.id] });
    await waitFor(async () => {
      const found = [];
      for await (const run of h.temporal.workflow.list({
        query: `BazaarTenantId = '${consumer.org.id}' AND WorkflowType = 'billTenantBatch'`,
      }))
        found.push(run.workflowId);
      return found.length === 1 && found[0] === batch.workflowId;
    }, 'the batch found by its tenant');

    const listed = await h.request('GET', '/v1/invoices', { token: consumer.token });
    expect(listed.status).toBe(200);
    const [jpy, usd] = listed.body.invoices.sort((a: any, b: any) => a.currency.localeCompare(b.currency));
    expect(linesOf(usd)).toEqual({
      'usage:metered:2026-09': 24, // 12 × 0.02015 = 0.2418
      'free_allowance:metered:2026-09': -10, // 5 free × 0.02
      'subscription:newSub:2026-09': 1000, // 30 × 10/30
      'subscription:oldSub:2026-09': 1797, // 49 × 11/30 = 17.9666…
      'one_time:oneTime:2026-09': 19900,
      'usage:free:2026-09': 0,
      'usage:allowance:2026-09': 4,
      'free_allowance:allowance:2026-09': -4,
    });
    expect(usd).toMatchObject({ period: '2026-09', status: 'final', totalMinor: 22711, total: '227.11' });
    expect(usd.lines.find((line: any) => line.kind === 'subscription' && line.days === 10)).toBeTruthy();
    expect(jpy).toMatchObject({ currency: 'jpy', totalMinor: 11, total: '11', status: 'final' });
    expect(linesOf(jpy)).toEqual({ 'usage:yen:2026-09': 11 });

    const one = await h.request('GET', `/v1/invoices/${usd.id}`, { token: consumer.token });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(usd);
    await expectInvoicesReproduce(h.db, consumer.org.id);
  });

  it('re-running a period creates no second invoice and changes nothing', async () => {
    const before = await h.db.query('SELECT id, total_minor FROM invoices ORDER BY id');
    const linesBefore = await h.db.query('SELECT count(*)::int AS n FROM invoice_lines');
    const again = await runBilling(h, '2026-09');
    expect(again).toMatchObject({ tenants: 0 });
    // The tenant's own child run again finds its invoices and returns them unchanged.
    const child = await h.temporal.workflow.execute('billTenant', {
      workflowId: `billing:${consumer.org.id}:2026-09`,
      taskQueue: h.config.temporal.taskQueue,
      args: [{ orgId: consumer.org.id, period: '2026-09' }],
    });
    expect((child as any).invoices).toHaveLength(2);
    expect((await h.db.query('SELECT id, total_minor FROM invoices ORDER BY id')).rows).toEqual(before.rows);
    expect((await h.db.query('SELECT count(*)::int AS n FROM invoice_lines')).rows).toEqual(linesBefore.rows);
  });

  it('puts usage recorded after the invoice on the next invoice as adjustment lines', async () => {
    const orgId = consumer.org.id;
    const meter = async (name: string) =>
      (
        await h.db.query('SELECT installation_id FROM usage_meters WHERE listing_id = $1', [
          listings[name]!.id,
        ])
      ).rows[0].installation_id;
    await seedUsage(h.db, {
      orgId,
      installationId: await meter('allowance'),
      listingId: listings.allowance!.id,
      count: 3,
      cost: '0.01',
      occurredAt: '2026-09-29T00:00:00Z',
    });
    await seedUsage(h.db, {
      orgId,
      installationId: await meter('metered'),
      listingId: listings.metered!.id,
      count: 1,
      cost: '0.02',
      occurredAt: '2026-09-30T00:00:00Z',
    });
    await runBilling(h, '2026-10');
    const october = await h.request('GET', '/v1/invoices?period=2026-10', { token: consumer.token });
    expect(october.body.invoices).toHaveLength(1);
    expect(linesOf(october.body.invoices[0])).toEqual({
      'usage:metered:2026-10': 4, // 2 × 0.02; the 5 free invocations of October cover them
      'free_allowance:metered:2026-10': -4,
      'adjustment:metered:2026-09': 2, // September's 5 free invocations were used up
      'adjustment:allowance:2026-09': 3,
      'adjustment_free_allowance:allowance:2026-09': -3, // 6 of 10 were left
      'subscription:newSub:2026-10': 3000, // the whole month
    });
    const september = await h.request('GET', '/v1/invoices?period=2026-09', { token: consumer.token });
    expect(september.body.invoices.find((i: any) => i.currency === 'usd').totalMinor).toBe(22711);
    const unbilled = await h.db.query(
      `SELECT count(*)::int AS n FROM usage_monthly WHERE org_id = $1 AND (events, invocations, tokens_in, tokens_out,
         cost) IS DISTINCT FROM (billed_events, billed_invocations, billed_tokens_in, billed_tokens_out, billed_cost)`,
      [orgId],
    );
    expect(unbilled.rows[0].n).toBe(0);
    await expectInvoicesReproduce(h.db, orgId);
  });

  it('adds up installations of one listing, and bills usage recorded while it builds on the same invoice', async () => {
    const twin = await h.createOrg('twin consumer');
    const orgId = twin.org.id;
    const listing = await seedPublishedListing(h.db, {
      publisherOrgId: publisher.org.id,
      name: 'twin',
      category: 'billing',
    });
    const install = () =>
      seedActiveInstallation(h.db, {
        orgId,
        listing,
        pricing: { model: 'usage_based', pricePerInvocation: 0.015 },
        openedAt: '2026-10-01T00:00:00Z',
      });
    const [first, second] = [await install(), await install()];
    for (const installationId of [first, second]) {
      // 3 × 0.015 = 4.5 cents each: billed as one line, not rounded per installation.
      await seedUsage(h.db, {
        orgId,
        installationId,
        listingId: listing.id,
        count: 3,
        cost: '0.015',
        occurredAt: '2026-10-05T00:00:00Z',
      });
    }
    // Ingestion in flight holds the first installation's aggregate: building waits for it and then
    // bills what it added too, so the lines and what is marked billed are the same sums.
    const ingestion = await h.db.connect();
    try {
      await ingestion.query('BEGIN');
      await seedUsage(ingestion, {
        orgId,
        installationId: first,
        listingId: listing.id,
        count: 2,
        cost: '0.015',
        occurredAt: '2026-10-06T00:00:00Z',
      });
      const building = buildTenantInvoices(h.db, {
        orgId,
        period: '2026-10',
        platformFeePercent: '20',
        finalize: true,
      });
      const ingestionPid = (await ingestion.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await waitFor(
        async () =>
          (
            await h.db.query(
              'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))',
              [ingestionPid],
            )
          ).rows[0].n > 0,
        'invoice building to wait for the ingestion',
      );
      await ingestion.query('COMMIT');
      const invoices = await building;
      // 8 × 0.015 = 12 cents in one line (per installation it would be 7.5 + 4.5 → 8 + 5).
      expect(invoices).toMatchObject([{ currency: 'usd', totalMinor: '12', status: 'final' }]);
    } finally {
      ingestion.release();
    }
    const lines = await h.db.query(
      'SELECT kind, invocations::int, amount_minor::int FROM invoice_lines WHERE org_id = $1',
      [orgId],
    );
    expect(lines.rows).toEqual([{ kind: 'usage', invocations: 8, amount_minor: 12 }]);
    const unbilled = await h.db.query(
      'SELECT count(*)::int AS n FROM usage_monthly WHERE org_id = $1 AND events <> billed_events',
      [orgId],
    );
    expect(unbilled.rows[0].n).toBe(0);
    await expectInvoicesReproduce(h.db, orgId);
  });

  it('credits the publisher with each line less the platform fee, and no one else', async () => {
    const payouts = await h.request('GET', '/v1/payouts?period=2026-09', { token: publisher.token });
    expect(payouts.status).toBe(200);
    const byListing = Object.fromEntries(
      payouts.body.payouts.map((p: any) => [
        `${Object.keys(listings).find((name) => listings[name]!.id === p.listingId)}:${p.currency}`,
        [p.grossMinor, p.platformFeeMinor, p.payoutMinor],
      ]),
    );
    expect(byListing).toEqual({
      'metered:usd': [14, 3, 11], // lines 24 (fee 5) and -10 (fee -2)
      'newSub:usd': [1000, 200, 800],
      'oldSub:usd': [1797, 359, 1438], // 359.4 → 359
      'oneTime:usd': [19900, 3980, 15920],
      'free:usd': [0, 0, 0],
      'yen:jpy': [11, 2, 9], // 2.2 → 2
      'allowance:usd': [0, 0, 0],
    });
    const all = await h.request('GET', '/v1/payouts', { token: publisher.token });
    expect(all.body.payouts.map((p: any) => p.period)).toContain('2026-10');
    for (const token of [otherPublisher.token, consumer.token, stranger.token]) {
      const none = await h.request('GET', '/v1/payouts', { token });
      expect(none.status).toBe(200);
      expect(none.body.payouts).toEqual([]);
    }
  });

  it("bills the gateway's tool charges on a line of their own that pays the publisher nothing", async () => {
    const toolPublisher = await h.createOrg('tool publisher');
    const toolConsumer = await h.createOrg('tool consumer');
    const orgId = toolConsumer.org.id;
    const listing = await seedPublishedListing(h.db, {
      publisherOrgId: toolPublisher.org.id,
      name: 'tooled',
      category: 'billing',
    });
    const installationId = await seedActiveInstallation(h.db, {
      orgId,
      listing,
      pricing: { model: 'usage_based', pricePerInvocation: 0.02, pricePer1kTokens: 1 },
      openedAt: '2026-11-01T00:00:00Z',
    });
    // Each run: the listing's 0.02 + 120 tokens at 1 per 1k = 0.14, and its priced tool calls' 0.0845.
    const run = (count: number, occurredAt: string) =>
      seedUsage(h.db, {
        orgId,
        installationId,
        listingId: listing.id,
        count,
        tokensIn: 100,
        tokensOut: 20,
        cost: '0.2245',
        toolCost: '0.0845',
        toolTokens: 120,
        occurredAt,
      });
    await run(3, '2026-11-10T00:00:00Z');
    const lines = async (period: string) =>
      (
        await h.db.query(
          `SELECT l.kind, to_char(l.service_period, 'YYYY-MM') AS service, l.description, l.tokens::int,
                  l.amount_minor::int AS amount, l.platform_fee_minor::int AS fee, l.payout_minor::int AS payout
           FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
           WHERE i.org_id = $1 AND i.period = $2::date ORDER BY l.kind, l.service_period`,
          [orgId, `${period}-01`],
        )
      ).rows;

    const november = await buildTenantInvoices(h.db, {
      orgId,
      period: '2026-11',
      platformFeePercent: '20',
      finalize: true,
    });
    // 3 × 0.2245 = 0.6735 in all: the listing's 0.42 and the tools' 0.2535 (25.35 → 25).
    expect(november).toMatchObject([{ currency: 'usd', totalMinor: '67' }]);
    expect(await lines('2026-11')).toEqual([
      {
        kind: 'tool_usage',
        service: '2026-11',
        description: 'tooled: gateway tool usage, 360 tokens',
        tokens: 360,
        amount: 25,
        fee: 25,
        payout: 0,
      },
      {
        kind: 'usage',
        service: '2026-11',
        description: 'tooled: 3 invocations, 360 tokens',
        tokens: 360,
        amount: 42,
        fee: 8, // 8.4
        payout: 34,
      },
    ]);
    const shown = await h.request('GET', '/v1/invoices?period=2026-11', { token: toolConsumer.token });
    expect(shown.status).toBe(200);
    expect(shown.body.invoices[0].lines.map((line: any) => [line.kind, line.amountMinor]).sort()).toEqual([
      ['tool_usage', 25],
      ['usage', 42],
    ]);

    // Late usage of November and December's own: the tool charges stay apart on both.
    await run(1, '2026-11-30T00:00:00Z');
    await run(1, '2026-12-03T00:00:00Z');
    await buildTenantInvoices(h.db, { orgId, period: '2026-12', platformFeePercent: '20', finalize: true });
    expect(
      (await lines('2026-12')).map((line) => [
        line.kind,
        line.service,
        line.amount,
        line.payout,
        line.description,
      ]),
    ).toEqual([
      ['adjustment', '2026-11', 14, 11, 'tooled: late usage of 2026-11, 1 invocations, 120 tokens'],
      ['tool_usage', '2026-11', 8, 0, 'tooled: gateway tool usage of 2026-11, 120 tokens'],
      ['tool_usage', '2026-12', 8, 0, 'tooled: gateway tool usage, 120 tokens'],
      ['usage', '2026-12', 14, 11, 'tooled: 1 invocations, 120 tokens'],
    ]);
    const unbilled = await h.db.query(
      `SELECT count(*)::int AS n FROM usage_monthly
       WHERE org_id = $1 AND (tool_cost, tool_tokens) IS DISTINCT FROM (billed_tool_cost, billed_tool_tokens)`,
      [orgId],
    );
    expect(unbilled.rows[0].n).toBe(0);
    await expectInvoicesReproduce(h.db, orgId);

    // The publisher's payout counts its listing's own lines only.
    const payouts = await h.request('GET', '/v1/payouts?period=2026-11', { token: toolPublisher.token });
    expect(payouts.body.payouts).toMatchObject([
      { listingId: listing.id, lines: 1, grossMinor: 42, platformFeeMinor: 8, payoutMinor: 34 },
    ]);
  });

  it("shows no other organisation's invoices: an empty list and 404", async () => {
    const mine = await h.request('GET', '/v1/invoices', { token: consumer.token });
    expect(mine.body.invoices.length).toBeGreaterThan(0);
    const theirs = await h.request('GET', '/v1/invoices', { token: stranger.token });
    expect(theirs.status).toBe(200);
    expect(theirs.body.invoices).toEqual([]);
    const one = await h.request('GET', `/v1/invoices/${mine.body.invoices[0].id}`, { token: stranger.token });
    expect(one.status).toBe(404);
    const missing = await h.request('GET', `/v1/invoices/${randomUUID()}`, { token: stranger.token });
    expect(missing.status).toBe(404);
    expect(one.body.error.message).toBe(missing.body.error.message);
    const publisherView = await h.request('GET', '/v1/invoices', { token: publisher.token });
    expect(publisherView.body.invoices).toEqual([]);
  });

  it('answers 400 for bad input and 403 for the wrong role', async () => {
    const member = await h.createOrgKey(consumer.org.id, consumer.token, 'member');
    const reviewer = await h.createPlatformKey('reviewer');
    const admin = await h.createPlatformKey('platform-admin');
    for (const token of [consumer.token, member, reviewer]) {
      const refused = await h.request('POST', '/v1/billing-runs', { token, body: { period: '2026-09' } });
      expect(refused.status).toBe(403);
    }
    const bad = await h.request('POST', '/v1/billing-runs', { token: admin, body: { period: '2026-13' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'json.period' })]);
    const future = await h.request('POST', '/v1/billing-runs', { token: admin, body: { period: '2999-01' } });
    expect(future.status).toBe(400);
    expect(future.body.error.details).toEqual([expect.objectContaining({ path: 'json.period' })]);
    const missing = await h.request('POST', '/v1/billing-runs', { token: admin, body: {} });
    expect(missing.status).toBe(400);
    expect((await h.request('GET', '/v1/invoices', { token: admin })).status).toBe(403);
    expect((await h.request('GET', '/v1/payouts', { token: reviewer })).status).toBe(403);
    // Access (which invoice is the caller's) is checked before validation: an id naming nothing is 404.
    expect((await h.request('GET', '/v1/invoices/not-a-uuid', { token: consumer.token })).status).toBe(404);
    const badPeriod = await h.request('GET', '/v1/invoices?period=2026-9', { token: consumer.token });
    expect(badPeriod.status).toBe(400);
    expect(badPeriod.body.error.details[0].path).toBe('query.period');
    expect((await h.request('GET', '/v1/invoices', { token: null })).status).toBe(401);
    const status = await h.request('GET', '/v1/workflows/billing:2026-09', { token: admin });
    expect(status.body).toMatchObject({ status: 'COMPLETED', type: 'monthlyBilling' });
  });

  it('registers the monthly schedule once, on the running task queue', async () => {
    const description = await h.temporal.schedule.getHandle('billing-monthly').describe();
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'scheduledMonthlyBilling',
    });
    expect(description.action.type === 'startWorkflow' && description.action.taskQueue).toBe(
      h.config.temporal.taskQueue,
    );
    expect(description.spec.calendars).toHaveLength(1);
  });

  it('the scheduled run bills the month that just ended', async () => {
    const workflowId = `billing-scheduled-test-${randomUUID()}`;
    const result = await h.temporal.workflow.execute('scheduledMonthlyBilling', {
      workflowId,
      taskQueue: h.config.temporal.taskQueue,
    });
    expect(result).toMatchObject({ period: previousPeriod(new Date()) });
    await recordHistory(workflowId, 'billing-scheduled-batches');
  });

  it('bills many tenants in pages, continuing as new after each full page, each tenant once', async () => {
    const orgIds = await seedUsageTenants(h, listings.metered!, {
      count: 5,
      period: '2025-01',
      events: 2,
      cost: '0.02',
    });
    const handle = await h.temporal.workflow.start('monthlyBilling', {
      workflowId: 'billing:2025-01',
      taskQueue: h.config.temporal.taskQueue,
      args: [{ period: '2025-01', tenantsPerRun: 2 }],
    });
    expect(await handle.result()).toEqual({ period: '2025-01', tenants: 5, invoices: 5 });

    // 2 + 2 + 1 tenants: two runs continued as new with the next page, the third completed.
    const runs = await runsOf(h, 'billing:2025-01', handle.firstExecutionRunId);
    expect(await statusesOf(runs)).toEqual(['CONTINUED_AS_NEW', 'CONTINUED_AS_NEW', 'COMPLETED']);
    await recordHistory('billing:2025-01', 'billing-run-continued-batches', handle.firstExecutionRunId);

    const invoices = await h.db.query(
      `SELECT org_id, total_minor::int AS total FROM invoices WHERE period = '2025-01-01' ORDER BY org_id`,
    );
    expect(invoices.rows).toEqual(orgIds.map((orgId) => ({ org_id: orgId, total: 4 })));
    for (const orgId of orgIds) await expectInvoicesReproduce(h.db, orgId);
    expect(await runBilling(h, '2025-01')).toEqual({ period: '2025-01', tenants: 0, invoices: 0 });
  });
});

describe('a billing run where one tenant fails', () => {
  let h: Harness;
  let failingOrgId: string | null = null;

  beforeAll(async () => {
    h = await startHarness({
      ownDatabase: true,
      activities: (real) => ({
        buildTenantInvoices: async (input) => {
          if (input.orgId === failingOrgId)
            throw ApplicationFailure.nonRetryable('injected: the ledger is unavailable', 'Injected');
          return real.buildTenantInvoices(input);
        },
      }),
    });
  }, 120_000);
  afterAll(() => h?.stop());

  it('bills the others, fails naming the tenant across continued runs, shows its progress, and a re-run bills it', async () => {
    const publisher = await h.createOrg('publisher');
    const listing = await seedPublishedListing(h.db, {
      publisherOrgId: publisher.org.id,
      name: 'metered',
      category: 'billing',
    });
    const orgIds = await seedUsageTenants(h, listing, {
      count: 3,
      period: '2025-03',
      events: 1,
      cost: '0.5',
    });
    // The first tenant in id order fails, so its failure is carried through the continued runs.
    failingOrgId = orgIds[0]!;
    const handle = await h.temporal.workflow.start('monthlyBilling', {
      workflowId: 'billing:2025-03',
      taskQueue: h.config.temporal.taskQueue,
      args: [{ period: '2025-03', tenantsPerRun: 1 }],
    });
    const failure = await handle.result().then(
      () => null,
      (error: Error) => error.cause,
    );
    const failedLine = `${failingOrgId}: injected: the ledger is unavailable`;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'BillingIncomplete', nonRetryable: true });
    expect((failure as Error).message).toBe(
      `billing 2025-03 failed for 1 of 3 tenants (run it again to retry them): ${failedLine}`,
    );

    // One tenant per run, then an empty page; each run's progress query answers for all runs so far.
    const runs = await runsOf(h, 'billing:2025-03', handle.firstExecutionRunId);
    expect(await statusesOf(runs)).toEqual([
      'CONTINUED_AS_NEW',
      'CONTINUED_AS_NEW',
      'CONTINUED_AS_NEW',
      'FAILED',
    ]);
    expect(await runs[1]!.query<BillingProgress>('state')).toEqual({
      afterOrgId: orgIds[1],
      tenants: 2,
      invoices: 1,
      failed: 1,
      failures: [failedLine],
    });
    expect(await runs[3]!.query<BillingProgress>('state')).toMatchObject({
      tenants: 3,
      invoices: 2,
      failed: 1,
    });

    const invoiced = async () =>
      (await h.db.query(`SELECT org_id FROM invoices WHERE period = '2025-03-01' ORDER BY org_id`)).rows.map(
        (row) => row.org_id,
      );
    expect(await invoiced()).toEqual(orgIds.slice(1));

    failingOrgId = null;
    expect(await runBilling(h, '2025-03')).toEqual({ period: '2025-03', tenants: 1, invoices: 1 });
    expect(await invoiced()).toEqual(orgIds);
    for (const orgId of orgIds) await expectInvoicesReproduce(h.db, orgId);
  });

  it('a batch in which one tenant fails bills the others in that batch', async () => {
    const publisher = await h.createOrg('batch publisher');
    const listing = await seedPublishedListing(h.db, {
      publisherOrgId: publisher.org.id,
      name: 'metered in batches',
      category: 'billing',
    });
    const orgIds = await seedUsageTenants(h, listing, {
      count: 4,
      period: '2025-04',
      events: 1,
      cost: '0.5',
    });
    failingOrgId = orgIds[1]!; // in the middle of the one batch
    const handle = await h.temporal.workflow.start('monthlyBilling', {
      workflowId: 'billing:2025-04',
      taskQueue: h.config.temporal.taskQueue,
      args: [{ period: '2025-04', batchSize: 4 }],
    });
    const failure = await handle.result().then(
      () => null,
      (error: Error) => error.cause,
    );
    expect((failure as Error).message).toBe(
      `billing 2025-04 failed for 1 of 4 tenants (run it again to retry them): ${failingOrgId}: injected: the ledger is unavailable`,
    );
    const batch = await h.temporal.workflow.getHandle(billingBatchWorkflowId('2025-04', orgIds[0]!)).result();
    expect(batch).toEqual({
      tenants: 4,
      invoices: 3,
      failures: [{ orgId: failingOrgId, message: 'injected: the ledger is unavailable' }],
    });
    const invoiced = await h.db.query(
      `SELECT org_id FROM invoices WHERE period = '2025-04-01' ORDER BY org_id`,
    );
    expect(invoiced.rows.map((row) => row.org_id)).toEqual(orgIds.filter((orgId) => orgId !== failingOrgId));

    failingOrgId = null;
    expect(await runBilling(h, '2025-04')).toEqual({ period: '2025-04', tenants: 1, invoices: 1 });
  });
});
