import type pg from 'pg';
import type { Queryable } from '../../db/pool.js';
import { recordEvent } from '../events/repository.js';
import { formatMinor, minorToNumber } from './money.js';
import { periodStartDate } from './period.js';

/**
 * What an invoice line charges for; late usage of an earlier month comes as adjustment kinds;
 * tool_usage is the gateway's tool charges, the platform's (its fee is the whole line, no payout).
 */
export const invoiceLineKinds = [
  'usage',
  'free_allowance',
  'subscription',
  'one_time',
  'adjustment',
  'adjustment_free_allowance',
  'tool_usage',
] as const;

/** One invoice line as the API shows it. */
export interface InvoiceLine {
  id: string;
  listingId: string;
  listingSlug: string;
  kind: (typeof invoiceLineKinds)[number];
  servicePeriod: string;
  description: string;
  invocations: number;
  tokens: number;
  days: number | null;
  amountMinor: number;
  amount: string;
  stripeInvoiceItemId: string | null;
}

/** An invoice with its lines, as the API shows it. */
export interface Invoice {
  id: string;
  period: string;
  currency: string;
  status: 'draft' | 'final';
  totalMinor: number;
  total: string;
  stripeInvoiceId: string | null;
  createdAt: string;
  finalizedAt: string | null;
  lines: InvoiceLine[];
}

const INVOICE_COLUMNS = `i.id, to_char(i.period, 'YYYY-MM') AS period, i.currency, i.currency_exponent, i.status,
  i.total_minor::text, i.stripe_invoice_id, i.created_at, i.finalized_at`;

const LINE_COLUMNS = `l.id, l.invoice_id, l.listing_id, li.slug AS listing_slug, l.kind,
  to_char(l.service_period, 'YYYY-MM') AS service_period, l.description, l.invocations::text, l.tokens::text,
  l.days, l.amount_minor::text, l.idempotency_key, l.stripe_invoice_item_id`;

/** An invoices row as INVOICE_COLUMNS selects it. */
interface InvoiceRow {
  id: string;
  period: string;
  currency: string;
  currency_exponent: number;
  status: 'draft' | 'final';
  total_minor: string;
  stripe_invoice_id: string | null;
  created_at: Date;
  finalized_at: Date | null;
}

async function withLines(db: Queryable, invoiceRows: InvoiceRow[]): Promise<Invoice[]> {
  if (invoiceRows.length === 0) return [];
  const { rows } = await db.query(
    `SELECT ${LINE_COLUMNS} FROM invoice_lines l JOIN listings li ON li.id = l.listing_id
     WHERE l.invoice_id = ANY($1::uuid[]) ORDER BY l.invoice_id, l.kind, li.slug, l.service_period`,
    [invoiceRows.map((row) => row.id)],
  );
  return invoiceRows.map((row) => ({
    id: row.id,
    period: row.period,
    currency: row.currency,
    status: row.status,
    totalMinor: minorToNumber(row.total_minor),
    total: formatMinor(row.total_minor, row.currency_exponent),
    stripeInvoiceId: row.stripe_invoice_id,
    createdAt: row.created_at.toISOString(),
    finalizedAt: row.finalized_at?.toISOString() ?? null,
    lines: rows
      .filter((line) => line.invoice_id === row.id)
      .map((line) => ({
        id: line.id,
        listingId: line.listing_id,
        listingSlug: line.listing_slug,
        kind: line.kind,
        servicePeriod: line.service_period,
        description: line.description,
        invocations: minorToNumber(line.invocations),
        tokens: minorToNumber(line.tokens),
        days: line.days,
        amountMinor: minorToNumber(line.amount_minor),
        amount: formatMinor(line.amount_minor, row.currency_exponent),
        stripeInvoiceItemId: line.stripe_invoice_item_id,
      })),
  }));
}

/** An organisation's invoices, newest period first, each with its lines. */
export async function listInvoices(
  db: Queryable,
  orgId: string,
  filter: { period?: string } = {},
): Promise<Invoice[]> {
  const { rows } = await db.query<InvoiceRow>(
    `SELECT ${INVOICE_COLUMNS} FROM invoices i
     WHERE i.org_id = $1 AND ($2::date IS NULL OR i.period = $2::date) ORDER BY i.period DESC, i.currency`,
    [orgId, filter.period ? periodStartDate(filter.period) : null],
  );
  return withLines(db, rows);
}

/** One invoice of an organisation with its lines; null when missing or another organisation's. */
export async function findInvoice(db: Queryable, invoiceId: string, orgId: string): Promise<Invoice | null> {
  const { rows } = await db.query<InvoiceRow>(
    `SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE i.id = $1::uuid AND i.org_id = $2`,
    [invoiceId, orgId],
  );
  return (await withLines(db, rows))[0] ?? null;
}

/** What syncing an invoice to the payment provider needs: its tenant, lines and what is already done. */
export interface InvoiceForSync {
  id: string;
  orgId: string;
  orgName: string;
  period: string;
  currency: string;
  status: 'draft' | 'final';
  stripeInvoiceId: string | null;
  lines: Array<{
    id: string;
    description: string;
    amountMinor: bigint;
    idempotencyKey: string;
    stripeInvoiceItemId: string | null;
  }>;
}

/** Loads an invoice for syncing (any tenant: for activities only), or null. */
export async function loadInvoiceForSync(db: Queryable, invoiceId: string): Promise<InvoiceForSync | null> {
  const { rows } = await db.query(
    `SELECT i.id, i.org_id, o.name AS org_name, to_char(i.period, 'YYYY-MM') AS period, i.currency, i.status,
            i.stripe_invoice_id
     FROM invoices i JOIN organizations o ON o.id = i.org_id WHERE i.id = $1`,
    [invoiceId],
  );
  const invoice = rows[0];
  if (!invoice) return null;
  const lines = await db.query(
    `SELECT id, description, amount_minor::text, idempotency_key, stripe_invoice_item_id FROM invoice_lines
     WHERE invoice_id = $1 ORDER BY idempotency_key`,
    [invoiceId],
  );
  return {
    id: invoice.id,
    orgId: invoice.org_id,
    orgName: invoice.org_name,
    period: invoice.period,
    currency: invoice.currency,
    status: invoice.status,
    stripeInvoiceId: invoice.stripe_invoice_id,
    lines: lines.rows.map((line) => ({
      id: line.id,
      description: line.description,
      amountMinor: BigInt(line.amount_minor),
      idempotencyKey: line.idempotency_key,
      stripeInvoiceItemId: line.stripe_invoice_item_id,
    })),
  };
}

/** The organisation's Stripe customer id, if one was created. */
export async function findStripeCustomer(db: Queryable, orgId: string): Promise<string | null> {
  const { rows } = await db.query('SELECT customer_id FROM stripe_customers WHERE org_id = $1', [orgId]);
  return rows[0]?.customer_id ?? null;
}

/** Remembers the organisation's Stripe customer; the first one stored wins and is returned. */
export async function saveStripeCustomer(db: Queryable, orgId: string, customerId: string): Promise<string> {
  await db.query(
    'INSERT INTO stripe_customers (org_id, customer_id) VALUES ($1, $2) ON CONFLICT (org_id) DO NOTHING',
    [orgId, customerId],
  );
  return (await findStripeCustomer(db, orgId))!;
}

/** Stores the Stripe ids of an invoice (kept once set). */
export async function saveStripeInvoice(
  db: Queryable,
  invoiceId: string,
  ids: { customerId: string; invoiceId: string },
): Promise<void> {
  await db.query(
    `UPDATE invoices SET stripe_customer_id = COALESCE(stripe_customer_id, $2),
       stripe_invoice_id = COALESCE(stripe_invoice_id, $3) WHERE id = $1`,
    [invoiceId, ids.customerId, ids.invoiceId],
  );
}

/** Stores the Stripe invoice item id of a line (kept once set). */
export async function saveStripeInvoiceItem(db: Queryable, lineId: string, itemId: string): Promise<void> {
  await db.query(
    'UPDATE invoice_lines SET stripe_invoice_item_id = COALESCE(stripe_invoice_item_id, $2) WHERE id = $1',
    [lineId, itemId],
  );
}

/**
 * Marks invoices final (only from draft; already final is success) and records invoice.finalized for
 * each one this call moved, in the caller's transaction.
 */
export async function finalizeInvoices(tx: pg.PoolClient, invoiceIds: string[]): Promise<void> {
  const { rows } = await tx.query(
    `UPDATE invoices SET status = 'final', finalized_at = now() WHERE id = ANY($1::uuid[]) AND status = 'draft'
     RETURNING id, org_id, to_char(period, 'YYYY-MM') AS period, currency, total_minor::text`,
    [invoiceIds],
  );
  await recordInvoicesFinalized(tx, rows);
}

/** Records invoice.finalized for invoices just made final (rows: id, org_id, period, currency, total_minor). */
export async function recordInvoicesFinalized(
  tx: pg.PoolClient,
  rows: { id: string; org_id: string; period: string; currency: string; total_minor: string }[],
): Promise<void> {
  for (const row of rows) {
    await recordEvent(tx, {
      orgId: row.org_id,
      type: 'invoice.finalized',
      data: { invoiceId: row.id, period: row.period, currency: row.currency, totalMinor: row.total_minor },
    });
  }
}

/** A publisher's revenue from one listing in one period and currency. */
export interface Payout {
  listingId: string;
  listingSlug: string;
  period: string;
  currency: string;
  lines: number;
  grossMinor: number;
  platformFeeMinor: number;
  payoutMinor: number;
  gross: string;
  platformFee: string;
  payout: string;
}

/**
 * A publisher's revenue per listing, period (of the invoice) and currency, from the lines of final
 * invoices: gross billed, platform fee, and payout (payout + fee = gross exactly). The gateway's
 * tool charges are the platform's, not the listing's revenue: their lines are left out.
 */
export async function listPayouts(
  db: Queryable,
  publisherOrgId: string,
  filter: { period?: string } = {},
): Promise<Payout[]> {
  const { rows } = await db.query(
    `SELECT l.listing_id, li.slug, to_char(i.period, 'YYYY-MM') AS period, i.currency, i.currency_exponent,
            count(*)::int AS lines, sum(l.amount_minor)::text AS gross, sum(l.platform_fee_minor)::text AS fee,
            sum(l.payout_minor)::text AS payout
     FROM invoice_lines l
     JOIN invoices i ON i.id = l.invoice_id
     JOIN listings li ON li.id = l.listing_id
     WHERE l.publisher_org_id = $1 AND i.status = 'final' AND ($2::date IS NULL OR i.period = $2::date)
       AND l.kind <> 'tool_usage'
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 3 DESC, 2, 4`,
    [publisherOrgId, filter.period ? periodStartDate(filter.period) : null],
  );
  return rows.map((row) => ({
    listingId: row.listing_id,
    listingSlug: row.slug,
    period: row.period,
    currency: row.currency,
    lines: row.lines,
    grossMinor: minorToNumber(row.gross),
    platformFeeMinor: minorToNumber(row.fee),
    payoutMinor: minorToNumber(row.payout),
    gross: formatMinor(row.gross, row.currency_exponent),
    platformFee: formatMinor(row.fee, row.currency_exponent),
    payout: formatMinor(row.payout, row.currency_exponent),
  }));
}
