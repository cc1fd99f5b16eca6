// Platform overhead of a sync execution: the echo agent invoked through Bazaar (API, Temporal,
// sandbox, metering) against the same agent process run directly, and executions per second.
// Run: npx tsx bench/execution.bench.ts [--runs=50] [--concurrency=8]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { percentile, startBenchBazaar } from './bench-bazaar.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '8' } },
});
const runs = Number(values.runs);
const concurrency = Number(values.concurrency);
const echoDir = fileURLToPath(new URL('../agents/echo', import.meta.url));
const input = { question: 'where is my parcel?' };

// The baseline: the same agent, directly, with the same input.
const direct: number[] = [];
for (let i = 0; i < runs; i++) {
  const begin = performance.now();
  execFileSync(process.execPath, ['main.js'], {
    cwd: echoDir,
    input: JSON.stringify(input),
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  direct.push(performance.now() - begin);
}
direct.sort((a, b) => a - b);

const bench = await startBenchBazaar({ EXECUTION_RATE_LIMIT_PER_MINUTE: '100000' });
try {
  const manifest = { ...(await import('../agents/echo/manifest.json', { with: { type: 'json' } })).default };
  await bench.publish({ slug: 'echo', manifest, agentDir: echoDir });
  const { token } = await bench.createOrg('consumer');
  const { installationId, workflowId } = await bench.call('POST', '/v1/installations', {
    token,
    body: { listing: 'echo' },
  });
  await bench.temporal.workflow.getHandle(workflowId).result();
  const execute = () =>
    bench.call('POST', `/v1/installations/${installationId}/executions`, {
      token,
      body: { input, mode: 'sync' },
    });
  await execute(); // warm-up: first sandbox start, module caches

  const sequential: number[] = [];
  for (let i = 0; i < runs; i++) {
    const begin = performance.now();
    const result = await execute();
    if (result.status !== 'succeeded') throw new Error(`execution ${result.status}: ${result.reason}`);
    sequential.push(performance.now() - begin);
  }
  sequential.sort((a, b) => a - b);

  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (done < runs) {
        done++;
        await execute();
      }
    }),
  );
  const perSecond = runs / ((performance.now() - started) / 1000);
  console.log(
    JSON.stringify({
      runs,
      directMs: { p50: Math.round(percentile(direct, 50)), p95: Math.round(percentile(direct, 95)) },
      syncExecutionMs: {
        p50: Math.round(percentile(sequential, 50)),
        p95: Math.round(percentile(sequential, 95)),
      },
      overheadP50Ms: Math.round(percentile(sequential, 50) - percentile(direct, 50)),
      executionsPerSecond: { concurrency, value: Number(perSecond.toFixed(1)) },
    }),
  );
} finally {
  await bench.stop();
}
