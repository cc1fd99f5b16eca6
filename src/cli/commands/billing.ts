// bazaar usage, bazaar invoices.
import type { Command } from 'commander';
import { action } from '../action.js';
import { unwrap } from '../context.js';
import { fields, table } from '../output.js';

/** Adds usage and invoices. */
export function registerBilling(program: Command) {
  program
    .command('usage')
    .description("your organisation's metered usage per listing")
    .option('--from <date>', 'from this date or time (inclusive)')
    .option('--to <date>', 'until this date or time (exclusive)')
    .option('--listing <listing>', 'only this listing (slug or id)')
    .action(
      action<{ from?: string; to?: string; listing?: string }>(async (ctx, _args, options) => {
        const { usage } = await unwrap(
          ctx.client().GET('/v1/usage', {
            params: { query: { from: options.from, to: options.to, listing: options.listing } },
          }),
        );
        ctx.print(usage, () =>
          table(usage, [
            { header: 'listing', value: (u) => u.listingSlug },
            { header: 'invocations', value: (u) => u.invocations },
            { header: 'tokens in', value: (u) => u.tokensIn },
            { header: 'tokens out', value: (u) => u.tokensOut },
            { header: 'avg ms', value: (u) => Math.round(u.averageDurationMs) },
            { header: 'cost', value: (u) => `${u.cost} ${u.currency}` },
          ]),
        );
      }),
    );

  program
    .command('invoices')
    .description("your organisation's invoices, or one invoice's lines")
    .argument('[id]', 'an invoice id')
    .action(
      action(async (ctx, [id]) => {
        if (id) {
          const invoice = await unwrap(ctx.client().GET('/v1/invoices/{id}', { params: { path: { id } } }));
          return ctx.print(invoice, () =>
            [
              fields([
                ['invoice', invoice.id],
                ['period', invoice.period],
                ['status', invoice.status],
                ['total', `${invoice.total} ${invoice.currency}`],
              ]),
              '',
              table(invoice.lines, [
                { header: 'listing', value: (l) => l.listingSlug },
                { header: 'kind', value: (l) => l.kind },
                { header: 'description', value: (l) => l.description },
                { header: 'amount', value: (l) => l.amount },
              ]),
            ].join('\n'),
          );
        }
        const { invoices } = await unwrap(ctx.client().GET('/v1/invoices'));
        ctx.print(invoices, () =>
          table(invoices, [
            { header: 'id', value: (i) => i.id },
            { header: 'period', value: (i) => i.period },
            { header: 'status', value: (i) => i.status },
            { header: 'total', value: (i) => `${i.total} ${i.currency}` },
            { header: 'lines', value: (i) => i.lines.length },
          ]),
        );
      }),
    );
}
