import { nonRetryable } from '../domain/failures.js';
import { heartbeat } from '@temporalio/activity';
import { isPermanentStripeError, type PaymentsGateway } from '../adapters/payments/index.js';
import { withTransaction, type Db } from '../db/pool.js';
import { buildTenantInvoices, tenantsToBill, type InvoiceRef } from '../domain/billing/build-invoices.js';
import { isPeriod } from '../domain/billing/period.js';
import {
  finalizeInvoices,
  findStripeCustomer,
  loadInvoiceForSync,
  saveStripeCustomer,
  saveStripeInvoice,
  saveStripeInvoiceItem,
} from '../domain/billing/repository.js';
import type { Logger } from '../logger.js';

/** What the billing activities need. */
export interface BillingActivityDeps {
  db: Db;
  logger: Logger;
  /** The payment provider; none: invoices live in PostgreSQL only. */
  payments?: PaymentsGateway | null;
  /** The platform's share of every invoice line, in percent (exact decimal string). */
  platformFeePercent?: string;
}

/** The activities of the billing workflows. */
export type BillingActivities = ReturnType<typeof createBillingActivities>;

function checkPeriod(period: string): void {
  if (!isPeriod(period)) throw nonRetryable('InvalidPeriod', `not a billing period: ${period}`);
}

/**
 * Builds the billing activities. Building is idempotent (a tenant's invoices for a period are built
 * once, in one transaction); syncing to Stripe stores each id as soon as Stripe returns it and sends
 * idempotency keys derived from tenant, period and line, so a retry never creates a second charge.
 */
export function createBillingActivities({
  db,
  logger,
  payments = null,
  platformFeePercent = '20',
}: BillingActivityDeps) {
  /** Runs a Stripe call, turning errors that cannot heal into non-retryable failures. */
  async function stripeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isPermanentStripeError(error)) {
        throw nonRetryable('StripeRefused', `Stripe refused to ${what}: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  return {
    /** The organisations with anything to bill for the period, in id order, a page at a time when limited. */
    async listTenantsToBill({
      period,
      afterOrgId,
      limit,
    }: {
      period: string;
      afterOrgId?: string;
      limit?: number;
    }): Promise<string[]> {
      checkPeriod(period);
      return tenantsToBill(db, period, { afterOrgId, limit });
    },

    /**
     * Builds the tenant's invoices for the period (one per currency) from its unbilled usage,
     * subscriptions and one-time fees, or returns those built before. Without a payment provider
     * they are final at once; with one they stay drafts until synced.
     */
    async buildTenantInvoices({
      orgId,
      period,
    }: {
      orgId: string;
      period: string;
    }): Promise<{ invoices: InvoiceRef[] }> {
      checkPeriod(period);
      const invoices = await buildTenantInvoices(db, {
        orgId,
        period,
        platformFeePercent,
        finalize: payments === null,
      });
      return { invoices };
    },

    /**
     * Puts one invoice on Stripe: the tenant's customer (created once), a draft invoice, one invoice
     * item per non-zero line, then finalisation. Each step is skipped when its id is already stored.
     */
    async syncInvoiceToStripe({
      invoiceId,
    }: {
      invoiceId: string;
    }): Promise<{ stripeInvoiceId: string | null }> {
      if (!payments) return { stripeInvoiceId: null };
      const invoice = await loadInvoiceForSync(db, invoiceId);
      if (!invoice) throw nonRetryable('InvoiceNotFound', `invoice ${invoiceId} does not exist`);
      if (invoice.status === 'final') return { stripeInvoiceId: invoice.stripeInvoiceId };
      const chargeable = invoice.lines.filter((line) => line.amountMinor !== 0n);
      if (chargeable.length === 0) return { stripeInvoiceId: null };

      const customerId =
        (await findStripeCustomer(db, invoice.orgId)) ??
        (await saveStripeCustomer(
          db,
          invoice.orgId,
          await stripeCall('create a customer', () =>
            payments.createCustomer({
              orgId: invoice.orgId,
              name: invoice.orgName,
              idempotencyKey: `bazaar:customer:${invoice.orgId}`,
            }),
          ),
        ));
      const metadata = { bazaarOrgId: invoice.orgId, bazaarInvoiceId: invoice.id, period: invoice.period };
      let stripeInvoiceId = invoice.stripeInvoiceId;
      if (!stripeInvoiceId) {
        stripeInvoiceId = await stripeCall('create an invoice', () =>
          payments.createInvoice({
            customerId,
            currency: invoice.currency,
            description: `Bazaar usage ${invoice.period}`,
            metadata,
            idempotencyKey: `bazaar:${invoice.orgId}:${invoice.period}:${invoice.currency}:invoice`,
          }),
        );
        await saveStripeInvoice(db, invoice.id, { customerId, invoiceId: stripeInvoiceId });
      }
      heartbeat();
      for (const line of chargeable) {
        if (line.stripeInvoiceItemId) continue;
        const itemId = await stripeCall('add an invoice item', () =>
          payments.addInvoiceItem({
            customerId,
            invoiceId: stripeInvoiceId!,
            amountMinor: line.amountMinor,
            currency: invoice.currency,
            description: line.description,
            metadata: { ...metadata, bazaarLineId: line.id },
            idempotencyKey: line.idempotencyKey,
          }),
        );
        await saveStripeInvoiceItem(db, line.id, itemId);
        heartbeat();
      }
      await stripeCall('finalise the invoice', () =>
        payments.finalizeInvoice({
          invoiceId: stripeInvoiceId!,
          idempotencyKey: `bazaar:${invoice.orgId}:${invoice.period}:${invoice.currency}:finalize`,
        }),
      );
      logger.info({ invoiceId, stripeInvoiceId }, 'invoice synced to Stripe');
      return { stripeInvoiceId };
    },

    /** Marks the invoices final (only from draft). */
    async finalizeTenantInvoices({ invoiceIds }: { invoiceIds: string[] }): Promise<void> {
      await withTransaction(db, (tx) => finalizeInvoices(tx, invoiceIds));
    },
  };
}
