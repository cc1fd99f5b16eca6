// bazaar init [dir], bazaar validate [dir].
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { action } from '../action.js';
import { loadAgentDir, manifestFileName, type ListingOverrides } from '../agent-dir.js';
import { CliError, usageError } from '../errors.js';
import { listAgentFiles } from '../pack.js';
import { agentTemplate, ignoreTemplate, manifestTemplate, type InitAnswers } from '../templates.js';
import { loadPrompts } from '../prompts.js';

interface InitOptions {
  yes?: boolean;
  slug?: string;
  name?: string;
  category?: string;
  description?: string;
  pricing?: string;
  credential?: string[];
}

const slugOf = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64) || 'my-agent';

/** The answers: from options, then asked in a terminal, else defaults. */
async function initAnswers(dir: string, options: InitOptions, ask: boolean): Promise<InitAnswers> {
  const slug = options.slug ?? slugOf(basename(dir));
  const defaults: InitAnswers = {
    slug,
    name: options.name ?? slug.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase()),
    category: options.category ?? 'general',
    description: options.description ?? `What ${options.name ?? slug} does, in one sentence`,
    pricing: options.pricing === 'usage_based' ? 'usage_based' : 'free',
    credentials: options.credential ?? [],
  };
  if (options.pricing && !['free', 'usage_based'].includes(options.pricing)) {
    throw usageError('--pricing is free or usage_based (edit bazaar.json for subscription or one_time)');
  }
  if (!ask) return defaults;
  const { input, select } = await loadPrompts();
  return {
    slug: options.slug ?? (await input({ message: 'Listing slug', default: defaults.slug })),
    name: options.name ?? (await input({ message: 'Listing name', default: defaults.name })),
    category: options.category ?? (await input({ message: 'Category', default: defaults.category })),
    description:
      options.description ?? (await input({ message: 'What does it do?', default: defaults.description })),
    pricing:
      (options.pricing as InitAnswers['pricing'] | undefined) ??
      (await select({
        message: 'Pricing',
        choices: [
          { name: 'free', value: 'free' as const },
          { name: 'usage based (per invocation)', value: 'usage_based' as const },
        ],
      })),
    credentials:
      options.credential ??
      (await input({ message: 'Credentials it needs (comma-separated names, empty for none)', default: '' }))
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
  };
}

/** Adds init and validate. */
export function registerAgent(program: Command) {
  program
    .command('init')
    .description(`write ${manifestFileName}, an example agent (main.js) and .bazaarignore into a directory`)
    .argument('[dir]', 'the agent directory', '.')
    .option('-y, --yes', 'ask nothing: take the options given and defaults for the rest')
    .option('--slug <slug>', 'listing slug (default: from the directory name)')
    .option('--name <name>', 'listing name')
    .option('--category <category>', 'listing category')
    .option('--description <text>', "the version's one-sentence description")
    .option('--pricing <model>', 'free or usage_based')
    .option('--credential <NAME...>', 'a credential the agent needs (repeatable)')
    .action(
      action<InitOptions>(async (ctx, [target = '.'], options) => {
        const dir = resolve(target);
        await mkdir(dir, { recursive: true });
        const existing = await readdir(dir);
        for (const name of [manifestFileName, 'main.js']) {
          if (existing.includes(name))
            throw new CliError(`${join(dir, name)} already exists; init writes only new files`);
        }
        const answers = await initAnswers(dir, options, ctx.interactive && !options.yes);
        const written = [
          manifestFileName,
          'main.js',
          ...(existing.includes('.bazaarignore') ? [] : ['.bazaarignore']),
        ];
        await writeFile(
          join(dir, manifestFileName),
          `${JSON.stringify(manifestTemplate(answers), null, 2)}\n`,
        );
        await writeFile(
          join(dir, 'main.js'),
          agentTemplate.replace('CREDENTIALS', JSON.stringify(answers.credentials)),
        );
        if (written.includes('.bazaarignore')) await writeFile(join(dir, '.bazaarignore'), ignoreTemplate);
        // Checked with the same schemas as validate, so init never leaves an invalid manifest.
        const agent = await loadAgentDir(dir);
        ctx.print({ dir, files: written, listing: agent.listing, version: agent.manifest.version }, () =>
          [
            `Wrote ${written.join(', ')} in ${dir}.`,
            `Try it: echo '{"text":"hello"}' | node ${join(target, 'main.js')}`,
            `Then: bazaar validate ${target} && bazaar publish ${target}`,
          ].join('\n'),
        );
      }),
    );

  program
    .command('validate')
    .description(
      `check ${manifestFileName} offline with the API's schemas, its entry file, and what would be packed`,
    )
    .argument('[dir]', 'the agent directory', '.')
    .option('--slug <slug>', 'listing slug, overriding bazaar.json')
    .option('--name <name>', 'listing name, overriding bazaar.json')
    .option('--category <category>', 'listing category, overriding bazaar.json')
    .action(
      action<ListingOverrides>(async (ctx, [target = '.'], options) => {
        const agent = await loadAgentDir(target, options);
        const files = agent.manifest.runtime.kind === 'process' ? await listAgentFiles(agent.dir) : [];
        const runtime = agent.manifest.runtime;
        const runs =
          runtime.kind === 'process'
            ? runtime.command.join(' ')
            : runtime.kind === 'container'
              ? runtime.image
              : runtime.endpoint;
        ctx.print(
          { valid: true, file: agent.file, listing: agent.listing, manifest: agent.manifest, files },
          () =>
            [
              `${agent.file} is valid: ${agent.listing.slug} ${agent.manifest.version} (${runtime.kind}: ${runs})`,
              ...(files.length ? [`${files.length} file(s) to pack: ${files.join(', ')}`] : []),
            ].join('\n'),
        );
      }),
    );
}
