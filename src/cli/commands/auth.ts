// bazaar login, bazaar whoami.
import type { Command } from 'commander';
import { action } from '../action.js';
import { apiClient } from '../context.js';
import { usageError } from '../errors.js';
import { identify } from '../identity.js';
import { fields } from '../output.js';
import { saveLogin } from '../settings.js';
import { loadPrompts } from '../prompts.js';

/** Adds login and whoami. */
export function registerAuth(program: Command) {
  program
    .command('login')
    .description('store the API URL and key (asked for, hidden, when not given) in your config directory')
    .option('--url <url>', 'the Bazaar API, e.g. http://localhost:3000')
    .option('--key <key>', 'an API key (prefer the prompt: options show up in process lists)')
    .action(
      action<{ url?: string; key?: string }>(async (ctx, _args, options) => {
        let url = options.url;
        let key = options.key;
        if ((!url || !key) && ctx.interactive) {
          const { input, password } = await loadPrompts();
          url ??= await input({ message: 'Bazaar URL', default: ctx.settings.url });
          key ??= await password({ message: 'API key (hidden)' });
        }
        url ??= ctx.settings.url;
        if (!key) throw usageError('no API key: pass --key, or run bazaar login in a terminal to be asked');
        try {
          new URL(url);
        } catch {
          throw usageError(`${url} is not a URL`);
        }
        url = url.replace(/\/+$/, '');
        const who = await identify(apiClient(url, key));
        await saveLogin(ctx.settings.configFile, { url, apiKey: key });
        ctx.print({ url, ...who, configFile: ctx.settings.configFile }, () =>
          [
            `Logged in to ${url} with ${who.kind === 'organisation' ? `${who.orgName}'s ${who.role}` : `a ${who.role}`} key ${who.keyName}.`,
            `Saved to ${ctx.settings.configFile} (mode 0600). BAZAAR_URL and BAZAAR_API_KEY override it.`,
          ].join('\n'),
        );
      }),
    );

  program
    .command('whoami')
    .description('the API and the key in use, and what the key is')
    .action(
      action(async (ctx) => {
        const who = await identify(ctx.client());
        const data = {
          url: ctx.settings.url,
          urlFrom: ctx.settings.urlFrom,
          keyFrom: ctx.settings.keyFrom,
          ...who,
        };
        ctx.print(data, () =>
          fields([
            ['url', `${data.url} (from ${data.urlFrom})`],
            ['key', `${who.keyName} (${who.keyId}, from ${data.keyFrom})`],
            ['kind', who.kind],
            ['role', who.role],
            ...(who.orgName ? [['organisation', `${who.orgName} (${who.orgId})`] as [string, string]] : []),
          ]),
        );
      }),
    );
}
