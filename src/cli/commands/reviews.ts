// bazaar reviews, bazaar review approve|reject <version> --reason.
import type { Command } from 'commander';
import { action } from '../action.js';
import { unwrap, type Context } from '../context.js';
import { CliError, exitCodes, usageError } from '../errors.js';
import { followReview } from '../follow-review.js';
import { table } from '../output.js';

/** A version id, given as such or as `slug@version` of a version in the review queue. */
async function resolveVersion(ctx: Context, target: string): Promise<string> {
  const at = target.lastIndexOf('@');
  if (at <= 0) return target;
  const [slug, version] = [target.slice(0, at), target.slice(at + 1)];
  // The queue may not show a version whose review is still starting: look for a few seconds.
  for (let attempt = 0; attempt < 20; attempt++) {
    const { reviews } = await unwrap(
      ctx.client().GET('/v1/reviews', { params: { query: { status: 'pending' } } }),
    );
    const found = reviews.find((r) => r.listing.slug === slug && r.version.version === version);
    if (found) return found.version.id;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new CliError(`${target} is not awaiting review: see bazaar reviews`, exitCodes.refused);
}

/** Adds reviews and review approve|reject. */
export function registerReviews(program: Command) {
  program
    .command('reviews')
    .description('the review queue (reviewers and platform admins)')
    .action(
      action(async (ctx) => {
        const { reviews } = await unwrap(
          ctx.client().GET('/v1/reviews', { params: { query: { status: 'pending' } } }),
        );
        ctx.print(reviews, () =>
          table(reviews, [
            { header: 'version id', value: (r) => r.version.id },
            { header: 'listing', value: (r) => `${r.listing.slug}@${r.version.version}` },
            { header: 'description', value: (r) => r.version.manifest.description.slice(0, 60) },
            { header: 'submitted', value: (r) => r.version.submittedAt },
          ]),
        );
      }),
    );

  const review = program.command('review').description('decide on a version in review');
  for (const decision of ['approve', 'reject'] as const) {
    review
      .command(decision)
      .description(`${decision} a version in review and wait for the outcome`)
      .argument('<version>', 'version id, or slug@version')
      .option(
        '--reason <text>',
        `why (${decision === 'reject' ? 'required' : 'recorded in the audit trail'})`,
      )
      .option('--no-wait', 'answer once the decision is delivered')
      .action(
        action<{ reason?: string; wait: boolean }>(async (ctx, [target], options) => {
          if (decision === 'reject' && !options.reason?.trim())
            throw usageError('a rejection needs --reason');
          const versionId = await resolveVersion(ctx, target!);
          const { workflowId } = await unwrap(
            ctx.client().POST('/v1/reviews/{versionId}/decision', {
              params: { path: { versionId } },
              body: { decision, reason: options.reason },
            }),
          );
          ctx.progress(`${decision === 'approve' ? 'approved' : 'rejected'} ${target}`);
          const outcome = options.wait ? await followReview(ctx, workflowId, 120) : { phase: 'decided' };
          ctx.print(
            { versionId, workflowId, decision, ...outcome },
            () => `${target}: ${outcome.phase.replace(/_/g, ' ')}`,
          );
          return decision === 'approve' && options.wait && outcome.phase !== 'published'
            ? exitCodes.failed
            : exitCodes.ok;
        }),
      );
  }
}
