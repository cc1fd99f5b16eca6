// bazaar search "<what you need>", bazaar show <listing>.
import type { Command } from 'commander';
import { action } from '../action.js';
import { unwrap } from '../context.js';
import { usageError } from '../errors.js';
import { fields, table } from '../output.js';

const pricingModels = ['free', 'usage_based', 'subscription', 'one_time'] as const;

/** Adds search and show. */
export function registerCatalog(program: Command) {
  program
    .command('search')
    .description('find published agents by describing what you need')
    .argument('<query>', 'what you need, in words')
    .option('--category <category>', 'only this category')
    .option('--pricing <model>', `only this pricing model (${pricingModels.join(', ')})`)
    .option('--tag <tag...>', 'only listings with these tags')
    .option('--limit <n>', 'at most this many results', '10')
    .action(
      action<{ category?: string; pricing?: string; tag?: string[]; limit: string }>(
        async (ctx, [q], options) => {
          const pricingModel = options.pricing as (typeof pricingModels)[number] | undefined;
          if (pricingModel && !pricingModels.includes(pricingModel))
            throw usageError(`--pricing is one of ${pricingModels.join(', ')}`);
          const { results } = await unwrap(
            ctx.client().GET('/v1/search', {
              params: {
                query: {
                  q: q!,
                  category: options.category,
                  pricingModel,
                  tags: options.tag,
                  limit: Number(options.limit),
                },
              },
            }),
          );
          ctx.print(results, () =>
            table(results, [
              { header: 'slug', value: (r) => r.listing.slug },
              { header: 'name', value: (r) => r.listing.name },
              { header: 'pricing', value: (r) => r.listing.pricingModel },
              { header: 'rating', value: (r) => r.listing.rating },
              { header: 'score', value: (r) => r.score.toFixed(2) },
            ]),
          );
        },
      ),
    );

  program
    .command('show')
    .description('a listing: what it does, its price, the credentials it needs, its versions')
    .argument('<listing>', 'listing slug or id')
    .action(
      action(async (ctx, [id]) => {
        const listing = await unwrap(
          ctx.client().GET('/v1/listings/{id}', { params: { path: { id: id! } } }),
        );
        const latest =
          listing.versions.find((v) => v.version === listing.latestVersion) ?? listing.versions.at(-1);
        const manifest = latest?.manifest;
        ctx.print(listing, () =>
          [
            fields([
              ['listing', `${listing.slug} (${listing.name})`],
              ['id', listing.id],
              ['category', listing.category],
              ['tags', listing.tags.join(', ')],
              ['latest', listing.latestVersion],
              ['description', manifest?.description],
              ['pricing', manifest ? JSON.stringify(manifest.pricing) : null],
              ['credentials', manifest?.requiredCredentials.map((c) => c.name).join(', ')],
              ['runtime', manifest?.runtime.kind],
            ]),
            '',
            table(listing.versions, [
              { header: 'version', value: (v) => v.version },
              { header: 'status', value: (v) => v.status },
              { header: 'id', value: (v) => v.id },
              { header: 'reason', value: (v) => v.statusReason },
            ]),
          ].join('\n'),
        );
      }),
    );
}
