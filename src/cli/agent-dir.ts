// An agent's directory: its bazaar.json (the manifest plus the listing it belongs to), checked
// offline with the same schemas the API uses, and the entry file its command runs.
import { access, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { z } from 'zod';
import {
  createListingSchema,
  manifestSchema,
  type CreateListing,
  type Manifest,
} from '../domain/catalog/schemas.js';
import { CliError } from './errors.js';

/** The file `bazaar init` writes and `validate` / `publish` read. */
export const manifestFileName = 'bazaar.json';

/** A valid agent directory: where it is, its listing and its manifest as the API will read them. */
export interface AgentDir {
  dir: string;
  file: string;
  listing: CreateListing;
  manifest: Manifest;
  /** The manifest exactly as written (what is sent to the API, without `listing`). */
  rawManifest: Record<string, unknown>;
}

/** Listing fields given on the command line; they fill in or override bazaar.json's `listing`. */
export interface ListingOverrides {
  slug?: string;
  name?: string;
  category?: string;
}

const issues = (prefix: string, error: z.ZodError) =>
  error.issues.map(
    (issue) => `${[prefix, ...issue.path].filter((p) => p !== '').join('.')}: ${issue.message}`,
  );

// Interpreters whose first non-option argument is the agent's entry file.
const interpreters = new Set(['node', 'python', 'python3', 'bash', 'sh', 'deno', 'bun', 'ruby', 'perl']);

/** The file a process command runs from the agent's directory, or null when it names none. */
export function entryFile(command: string[]): string | null {
  const [program, ...args] = command;
  if (!program) return null;
  if (interpreters.has(basename(program))) return args.find((arg) => !arg.startsWith('-')) ?? null;
  return program.startsWith('./') ? program : null;
}

/**
 * Reads and checks `<dir>/bazaar.json` (or a `manifest.json` with the listing given as overrides):
 * every problem is listed at once, as "field.path: problem".
 */
export async function loadAgentDir(directory: string, overrides: ListingOverrides = {}): Promise<AgentDir> {
  const dir = resolve(directory);
  let file = join(dir, manifestFileName);
  let text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) {
    file = join(dir, 'manifest.json');
    text = await readFile(file, 'utf8').catch(() => undefined);
  }
  if (text === undefined) {
    throw new CliError(`no ${manifestFileName} in ${dir}: create one with \`bazaar init ${directory}\``);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!document || typeof document !== 'object' || Array.isArray(document)) {
    throw new CliError(`${file} must hold a JSON object`);
  }
  const { listing: listingField, ...rawManifest } = document as Record<string, unknown>;
  const listingInput = {
    ...(listingField && typeof listingField === 'object' ? listingField : {}),
    ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)),
  };
  const listing = createListingSchema.safeParse(listingInput);
  const manifest = manifestSchema.safeParse(rawManifest);
  const problems = [
    ...(listing.success ? [] : issues('listing', listing.error)),
    ...(manifest.success ? [] : issues('', manifest.error)),
  ];
  if (manifest.success && manifest.data.runtime.kind === 'process') {
    const entry = entryFile(manifest.data.runtime.command);
    if (
      entry &&
      !(await access(join(dir, entry)).then(
        () => true,
        () => false,
      ))
    ) {
      problems.push(`runtime.command: runs ${entry}, which is not in ${dir}`);
    }
  }
  if (problems.length > 0 || !listing.success || !manifest.success) {
    throw new CliError(`${file} is not valid:\n  ${problems.join('\n  ')}`);
  }
  return { dir, file, listing: listing.data, manifest: manifest.data, rawManifest };
}
