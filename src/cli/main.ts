// The `bazaar` command: publish from CI, install and run from a terminal. One file per command group
// in commands/; every command takes --json; exit codes in errors.ts (0 ok, 1 failed, 2 usage, 3 refused).
import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { registerAdmin } from './commands/admin.js';
import { registerAgent } from './commands/agent.js';
import { registerAuth } from './commands/auth.js';
import { registerBilling } from './commands/billing.js';
import { registerCatalog } from './commands/catalog.js';
import { registerInstallations } from './commands/installations.js';
import { registerPublish } from './commands/publish.js';
import { registerReviews } from './commands/reviews.js';
import { registerRun } from './commands/run.js';
import { exitCodes } from './errors.js';

/** The program with every command, its parse errors turned into exit code 2. */
export function createProgram(): Command {
  const program = new Command('bazaar')
    .description('Bazaar, the AI agent marketplace, from the command line (BAZAAR_URL, BAZAAR_API_KEY)')
    .version(packageJson.version)
    .option('--json', 'print results (and errors) as JSON on stdout')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  for (const register of [
    registerAuth,
    registerAgent,
    registerPublish,
    registerCatalog,
    registerInstallations,
    registerRun,
    registerBilling,
    registerReviews,
    registerAdmin,
  ]) {
    register(program);
  }
  // Subcommands inherit the parse-error handling.
  program.commands.forEach(function override(command: Command) {
    command.exitOverride().showHelpAfterError('(add --help for usage)');
    command.commands.forEach(override);
  });
  return program;
}

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // --help and --version end here too, with exit code 0.
  process.exitCode = error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
}
