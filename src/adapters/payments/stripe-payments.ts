import Stripe from 'stripe';
import type { NewInvoice, NewInvoiceItem, PaymentsGateway } from './payments-gateway.js';

/** Where the Stripe client connects: Stripe itself by default, or stripe-mock (host, port, http). */
export interface StripeOptions {
  secretKey: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

/** Stripe as Bazaar's payment provider: customers, invoice items and invoices, all with idempotency keys. */
export class StripePayments implements PaymentsGateway {
  private readonly stripe: Stripe;

  constructor(options: StripeOptions) {
    this.stripe = new Stripe(options.secretKey, {
      ...(options.host ? { host: options.host } : {}),
      ...(options.port ? { port: options.port } : {}),
      ...(options.protocol ? { protocol: options.protocol } : {}),
      // Bounded so that one call stays well inside the activity's heartbeat timeout.
      maxNetworkRetries: 1,
      timeout: 10_000,
    });
  }

  async createCustomer(input: { orgId: string; name: string; idempotencyKey: string }): Promise<string> {
    const customer = await this.stripe.customers.create(
      { name: input.name, metadata: { bazaarOrgId: input.orgId } },
      { idempotencyKey: input.idempotencyKey },
    );
    return customer.id;
  }

  async createInvoice(input: NewInvoice): Promise<string> {
    const invoice = await this.stripe.invoices.create(
      {
        customer: input.customerId,
        currency: input.currency,
        description: input.description,
        metadata: input.metadata,
        // Bazaar adds the lines itself, to this invoice only; collection starts at finalisation.
        auto_advance: false,
        pending_invoice_items_behavior: 'exclude',
      },
      { idempotencyKey: input.idempotencyKey },
    );
    return invoice.id!;
  }

  async addInvoiceItem(input: NewInvoiceItem): Promise<string> {
    const amount = Number(input.amountMinor);
    if (!Number.isSafeInteger(amount)) throw new Error(`amount ${input.amountMinor} is too large for Stripe`);
    const item = await this.stripe.invoiceItems.create(
      {
        customer: input.customerId,
        invoice: input.invoiceId,
        amount,
        currency: input.currency,
        description: input.description,
        metadata: input.metadata,
      },
      { idempotencyKey: input.idempotencyKey },
    );
    return item.id;
  }

  async finalizeInvoice(input: { invoiceId: string; idempotencyKey: string }): Promise<void> {
    await this.stripe.invoices.finalizeInvoice(input.invoiceId, {}, { idempotencyKey: input.idempotencyKey });
  }
}

/** True for Stripe errors that will fail the same way however often they are retried (bad request, auth). */
export function isPermanentStripeError(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError ||
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError ||
    error instanceof Stripe.errors.StripeIdempotencyError
  );
}
