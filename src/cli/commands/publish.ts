// bazaar publish [dir]: listing (created if missing), version, artifact, submit, and with --wait the
// review's decision.
import type { Command } from 'commander';
import { action } from '../action.js';
import { loadAgentDir, type AgentDir, type ListingOverrides } from '../agent-dir.js';
import { unwrap, type Context } from '../context.js';
import { CliError, exitCodes } from '../errors.js';
import { followReview } from '../follow-review.js';
import { packAgent } from '../pack.js';

interface PublishOptions extends ListingOverrides {
  wait?: boolean;
  timeout: string;
}

/** The listing, created from bazaar.json's `listing` when the caller has none of that slug. */
async function ensureListing(ctx: Context, agent: AgentDir) {
  const client = ctx.client();
  const found = await client.GET('/v1/listings/{id}', { params: { path: { id: agent.listing.slug } } });
  if (found.response.ok && found.data) return found.data;
  if (found.response.status !== 404) await unwrap(Promise.resolve(found));
  ctx.progress(`creating listing ${agent.listing.slug}`);
  await unwrap(client.POST('/v1/listings', { body: agent.listing }));
  return unwrap(client.GET('/v1/listings/{id}', { params: { path: { id: agent.listing.slug } } }));
}

/** The draft version: created, or (when a draft of that version exists) updated from the manifest. */
async function draftVersion(ctx: Context, agent: AgentDir) {
  const client = ctx.client();
  const path = { id: agent.listing.slug, version: agent.manifest.version };
  const body = agent.rawManifest as never;
  const created = await client.POST('/v1/listings/{id}/versions', {
    params: { path: { id: path.id } },
    body,
  });
  if (created.response.ok && created.data) {
    ctx.progress(`created version ${path.version} (draft)`);
    return created.data;
  }
  if (created.response.status === 404) {
    // The listing was found (it is public), yet its versions are not ours to add to.
    throw new CliError(
      `the listing ${path.id} belongs to another organisation: choose another slug in ${agent.file}`,
      exitCodes.refused,
    );
  }
  if (created.response.status !== 409) return unwrap(Promise.resolve(created));
  const listing = await unwrap(client.GET('/v1/listings/{id}', { params: { path: { id: path.id } } }));
  const existing = listing.versions.find((version) => version.version === path.version);
  if (existing?.status === 'draft') {
    ctx.progress(`updating draft version ${path.version}`);
    return unwrap(client.PUT('/v1/listings/{id}/versions/{version}', { params: { path }, body }));
  }
  const status = existing?.status.replace('_', ' ') ?? 'taken';
  throw new CliError(
    `version ${path.version} of ${path.id} already exists and is ${status}; a version is immutable once submitted, ` +
      `so raise "version" in ${agent.file} to publish a change`,
    exitCodes.refused,
  );
}

/** Adds publish. */
export function registerPublish(program: Command) {
  program
    .command('publish')
    .description('create the listing if missing, the version, upload the code, submit for review')
    .argument('[dir]', 'the agent directory', '.')
    .option('--wait', 'follow the review and exit with its decision (non-zero unless published)')
    .option('--timeout <seconds>', 'how long --wait waits for the decision', '1800')
    .option('--slug <slug>', 'listing slug, overriding bazaar.json')
    .option('--name <name>', 'listing name, overriding bazaar.json')
    .option('--category <category>', 'listing category, overriding bazaar.json')
    .action(
      action<PublishOptions>(async (ctx, [target = '.'], options) => {
        const timeout = Number(options.timeout);
        if (!Number.isFinite(timeout) || timeout <= 0)
          throw new CliError('--timeout is a number of seconds', exitCodes.usage);
        const agent = await loadAgentDir(target, options);
        ctx.progress(`${agent.file} is valid: ${agent.listing.slug} ${agent.manifest.version}`);
        const packed = agent.manifest.runtime.kind === 'process' ? await packAgent(agent.dir) : undefined;
        if (packed)
          ctx.progress(
            `packed ${packed.files.length} file(s), ${packed.archive.length} bytes, sha256 ${packed.sha256.slice(0, 12)}…`,
          );
        const listing = await ensureListing(ctx, agent);
        const version = await draftVersion(ctx, agent);
        const path = { id: listing.slug, version: version.version };
        if (packed) {
          await unwrap(
            ctx.client().PUT('/v1/listings/{id}/versions/{version}/artifact', {
              params: { path },
              body: packed.archive as never,
              bodySerializer: (archive: unknown) => archive as BodyInit,
              headers: { 'content-type': 'application/gzip' },
            }),
          );
          ctx.progress('uploaded the code');
        }
        const { workflowId } = await unwrap(
          ctx.client().POST('/v1/listings/{id}/versions/{version}/submit', { params: { path } }),
        );
        ctx.progress(`submitted for review (${workflowId})`);
        const result = {
          listing: listing.slug,
          listingId: listing.id,
          version: version.version,
          versionId: version.id,
          workflowId,
          sha256: packed?.sha256 ?? null,
        };
        if (!options.wait) {
          ctx.print({ ...result, phase: 'in_review' }, () =>
            [
              `${listing.slug} ${version.version} is in review (version id ${version.id}).`,
              `A reviewer decides with: bazaar review approve ${listing.slug}@${version.version} --reason "..."`,
            ].join('\n'),
          );
          return;
        }
        const outcome = await followReview(ctx, workflowId, timeout);
        ctx.print({ ...result, ...outcome }, () =>
          outcome.phase === 'published'
            ? `${listing.slug} ${version.version} is published.`
            : outcome.phase === 'timeout'
              ? `${listing.slug} ${version.version} is still in review after ${timeout} s; the review goes on.`
              : `${listing.slug} ${version.version} was not published: ${outcome.phase.replace(/_/g, ' ')}${outcome.reason ? `: ${outcome.reason}` : ''}`,
        );
        return outcome.phase === 'published' ? exitCodes.ok : exitCodes.failed;
      }),
    );
}
