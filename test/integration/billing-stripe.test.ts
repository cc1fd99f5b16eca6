// Billing against stripe-mock (built from Go modules, behind a recording proxy): the requests Bazaar
// makes, the ids it stores, idempotency on re-runs, and a worker killed in the middle of a run.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import { startHarness, type Harness } from '../support/harness.js';
import { billingBatchWorkflowId } from '../../src/workflows/billing.js';
import { recordHistory } from '../support/histories.js';
import { seedActiveInstallation, seedPublishedListing, seedUsage } from '../support/seed.js';
import { startStripeMock, type StripeMock } from '../support/stripe-mock.js';
import { waitFor } from '../support/wait-for.js';
import { WorkerProcesses } from '../support/worker-processes.js';

/**
 * Gives a consumer organisation September 2026 charges on a fresh listing of the publisher: 10 usage
 * events of 0.125 with 2 free invocations (125 and -25 cents), a 20/month subscription open all
 * month (2000), and free-model usage (a 0 line, which is not sent to Stripe).
 */
async function seedTenant(db: Db, publisherOrgId: string, consumerOrgId: string) {
  const listing = async (pricing: Record<string, unknown>) => {
    const seeded = await seedPublishedListing(db, {
      publisherOrgId,
      name: 'Stripe billing',
      slug: `stripe-${randomUUID().slice(0, 8)}`,
      category: 'billing',
    });
    const installationId = await seedActiveInstallation(db, {
      orgId: consumerOrgId,
      listing: seeded,
      pricing,
      openedAt: '2026-08-15T00:00:00Z',
    });
    return { listingId: seeded.id, installationId };
  };
  const events = (target: { listingId: string; installationId: string }, count: number, cost: string) =>
    seedUsage(db, { orgId: consumerOrgId, ...target, count, cost, occurredAt: '2026-09-20T00:00:00Z' });
  await events(
    await listing({ model: 'usage_based', pricePerInvocation: 0.125, freeInvocations: 2 }),
    10,
    '0.125',
  );
  await listing({ model: 'subscription', monthlyPrice: 20 });
  await events(await listing({ model: 'free' }), 3, '0');
}

describe('billing with Stripe (stripe-mock)', () => {
  let mock: StripeMock;
  let h: Harness;
  let publisher: { org: { id: string }; token: string };
  let consumer: { org: { id: string; name: string }; token: string };

  beforeAll(async () => {
    mock = await startStripeMock();
    h = await startHarness({ ownDatabase: true, env: { ...mock.env, BILLING_SCHEDULE: 'false' } });
    publisher = await h.createOrg('publisher');
    consumer = await h.createOrg('stripe consumer');
    await seedTenant(h.db, publisher.org.id, consumer.org.id);
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await mock?.stop();
  });

  const requestsTo = (method: string, pattern: RegExp) =>
    mock.requests.filter((r) => r.method === method && pattern.test(r.path));

  it('creates the customer, a draft invoice, one item per charged line with idempotency keys, and finalises', async () => {
    const run = await h.request('POST', '/v1/billing-runs', { body: { period: '2026-09' } });
    expect(run.status).toBe(202);
    await h.temporal.workflow.getHandle(run.body.workflowId).result();
    await recordHistory(billingBatchWorkflowId('2026-09', consumer.org.id), 'billing-batch-stripe');
    const orgId = consumer.org.id;

    const stored = await h.db.query(
      `SELECT id, stripe_customer_id, stripe_invoice_id, status, total_minor::int AS total FROM invoices
       WHERE org_id = $1`,
      [orgId],
    );
    expect(stored.rows).toHaveLength(1);
    const invoice = stored.rows[0];
    expect(invoice).toMatchObject({ status: 'final', total: 2100 });
    expect(invoice.stripe_customer_id).toMatch(/^cus_/);
    expect(invoice.stripe_invoice_id).toMatch(/^in_/);
    const customerRow = await h.db.query('SELECT customer_id FROM stripe_customers WHERE org_id = $1', [
      orgId,
    ]);
    expect(customerRow.rows[0].customer_id).toBe(invoice.stripe_customer_id);

    const customers = requestsTo('POST', /^\/v1\/customers$/);
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({ idempotencyKey: `bazaar:customer:${orgId}`, status: 200 });
    expect(customers[0]!.body.get('name')).toBe(consumer.org.name);
    expect(customers[0]!.body.get('metadata[bazaarOrgId]')).toBe(orgId);

    const invoices = requestsTo('POST', /^\/v1\/invoices$/);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]!.idempotencyKey).toBe(`bazaar:${orgId}:2026-09:usd:invoice`);
    expect(Object.fromEntries(invoices[0]!.body)).toMatchObject({
      customer: invoice.stripe_customer_id,
      currency: 'usd',
      auto_advance: 'false',
      pending_invoice_items_behavior: 'exclude',
      'metadata[bazaarInvoiceId]': invoice.id,
    });

    const lines = await h.db.query(
      `SELECT amount_minor::int AS amount, idempotency_key, stripe_invoice_item_id FROM invoice_lines
       WHERE invoice_id = $1 ORDER BY idempotency_key`,
      [invoice.id],
    );
    expect(lines.rows.map((line) => line.amount).sort((a, b) => a - b)).toEqual([-25, 0, 125, 2000]);
    const charged = lines.rows.filter((line) => line.amount !== 0);
    for (const line of charged) expect(line.stripe_invoice_item_id).toMatch(/^ii_/);
    expect(lines.rows.find((line) => line.amount === 0).stripe_invoice_item_id).toBeNull();

    const items = requestsTo('POST', /^\/v1\/invoiceitems$/);
    expect(items.map((item) => [item.idempotencyKey, Number(item.body.get('amount'))]).sort()).toEqual(
      charged.map((line) => [line.idempotency_key, line.amount]).sort(),
    );
    for (const item of items) {
      expect(item.body.get('invoice')).toBe(invoice.stripe_invoice_id);
      expect(item.body.get('customer')).toBe(invoice.stripe_customer_id);
      expect(item.body.get('currency')).toBe('usd');
      expect(item.idempotencyKey).toMatch(new RegExp(`^bazaar:${orgId}:2026-09:usd:`));
    }
    const finalized = requestsTo('POST', /^\/v1\/invoices\/[^/]+\/finalize$/);
    expect(finalized.map((r) => r.path)).toEqual([`/v1/invoices/${invoice.stripe_invoice_id}/finalize`]);

    const api = await h.request('GET', `/v1/invoices/${invoice.id}`, { token: consumer.token });
    expect(api.body.stripeInvoiceId).toBe(invoice.stripe_invoice_id);
  });

  it('a re-run makes no Stripe call at all, and a later period reuses the customer', async () => {
    const before = mock.requests.length;
    const again = await h.request('POST', '/v1/billing-runs', { body: { period: '2026-09' } });
    await h.temporal.workflow.getHandle(again.body.workflowId).result();
    await h.temporal.workflow.execute('billTenant', {
      workflowId: `billing:${consumer.org.id}:2026-09`,
      taskQueue: h.config.temporal.taskQueue,
      args: [{ orgId: consumer.org.id, period: '2026-09' }],
    });
    expect(mock.requests.length).toBe(before);

    const october = await h.request('POST', '/v1/billing-runs', { body: { period: '2026-10' } });
    await h.temporal.workflow.getHandle(october.body.workflowId).result();
    expect(requestsTo('POST', /^\/v1\/customers$/)).toHaveLength(1);
    expect(requestsTo('POST', /^\/v1\/invoices$/).map((r) => r.idempotencyKey)).toContain(
      `bazaar:${consumer.org.id}:2026-10:usd:invoice`,
    );
  });

  it('a retried sync sends the same idempotency keys again, so Stripe charges once', async () => {
    // As if the worker had died after Stripe answered but before the ids were stored.
    const { rows } = await h.db.query(
      `UPDATE invoices SET status = 'draft', stripe_invoice_id = NULL WHERE org_id = $1 AND period = '2026-09-01'
       RETURNING id`,
      [consumer.org.id],
    );
    await h.db.query('UPDATE invoice_lines SET stripe_invoice_item_id = NULL WHERE invoice_id = $1', [
      rows[0].id,
    ]);
    const firstKeys = requestsTo('POST', /^\/v1\/invoiceitems$/)
      .filter((r) => r.idempotencyKey!.includes(':2026-09:'))
      .map((r) => r.idempotencyKey);
    const before = mock.requests.length;
    await h.temporal.workflow.execute('billTenant', {
      workflowId: `billing:${consumer.org.id}:2026-09`,
      taskQueue: h.config.temporal.taskQueue,
      args: [{ orgId: consumer.org.id, period: '2026-09' }],
    });
    const resent = mock.requests.slice(before);
    expect(
      resent
        .filter((r) => r.path === '/v1/invoiceitems')
        .map((r) => r.idempotencyKey)
        .sort(),
    ).toEqual([...firstKeys].sort());
    expect(resent.find((r) => r.path === '/v1/invoices')!.idempotencyKey).toBe(
      `bazaar:${consumer.org.id}:2026-09:usd:invoice`,
    );
    expect(resent.filter((r) => r.path === '/v1/customers')).toHaveLength(0);
  });
});

describe('a worker killed mid-billing', () => {
  let mock: StripeMock;
  let h: Harness;
  const workers = new WorkerProcesses(
    () => h,
    () => ({ BILLING_SCHEDULE: 'false', ...mock.env }),
  );
  const tenants: string[] = [];

  beforeAll(async () => {
    mock = await startStripeMock({ delayMs: 300 }); // a slow Stripe, so the kill lands mid-sync
    h = await startHarness({
      ownDatabase: true,
      env: { ...mock.env, BAZAAR_ROLES: 'api', BILLING_SCHEDULE: 'false' },
    });
    const publisher = await h.createOrg('publisher');
    for (let i = 0; i < 6; i++) {
      const consumer = await h.createOrg(`consumer ${i}`);
      tenants.push(consumer.org.id);
      await seedTenant(h.db, publisher.org.id, consumer.org.id);
    }
    await workers.start();
  }, 120_000);
  afterAll(async () => {
    workers.killAll();
    await h?.stop();
    await mock?.stop();
  });

  it('finishes on another worker with one invoice per tenant and every line charged under one key', async () => {
    const run = await h.request('POST', '/v1/billing-runs', { body: { period: '2026-09' } });
    expect(run.status).toBe(202);
    await waitFor(
      async () => mock.requests.some((r) => r.path === '/v1/invoiceitems'),
      'the first invoice item',
      60_000,
    );
    workers.killAll();
    const finalBeforeRestart = await h.db.query(
      `SELECT count(*)::int AS n FROM invoices WHERE status = 'final'`,
    );
    expect(finalBeforeRestart.rows[0].n).toBeLessThan(tenants.length); // killed mid-run
    await workers.start();

    const result = await h.temporal.workflow.getHandle(run.body.workflowId).result();
    expect(result).toEqual({ period: '2026-09', tenants: tenants.length, invoices: tenants.length });

    const invoices = await h.db.query(
      `SELECT org_id, status, total_minor::int AS total, stripe_invoice_id FROM invoices ORDER BY org_id`,
    );
    expect(invoices.rows.map((row) => row.org_id)).toEqual([...tenants].sort());
    for (const row of invoices.rows) expect(row).toMatchObject({ status: 'final', total: 2100 });
    const lines = await h.db.query(
      `SELECT idempotency_key, stripe_invoice_item_id FROM invoice_lines WHERE amount_minor <> 0`,
    );
    expect(lines.rows).toHaveLength(tenants.length * 3);
    for (const line of lines.rows) expect(line.stripe_invoice_item_id).toMatch(/^ii_/);
    // Retries may repeat a request, but only ever under the line's own key: one charge per line.
    const itemKeys = new Set(
      mock.requests.filter((r) => r.path === '/v1/invoiceitems').map((r) => r.idempotencyKey),
    );
    expect([...itemKeys].sort()).toEqual(lines.rows.map((line) => line.idempotency_key).sort());
    const invoiceKeys = new Set(
      mock.requests.filter((r) => r.path === '/v1/invoices').map((r) => r.idempotencyKey),
    );
    expect(invoiceKeys.size).toBe(tenants.length);
    const unbilled = await h.db.query(
      `SELECT count(*)::int AS n FROM usage_monthly WHERE (events, invocations, tokens_in, tokens_out, cost)
         IS DISTINCT FROM (billed_events, billed_invocations, billed_tokens_in, billed_tokens_out, billed_cost)`,
    );
    const aggregates = await h.db.query('SELECT count(*)::int AS n FROM usage_monthly');
    expect(aggregates.rows[0].n).toBe(tenants.length * 2);
    expect(unbilled.rows[0].n).toBe(0);

    // All six tenants are one batch; its history shows a Stripe sync picked up again after the kill.
    const history = await h.temporal.workflow
      .getHandle(billingBatchWorkflowId('2026-09', [...tenants].sort()[0]!))
      .fetchHistory();
    const attempts = history
      .events!.filter((event) => event.activityTaskStartedEventAttributes)
      .map((event) => Number(event.activityTaskStartedEventAttributes!.attempt));
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
