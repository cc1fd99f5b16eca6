// The floor under bench/billing.bench.ts: what Temporal alone costs to run 1,000 child workflows the
// way a billing run does (one parent, 50 children at a time, one no-op local activity each), on the
// dev server Bazaar embeds. Prints the wall time and the CPU seconds of the server and of the worker.
// Run: npx tsx bench/workflow-floor.bench.ts [--children=1000] [--concurrency=50]
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createLogger } from '../src/logger.js';
import { startDevServer } from '../src/temporal/dev-server.js';

const { values } = parseArgs({
  options: { children: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '50' } },
});
const children = Number(values.children);
const concurrency = Number(values.concurrency);

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks of 1/100 s
}

const server = await startDevServer({
  cliPath: process.env.TEMPORAL_CLI_PATH ?? join(homedir(), '.cache/bazaar/temporal-v1.5.1/temporal'),
  port: 17_233 + Math.floor(Math.random() * 1000),
  namespace: 'default',
  logger: createLogger('warn'),
});
try {
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: server.address }),
    taskQueue: 'floor',
    workflowsPath: fileURLToPath(new URL('./workflow-floor/workflows.ts', import.meta.url)),
    activities: { nothing: async () => {} },
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  await worker.runUntil(async () => {
    // One child first, so the worker's bundle and caches are warm.
    await client.workflow.execute('emptyChild', { taskQueue: 'floor', workflowId: 'warm-up' });
    const serverBefore = cpuSeconds(server.pid);
    const workerBefore = cpuSeconds(process.pid);
    const begin = performance.now();
    await client.workflow.execute('emptyFanOut', {
      taskQueue: 'floor',
      workflowId: 'empty-fan-out',
      args: [{ children, concurrency }],
    });
    console.log(
      `${children} empty children, ${concurrency} at a time: ${((performance.now() - begin) / 1000).toFixed(2)} s; ` +
        `CPU: dev server ${(cpuSeconds(server.pid) - serverBefore).toFixed(1)} s, ` +
        `worker ${(cpuSeconds(process.pid) - workerBefore).toFixed(1)} s`,
    );
  });
} finally {
  await server.stop();
}
