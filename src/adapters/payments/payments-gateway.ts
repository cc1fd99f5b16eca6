/** A payment provider's side of Bazaar's invoices. Every call carries an idempotency key, so a retried call never charges twice. */
export interface PaymentsGateway {
  /** Creates the organisation's customer; the same key returns the same customer. */
  createCustomer(input: { orgId: string; name: string; idempotencyKey: string }): Promise<string>;
  /** Creates a draft invoice for the customer in one currency; returns its id. */
  createInvoice(input: NewInvoice): Promise<string>;
  /** Adds one line, in integer minor units (negative for a credit), to a draft invoice; returns its id. */
  addInvoiceItem(input: NewInvoiceItem): Promise<string>;
  /** Finalises the invoice so the provider collects it. */
  finalizeInvoice(input: { invoiceId: string; idempotencyKey: string }): Promise<void>;
}

/** A draft invoice for one customer and currency. */
export interface NewInvoice {
  customerId: string;
  currency: string;
  description: string;
  metadata: Record<string, string>;
  idempotencyKey: string;
}

/** One line of a draft invoice, in integer minor units. */
export interface NewInvoiceItem extends NewInvoice {
  invoiceId: string;
  amountMinor: bigint;
}
