import { createRoute, z } from '@hono/zod-openapi';
import { asOrgPrincipal } from '../../domain/auth/principal.js';
import { findInvoice, invoiceLineKinds, listInvoices } from '../../domain/billing/repository.js';
import { notFound } from '../../domain/errors.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonResponse, access } from '../openapi.js';
import { createRouter } from '../router.js';

/** A billing period, YYYY-MM (a calendar month, UTC). */
export const periodParam = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
  .openapi({ example: '2026-10' });

const lineSchema = z
  .object({
    id: z.uuid(),
    listingId: z.uuid(),
    listingSlug: z.string(),
    kind: z.enum(invoiceLineKinds).openapi({
      description:
        'What the line charges for; adjustment kinds are late usage of an earlier month; tool_usage is the ' +
        "platform gateway's tool charges (at the tools' prices), kept apart from the listing's own usage",
    }),
    servicePeriod: z
      .string()
      .openapi({ description: 'The month charged for (earlier than the invoice for late usage)' }),
    description: z.string(),
    invocations: z.number().int(),
    tokens: z.number().int(),
    days: z.number().int().nullable().openapi({ description: 'Subscription days in the month' }),
    amountMinor: z.number().int().openapi({ description: 'Integer minor units of the currency (cents)' }),
    amount: z.string().openapi({ description: 'Exact decimal in major units' }),
    stripeInvoiceItemId: z.string().nullable(),
  })
  .openapi('InvoiceLine');

const invoiceSchema = z
  .object({
    id: z.uuid(),
    period: z.string(),
    currency: z.string(),
    status: z.enum(['draft', 'final']),
    totalMinor: z.number().int().openapi({ description: 'The sum of the lines’ amountMinor' }),
    total: z.string(),
    stripeInvoiceId: z.string().nullable(),
    createdAt: z.iso.datetime(),
    finalizedAt: z.iso.datetime().nullable(),
    lines: z.array(lineSchema),
  })
  .openapi('Invoice');

const listInvoicesRoute = createRoute({
  method: 'get',
  path: '/v1/invoices',
  tags: ['billing'],
  summary: "The organisation's invoices with their lines, newest first",
  ...access('org-member'),
  request: { query: z.object({ period: periodParam.optional() }) },
  responses: {
    200: jsonResponse(z.object({ invoices: z.array(invoiceSchema) }), 'Invoices'),
    ...errorResponses(400, 401, 403),
  },
});

const getInvoiceRoute = createRoute({
  method: 'get',
  path: '/v1/invoices/{id}',
  tags: ['billing'],
  summary: 'One invoice with its lines',
  ...access('org-member', { param: 'id', kind: 'invoice' }),
  request: { params: z.object({ id: z.uuid() }) },
  responses: { 200: jsonResponse(invoiceSchema, 'The invoice'), ...errorResponses(400, 401, 403, 404) },
});

/** Invoices: a consumer organisation's monthly bills. */
export function invoiceRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(listInvoicesRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      return c.json({ invoices: await listInvoices(deps.db, principal.orgId, c.req.valid('query')) }, 200);
    })
    .openapi(getInvoiceRoute, async (c) => {
      const principal = asOrgPrincipal(c.get('principal'));
      const invoice = await findInvoice(deps.db, c.req.valid('param').id, principal.orgId);
      if (!invoice) throw notFound('invoice');
      return c.json(invoice, 200);
    });
}
