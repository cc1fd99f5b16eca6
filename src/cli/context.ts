// What every command gets: the settings, the typed API client, output in the chosen mode, progress
// lines, and a way to unwrap the client's answers into data or a one-line CliError.
import { createBazaarClient } from '../client/bazaar-client.js';
import { apiFailure, CliError } from './errors.js';
import { loadSettings, type Settings } from './settings.js';

/** Options every command accepts. */
export interface GlobalOptions {
  json?: boolean;
}

/** The command's view of the world. */
export interface Context {
  settings: Settings;
  json: boolean;
  /** True when a person can answer prompts (stdin and stderr are terminals). */
  interactive: boolean;
  client: () => ReturnType<typeof createBazaarClient>;
  /** Prints the result: `data` as JSON with --json, else what `human` returns. */
  print: (data: unknown, human: () => string) => void;
  /** One progress line on stderr (never on stdout, which holds the result). */
  progress: (message: string) => void;
}

/** Builds the context of one command run. */
export async function createContext(options: GlobalOptions): Promise<Context> {
  const settings = await loadSettings();
  let client: ReturnType<typeof createBazaarClient> | undefined;
  return {
    settings,
    json: options.json === true,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    client: () => {
      if (!settings.apiKey) {
        throw new CliError('no API key: run `bazaar login`, or set BAZAAR_API_KEY', 2);
      }
      client ??= apiClient(settings.url, settings.apiKey);
      return client;
    },
    print: (data, human) => {
      process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
    },
    progress: (message) => process.stderr.write(`› ${message}\n`),
  };
}

/** The typed client for this URL and key; an unreachable API becomes a one-line CliError. */
export const apiClient = (url: string, apiKey: string) =>
  createBazaarClient({ baseUrl: url, apiKey, fetch: reaching(url) });

/** fetch that turns "cannot connect" into a one-line CliError naming the URL. */
function reaching(url: string) {
  return async (request: Request) => {
    try {
      return await fetch(request);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach Bazaar at ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
  };
}

/** An openapi-fetch answer. */
interface Answer<Data> {
  data?: Data;
  error?: unknown;
  response: Response;
}

/** The answer's data, or a CliError with the API's message, status, code and request id. */
export async function unwrap<Data>(call: Promise<Answer<Data>>): Promise<NonNullable<Data>> {
  const { data, error, response } = await call;
  if (!response.ok) throw apiFailure(response.status, error);
  return data as NonNullable<Data>;
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
