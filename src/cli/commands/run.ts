// bazaar run <installation>, bazaar executions <installation>, bazaar execution <id>.
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import type { components } from '../../client/api-types.js';
import { action } from '../action.js';
import { sleep, unwrap, type Context } from '../context.js';
import { exitCodes, usageError } from '../errors.js';
import { resolveInstallation } from '../installations.js';
import { fields, table } from '../output.js';

type Execution = components['schemas']['Execution'];

/** The run's input: a JSON file, `-` for stdin, or {} when none is given. */
async function readInput(source: string | undefined): Promise<unknown> {
  if (source === undefined) return {};
  const raw =
    source === '-'
      ? await text(process.stdin)
      : await readFile(source, 'utf8').catch(() => {
          throw usageError(`cannot read --input ${source}`);
        });
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw usageError(
      `--input ${source === '-' ? '(stdin)' : source} is not JSON: ${(error as Error).message}`,
    );
  }
}

/** Polls an execution until it reaches a terminal state. */
async function waitForExecution(ctx: Context, id: string): Promise<Execution> {
  for (;;) {
    const execution = await unwrap(ctx.client().GET('/v1/executions/{id}', { params: { path: { id } } }));
    if (!['queued', 'running'].includes(execution.status)) return execution;
    await sleep(500);
  }
}

const summary = (e: Execution) =>
  fields([
    ['execution', e.id],
    ['status', e.status],
    ['reason', e.reason],
    ['duration', e.durationMs === null ? null : `${e.durationMs} ms`],
    ['tokens', e.tokensIn === null ? null : `${e.tokensIn} in, ${e.tokensOut} out`],
    ['cost', e.cost === null ? null : `${e.cost} ${e.currency}`],
  ]);

/** Prints a finished execution: its output on stdout, the rest on stderr; exit 1 unless it succeeded. */
function printExecution(ctx: Context, execution: Execution): number {
  if (ctx.json) ctx.print(execution, () => '');
  else {
    if (execution.status === 'succeeded')
      process.stdout.write(`${JSON.stringify(execution.output, null, 2)}\n`);
    process.stderr.write(`${summary(execution)}\n`);
  }
  return execution.status === 'succeeded' ? exitCodes.ok : exitCodes.failed;
}

/** Adds run, executions and execution. */
export function registerRun(program: Command) {
  program
    .command('run')
    .description("invoke an installed agent and print its output (the agent's JSON on stdout)")
    .argument('<installation>', 'installation id, or the slug of a listing installed once')
    .option('--input <file>', 'the input: a JSON file, or - for stdin (default: {})')
    .option('--async', 'start it and print the execution id; follow with bazaar execution <id>')
    .option('--idempotency-key <key>', 'the same key with the same input returns the same execution')
    .action(
      action<{ input?: string; async?: boolean; idempotencyKey?: string }>(async (ctx, [target], options) => {
        const input = await readInput(options.input);
        const id = await resolveInstallation(ctx, target!);
        const headers = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : undefined;
        const answer = await unwrap(
          ctx.client().POST('/v1/installations/{id}/executions', {
            params: { path: { id }, header: headers },
            body: { input, mode: options.async ? 'async' : 'sync' },
          }),
        );
        if ('executionId' in answer) {
          if (options.async) {
            ctx.print(answer, () => answer.executionId);
            return;
          }
          ctx.progress(`still running (${answer.executionId}); waiting`);
          return printExecution(ctx, await waitForExecution(ctx, answer.executionId));
        }
        return printExecution(ctx, answer);
      }),
    );

  program
    .command('executions')
    .description("an installation's executions, newest first")
    .argument('<installation>', 'installation id, or the slug of a listing installed once')
    .option('--limit <n>', 'at most this many', '20')
    .action(
      action<{ limit: string }>(async (ctx, [target], options) => {
        const id = await resolveInstallation(ctx, target!);
        const { executions } = await unwrap(
          ctx.client().GET('/v1/installations/{id}/executions', {
            params: { path: { id }, query: { limit: Number(options.limit) } },
          }),
        );
        ctx.print(executions, () =>
          table(executions, [
            { header: 'id', value: (e) => e.id },
            { header: 'status', value: (e) => e.status },
            { header: 'started', value: (e) => e.createdAt },
            { header: 'ms', value: (e) => e.durationMs },
            {
              header: 'tokens',
              value: (e) => (e.tokensIn === null ? null : (e.tokensIn ?? 0) + (e.tokensOut ?? 0)),
            },
            { header: 'cost', value: (e) => (e.cost === null ? null : `${e.cost} ${e.currency}`) },
            { header: 'reason', value: (e) => e.reason },
          ]),
        );
      }),
    );

  program
    .command('execution')
    .description('one execution: status, output, tokens, duration, cost (--wait until it ends)')
    .argument('<id>', 'execution id (bazaar run --async prints it)')
    .option('--wait', 'wait until it ends')
    .action(
      action<{ wait?: boolean }>(async (ctx, [id], options) => {
        const execution = options.wait
          ? await waitForExecution(ctx, id!)
          : await unwrap(ctx.client().GET('/v1/executions/{id}', { params: { path: { id: id! } } }));
        if (ctx.json) ctx.print(execution, () => '');
        else {
          process.stdout.write(`${summary(execution)}\n`);
          if (execution.status === 'succeeded') {
            process.stdout.write(`output:\n${JSON.stringify(execution.output, null, 2)}\n`);
          }
        }
        return execution.status === 'failed' || execution.status === 'timed_out'
          ? exitCodes.failed
          : exitCodes.ok;
      }),
    );
}
