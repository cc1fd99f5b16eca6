// Runs the `bazaar` command (bin/bazaar.js) as a subprocess, as a user or a CI job would.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The bin script package.json names. */
export const bazaarBin = fileURLToPath(new URL('../../bin/bazaar.js', import.meta.url));

/** What one run of the CLI did. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json: () => any;
}

/** Options of one run: its environment (added to PATH and HOME only), working directory and stdin. */
export interface CliRun {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
}

/** Starts the CLI; `result` settles when it exits. */
export function startCli(args: string[], options: CliRun = {}) {
  const child = spawn(process.execPath, [bazaarBin, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  const result = new Promise<CliResult>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) })),
  );
  return { child, result, output: () => stdout + stderr };
}

/** Runs the CLI to its end. */
export const runCli = (args: string[], options: CliRun = {}) => startCli(args, options).result;

/** Runs the CLI in a pseudo-terminal (util-linux `script`), so it asks as it would a person. */
export function startCliInTerminal(args: string[], options: CliRun = {}) {
  const command = [process.execPath, bazaarBin, ...args]
    .map((arg) => `'${arg.replaceAll("'", "'\\''")}'`)
    .join(' ');
  const terminal = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb', ...options.env },
  });
  let screen = '';
  terminal.stdout.on('data', (chunk) => (screen += chunk));
  terminal.stderr.on('data', (chunk) => (screen += chunk));
  const exited = new Promise<number | null>((resolve) => terminal.once('close', resolve));
  return {
    /** Everything the terminal showed so far. */
    screen: () => screen,
    /** Types into the terminal (end a line with \r, as the Enter key does). */
    type: (text: string) => terminal.stdin.write(text),
    exited,
  };
}
