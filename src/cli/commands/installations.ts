// bazaar install, installations, upgrade, uninstall.
import type { Command } from 'commander';
import { action } from '../action.js';
import { unwrap } from '../context.js';
import { parseCredentialOption, storeMissingCredentials } from '../credentials.js';
import { CliError, exitCodes, usageError } from '../errors.js';
import { resolveInstallation, waitForInstallation } from '../installations.js';
import { fields, table } from '../output.js';

interface InstallOptions {
  version?: string;
  budget?: string;
  credential?: string[];
  wait: boolean;
  timeout: string;
  quiet?: boolean;
}

/** Adds install, installations, upgrade and uninstall. */
export function registerInstallations(program: Command) {
  program
    .command('install')
    .description('install a listing: store the credentials it needs, provision it, wait until active')
    .argument('<listing>', 'listing slug or id')
    .option('--version <version>', 'a published version (default: the latest)')
    .option('--budget <amount>', "cap on the installation's metered cost per month, in its currency")
    .option('--credential <NAME=@file|NAME=env:VAR...>', 'a credential to store first (repeatable)')
    .option('--no-wait', 'answer once provisioning has started')
    .option('--timeout <seconds>', 'how long to wait until active', '300')
    .option('-q, --quiet', 'print only the installation id')
    .action(
      action<InstallOptions>(async (ctx, [slug], options) => {
        const sources = (options.credential ?? []).map(parseCredentialOption);
        const budget = options.budget === undefined ? undefined : Number(options.budget);
        if (budget !== undefined && !(budget >= 0)) throw usageError('--budget is an amount such as 50');
        const client = ctx.client();
        const listing = await unwrap(client.GET('/v1/listings/{id}', { params: { path: { id: slug! } } }));
        const versionName = options.version ?? listing.latestVersion;
        const version = listing.versions.find((v) => v.version === versionName && v.status === 'published');
        if (!version) {
          throw new CliError(
            `${listing.slug} has no published version ${versionName ?? ''}`.trim(),
            exitCodes.refused,
          );
        }
        const required = version.manifest.requiredCredentials;
        if (required.length > 0) {
          const { credentials } = await unwrap(client.GET('/v1/credentials'));
          const have = new Set(credentials.map((c) => c.name));
          const given = new Set(sources.map((s) => s.name));
          const missing = required.filter((c) => !have.has(c.name) || given.has(c.name));
          const absent = missing.filter((c) => !have.has(c.name)).map((c) => c.name);
          if (absent.length)
            ctx.progress(`${listing.slug} ${version.version} needs ${absent.join(', ')}, not stored yet`);
          await storeMissingCredentials(ctx, missing, sources);
        }
        const started = await unwrap(
          client.POST('/v1/installations', {
            body: { listing: listing.slug, version: version.version, monthlyBudget: budget },
          }),
        );
        ctx.progress(`installing ${listing.slug} ${version.version} (${started.installationId})`);
        const installation = options.wait
          ? await waitForInstallation(
              ctx,
              started.installationId,
              (i) => i.status === 'active',
              Number(options.timeout),
            )
          : await unwrap(
              client.GET('/v1/installations/{id}', { params: { path: { id: started.installationId } } }),
            );
        if (options.quiet && !ctx.json) return void process.stdout.write(`${installation.id}\n`);
        ctx.print(
          installation,
          () =>
            `Installed ${installation.listingSlug} ${installation.version}: ${installation.id} is ${installation.status}.`,
        );
      }),
    );

  program
    .command('installations')
    .description("your organisation's installations")
    .action(
      action(async (ctx) => {
        const { installations } = await unwrap(ctx.client().GET('/v1/installations'));
        ctx.print(installations, () =>
          table(installations, [
            { header: 'id', value: (i) => i.id },
            { header: 'listing', value: (i) => i.listingSlug },
            { header: 'version', value: (i) => i.version },
            { header: 'status', value: (i) => i.status },
            {
              header: 'upgrade',
              value: (i) =>
                i.upgradeAvailable && `${i.upgradeAvailable.version} (${i.upgradeAvailable.risk} risk)`,
            },
            { header: 'budget', value: (i) => i.monthlyBudget },
            { header: 'reason', value: (i) => i.statusReason },
          ]),
        );
      }),
    );

  program
    .command('upgrade')
    .description('move an installation to another published version (default: the newest)')
    .argument('<installation>', 'installation id, or the slug of a listing installed once')
    .option('--version <version>', 'the version to move to (default: the upgrade available)')
    .option('--timeout <seconds>', 'how long to wait for the upgrade', '300')
    .option('--accept-risk', 'upgrade even when the advisory says the risk is high')
    .action(
      action<{ version?: string; timeout: string; acceptRisk?: boolean }>(async (ctx, [target], options) => {
        const id = await resolveInstallation(ctx, target!);
        const client = ctx.client();
        const before = await unwrap(client.GET('/v1/installations/{id}', { params: { path: { id } } }));
        const version = options.version ?? before.upgradeAvailable?.version;
        if (!version)
          throw new CliError(
            `${before.listingSlug} ${before.version} is the newest version; nothing to upgrade to`,
          );
        // What the new version changes, before anything is done (on stderr: stdout stays the result).
        const advisory = await unwrap(
          client.GET('/v1/listings/{id}/advisory', {
            params: { path: { id: before.listingId }, query: { from: before.version, to: version } },
          }),
        );
        ctx.progress(
          [
            `${before.version} → ${version}: ${advisory.semverChange} change, risk ${advisory.risk}`,
            ...advisory.changes.map((change) => `  ${change.breaking ? '!' : '-'} ${change.summary}`),
          ].join('\n'),
        );
        if (advisory.risk === 'high' && !options.acceptRisk)
          throw new CliError(
            `the advisory says the risk is high (${advisory.reasons.join('; ')}): run again with --accept-risk to upgrade anyway`,
            exitCodes.refused,
          );
        ctx.progress(`upgrading ${before.listingSlug} from ${before.version} to ${version}`);
        const { workflowId } = await unwrap(
          client.POST('/v1/installations/{id}/upgrade', {
            params: { path: { id } },
            body: { version, acceptRisk: options.acceptRisk },
          }),
        );
        const after = await waitForInstallation(
          ctx,
          id,
          (i) => i.version === version && i.status === 'active',
          Number(options.timeout),
        ).catch(async (error) => {
          const status = await unwrap(
            client.GET('/v1/workflows/{workflowId}', { params: { path: { workflowId } } }),
          );
          throw status.failure ? new CliError(`upgrade failed: ${status.failure}`) : error;
        });
        ctx.print(after, () => `${after.listingSlug} is now ${after.version} (${after.id}).`);
      }),
    );

  program
    .command('uninstall')
    .description('deprovision an installation: secrets revoked, runtime destroyed, meter closed')
    .argument('<installation>', 'installation id, or the slug of a listing installed once')
    .option('--no-wait', 'answer once deprovisioning has started')
    .option('--timeout <seconds>', 'how long to wait until removed', '300')
    .action(
      action<{ wait: boolean; timeout: string }>(async (ctx, [target], options) => {
        const id = await resolveInstallation(ctx, target!);
        const { workflowId } = await unwrap(
          ctx.client().DELETE('/v1/installations/{id}', { params: { path: { id } } }),
        );
        ctx.progress(`removing ${id} (${workflowId})`);
        const after = options.wait
          ? await waitForInstallation(ctx, id, (i) => i.status === 'removed', Number(options.timeout))
          : await unwrap(ctx.client().GET('/v1/installations/{id}', { params: { path: { id } } }));
        ctx.print(after, () =>
          fields([
            ['installation', after.id],
            ['status', after.status],
          ]),
        );
      }),
    );
}
