// Finding an installation by id or listing slug, and waiting for it to settle.
import type { components } from '../client/api-types.js';
import type { Context } from './context.js';
import { sleep, unwrap } from './context.js';
import { CliError, exitCodes, usageError } from './errors.js';

type Installation = components['schemas']['Installation'];

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An installation id, given as such or as the slug of the one live installation of that listing. */
export async function resolveInstallation(ctx: Context, idOrSlug: string): Promise<string> {
  if (uuid.test(idOrSlug)) return idOrSlug;
  const { installations } = await unwrap(ctx.client().GET('/v1/installations'));
  const live = installations.filter((i) => i.listingSlug === idOrSlug && i.status !== 'removed');
  if (live.length === 1) return live[0]!.id;
  if (live.length === 0) throw new CliError(`no installation of ${idOrSlug}: see bazaar installations`);
  throw usageError(
    `${idOrSlug} is installed ${live.length} times; name one: ${live.map((i) => i.id).join(', ')}`,
  );
}

/** Polls the installation until `done` says so, printing each status change; fails on `failed`. */
export async function waitForInstallation(
  ctx: Context,
  id: string,
  done: (installation: Installation) => boolean,
  timeoutSeconds: number,
): Promise<Installation> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let shown = '';
  for (;;) {
    const installation = await unwrap(
      ctx.client().GET('/v1/installations/{id}', { params: { path: { id } } }),
    );
    const line = `${installation.status} (${installation.listingSlug} ${installation.version})`;
    if (line !== shown) ctx.progress((shown = line));
    if (done(installation)) return installation;
    if (installation.status === 'failed') {
      throw new CliError(`installation ${id} failed: ${installation.statusReason ?? 'no reason given'}`);
    }
    if (Date.now() >= deadline) {
      throw new CliError(
        `installation ${id} is still ${installation.status} after ${timeoutSeconds} s`,
        exitCodes.failed,
      );
    }
    await sleep(500);
  }
}
