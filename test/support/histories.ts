import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inject } from 'vitest';

/** Directory of recorded workflow histories that replay tests run against the current code. */
export const historiesDir = new URL('../histories/', import.meta.url);

/**
 * Saves a finished workflow's history (as `temporal workflow show --output json` prints it) under
 * test/histories/ when BAZAAR_RECORD_HISTORIES=1, so the replay test keeps checking that code
 * changes stay compatible with histories already recorded. The latest run unless `runId` is given.
 */
export async function recordHistory(workflowId: string, name: string, runId?: string): Promise<void> {
  if (process.env.BAZAAR_RECORD_HISTORIES !== '1') return;
  const { stdout } = await promisify(execFile)(inject('temporalCliPath'), [
    'workflow',
    'show',
    '--workflow-id',
    workflowId,
    ...(runId ? ['--run-id', runId] : []),
    '--address',
    inject('temporalAddress'),
    '--output',
    'json',
  ]);
  await writeFile(new URL(`${name}.json`, historiesDir), stdout);
}
