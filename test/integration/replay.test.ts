import { readdir, readFile } from 'node:fs/promises';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowsPath } from '../../src/temporal/worker.js';
import { historiesDir } from '../support/histories.js';

// Every recorded history must replay on today's workflow code: a change that would break running
// workflows fails here (guard such changes with patched()). Re-record with BAZAAR_RECORD_HISTORIES=1.
describe('workflow replay', () => {
  it('replays every recorded history without non-determinism', async () => {
    const files = (await readdir(historiesDir)).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    const histories = await Promise.all(
      files.map(async (name) => ({
        workflowId: name,
        history: historyFromJSON(JSON.parse(await readFile(new URL(name, historiesDir), 'utf8'))),
      })),
    );
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) results.push(result);
    expect(results.map((r) => [r.workflowId, r.error?.message])).toEqual(
      files.map((name) => [name, undefined]),
    );
  });
});
