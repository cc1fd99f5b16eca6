// Where the CLI finds the API and its key: BAZAAR_URL / BAZAAR_API_KEY first (CI), then the file
// `bazaar login` wrote in the user's config directory (owner-only, mode 0600).
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CliError } from './errors.js';

/** The URL used when nothing else says where Bazaar is (what `npm start` serves). */
export const defaultUrl = 'http://localhost:3000';

const savedSchema = z.object({ url: z.string().url(), apiKey: z.string().min(1) });
/** What `bazaar login` stores. */
export type SavedLogin = z.infer<typeof savedSchema>;

/** The API URL and key in force, and where each came from. */
export interface Settings {
  url: string;
  apiKey?: string;
  urlFrom: 'BAZAAR_URL' | 'config' | 'default';
  keyFrom: 'BAZAAR_API_KEY' | 'config' | 'none';
  configFile: string;
}

/** The CLI's config file: $XDG_CONFIG_HOME/bazaar/config.json (default ~/.config), %APPDATA% on Windows. */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CONFIG_HOME ||
    (process.platform === 'win32' && env.APPDATA ? env.APPDATA : join(env.HOME || homedir(), '.config'));
  return join(base, 'bazaar', 'config.json');
}

async function readSaved(file: string): Promise<SavedLogin | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = savedSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new CliError(`${file} is not a login this CLI wrote; run bazaar login again`);
  return parsed.data;
}

/** The settings in force: the environment overrides the saved login, field by field. */
export async function loadSettings(env: NodeJS.ProcessEnv = process.env): Promise<Settings> {
  const configFile = configFilePath(env);
  const saved = await readSaved(configFile);
  const url = env.BAZAAR_URL || saved?.url;
  const apiKey = env.BAZAAR_API_KEY || saved?.apiKey;
  return {
    url: (url ?? defaultUrl).replace(/\/+$/, ''),
    apiKey,
    urlFrom: env.BAZAAR_URL ? 'BAZAAR_URL' : saved ? 'config' : 'default',
    keyFrom: env.BAZAAR_API_KEY ? 'BAZAAR_API_KEY' : saved ? 'config' : 'none',
    configFile,
  };
}

/** Stores a login owner-only (directory 0700, file 0600), replacing the previous one. */
export async function saveLogin(file: string, login: SavedLogin): Promise<void> {
  const directory = join(file, '..');
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile keeps the mode of a file that already existed
}
