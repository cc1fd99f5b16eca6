// Credentials an install needs: given as NAME=@file or NAME=env:VAR, or asked for with hidden input.
import { readFile } from 'node:fs/promises';
import type { Context } from './context.js';
import { unwrap } from './context.js';
import { CliError, exitCodes, usageError } from './errors.js';
import { loadPrompts } from './prompts.js';

/** Where one credential's value comes from. */
export type CredentialSource = { name: string; file: string } | { name: string; env: string };

/** Parses `NAME=@file` or `NAME=env:VAR` (never a value itself: command lines are visible to others). */
export function parseCredentialOption(option: string): CredentialSource {
  const match = /^([A-Z][A-Z0-9_]*)=(@.+|env:.+)$/.exec(option);
  if (!match) {
    throw usageError(
      `--credential ${option.split('=')[0]}=…: use NAME=@file or NAME=env:VAR (never the value itself)`,
    );
  }
  const [, name, from] = match as unknown as [string, string, string];
  return from.startsWith('@') ? { name, file: from.slice(1) } : { name, env: from.slice(4) };
}

async function readSource(source: CredentialSource): Promise<string> {
  if ('file' in source) {
    const text = await readFile(source.file, 'utf8').catch(() => {
      throw new CliError(`cannot read ${source.file} for ${source.name}`);
    });
    return text.replace(/\r?\n$/, '');
  }
  const value = process.env[source.env];
  if (!value) throw new CliError(`${source.name}=env:${source.env}: ${source.env} is not set`);
  return value;
}

/**
 * Stores each of `missing` from the given sources, or (in a terminal) asks for it with hidden
 * input; refuses (exit 3) naming every credential still missing.
 */
export async function storeMissingCredentials(
  ctx: Context,
  missing: Array<{ name: string; description?: string }>,
  sources: CredentialSource[],
): Promise<string[]> {
  const stored: string[] = [];
  const still: string[] = [];
  for (const credential of missing) {
    const source = sources.find((s) => s.name === credential.name);
    let value: string | undefined;
    if (source) value = await readSource(source);
    else if (ctx.interactive) {
      const { confirm, password } = await loadPrompts();
      const about = credential.description ? ` (${credential.description})` : '';
      if (
        await confirm({ message: `${credential.name}${about} is not stored. Store it now?`, default: true })
      ) {
        value = await password({ message: `${credential.name} (hidden)` });
      }
    }
    if (!value) {
      still.push(credential.name);
      continue;
    }
    await unwrap(
      ctx
        .client()
        .PUT('/v1/credentials/{name}', { params: { path: { name: credential.name } }, body: { value } }),
    );
    ctx.progress(`stored ${credential.name}`);
    stored.push(credential.name);
  }
  if (still.length > 0) {
    throw new CliError(
      `missing credentials: ${still.join(', ')}; store them with --credential NAME=@file or NAME=env:VAR, or run in a terminal to be asked`,
      exitCodes.refused,
    );
  }
  return stored;
}
