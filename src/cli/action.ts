// Wraps a command's action: builds its context from the options it was given (with the global
// ones), runs it, and turns any failure into one line on stderr and the matching exit code.
import type { Command } from 'commander';
import { createContext, type Context, type GlobalOptions } from './context.js';
import { CliError, exitCodes } from './errors.js';

/** The shape of a command body: the context, its positional arguments and its options. */
type Body<Options> = (ctx: Context, args: string[], options: Options) => Promise<number | void>;

/** A commander action running `body`, ending the process with its exit code. */
export function action<Options extends object>(body: Body<Options>) {
  return async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const options = command.optsWithGlobals() as Options & GlobalOptions;
    const args = received.slice(0, -2) as string[];
    let code: number = exitCodes.ok;
    try {
      const ctx = await createContext(options);
      code = (await body(ctx, args, options)) ?? exitCodes.ok;
    } catch (error) {
      code = report(error, options.json === true);
    }
    process.exitCode = code;
  };
}

/** Prints a failure (one line; with --json also a JSON error on stdout) and returns its exit code. */
export function report(error: unknown, json: boolean): number {
  if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    if (json) {
      const body = { error: { message: error.message, exitCode: error.exitCode, ...error.apiError } };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    }
    return error.exitCode;
  }
  // Ctrl-C in a prompt.
  if ((error as Error)?.name === 'ExitPromptError') {
    process.stderr.write('error: cancelled\n');
    return exitCodes.failed;
  }
  process.stderr.write(`error: ${(error as Error)?.stack ?? String(error)}\n`);
  return exitCodes.failed;
}
