// bazaar orgs create, bazaar keys create (platform admins; organisation admins for their own keys).
import type { Command } from 'commander';
import { action } from '../action.js';
import { unwrap } from '../context.js';
import { usageError } from '../errors.js';
import { fields } from '../output.js';

const orgRoles = ['admin', 'member'] as const;
const platformRoles = ['platform-admin', 'reviewer'] as const;

/** Adds orgs create and keys create. */
export function registerAdmin(program: Command) {
  const orgs = program.command('orgs').description('organisations (platform admins)');
  orgs
    .command('create')
    .description('create an organisation and its first admin key (shown once)')
    .argument('<name>', "the organisation's name")
    .option('-q, --quiet', 'print only the new admin key')
    .action(
      action<{ quiet?: boolean }>(async (ctx, [name], options) => {
        const created = await unwrap(ctx.client().POST('/v1/orgs', { body: { name: name! } }));
        if (options.quiet && !ctx.json) return void process.stdout.write(`${created.apiKey.token}\n`);
        ctx.print(created, () =>
          fields([
            ['organisation', `${created.org.name} (${created.org.id})`],
            ['admin key', created.apiKey.token],
            ['note', 'the key is shown once: store it now'],
          ]),
        );
      }),
    );

  const keys = program.command('keys').description('API keys');
  keys
    .command('create')
    .description('issue an API key (shown once): admin/member of an organisation, or platform-admin/reviewer')
    .argument('<name>', "the key's name, e.g. who holds it")
    .requiredOption('--role <role>', `${[...orgRoles, ...platformRoles].join(', ')}`)
    .option('--org <orgId>', 'the organisation, for admin and member keys')
    .option('-q, --quiet', 'print only the new key')
    .action(
      action<{ role: string; org?: string; quiet?: boolean }>(async (ctx, [name], options) => {
        const client = ctx.client();
        let issued;
        if ((platformRoles as readonly string[]).includes(options.role)) {
          const role = options.role as (typeof platformRoles)[number];
          issued = await unwrap(client.POST('/v1/platform/keys', { body: { name: name!, role } }));
        } else if ((orgRoles as readonly string[]).includes(options.role)) {
          if (!options.org) throw usageError(`a ${options.role} key needs --org <orgId>`);
          const role = options.role as (typeof orgRoles)[number];
          issued = await unwrap(
            client.POST('/v1/orgs/{orgId}/keys', {
              params: { path: { orgId: options.org } },
              body: { name: name!, role },
            }),
          );
        } else throw usageError(`--role is one of ${[...orgRoles, ...platformRoles].join(', ')}`);
        if (options.quiet && !ctx.json) return void process.stdout.write(`${issued.token}\n`);
        ctx.print(issued, () =>
          fields([
            ['key', `${issued.key.name} (${issued.key.role}, ${issued.key.id})`],
            ['token', issued.token],
            ['note', 'the token is shown once: store it now'],
          ]),
        );
      }),
    );
}
