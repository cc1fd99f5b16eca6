// Installs per second and install→active latency with the local runtime driver, through the real API,
// Temporal dev server (in memory), PostgreSQL and secret store. Run: npx tsx bench/install.bench.ts
//   [--installs=200] [--concurrency=20]
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { percentile, startBenchBazaar } from './bench-bazaar.js';

const { values } = parseArgs({
  options: { installs: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '20' } },
});
const installs = Number(values.installs);
const concurrency = Number(values.concurrency);
const bench = await startBenchBazaar();
const { call } = bench;

try {
  // A published listing that needs one credential, and one consumer organisation holding it per install.
  await bench.publish({
    slug: 'bench-agent',
    manifest: {
      version: '1.0.0',
      description: 'An agent to install many times',
      pricing: { model: 'usage_based', pricePerInvocation: 0.01 },
      requiredCredentials: [{ name: 'SHOP_API_KEY' }],
      runtime: { kind: 'process', command: ['node', 'main.js'] },
    },
    agentDir: fileURLToPath(new URL('../agents/echo', import.meta.url)),
  });
  const consumers: string[] = [];
  for (let i = 0; i < installs; i++) {
    const { token } = await bench.createOrg(`consumer-${i}`);
    await call('PUT', '/v1/credentials/SHOP_API_KEY', { token, body: { value: `secret-${i}` } });
    consumers.push(token);
  }

  // Each install's latency is from just before its request to the moment PostgreSQL recorded it
  // active (same machine, same clock); waiting uses the workflow result, which adds no load.
  const requestedAt = new Map<string, number>();
  const acceptLatencies: number[] = [];
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < consumers.length) {
        const token = consumers[next++]!;
        const begin = Date.now();
        const { installationId, workflowId } = await call('POST', '/v1/installations', {
          token,
          body: { listing: 'bench-agent' },
        });
        acceptLatencies.push(Date.now() - begin);
        requestedAt.set(installationId, begin);
        const result = await bench.temporal.workflow.getHandle(workflowId).result();
        if (result.phase !== 'active') throw new Error(`install ended ${JSON.stringify(result)}`);
      }
    }),
  );
  const { rows } = await bench.db.query(
    `SELECT id, status, extract(epoch FROM updated_at) * 1000 AS active_at FROM installations WHERE id = ANY($1::uuid[])`,
    [[...requestedAt.keys()]],
  );
  if (rows.some((row) => row.status !== 'active')) throw new Error('an installation did not end active');
  const latencies = rows.map((row) => Number(row.active_at) - requestedAt.get(row.id)!).sort((a, b) => a - b);
  const seconds = (Math.max(...rows.map((row) => Number(row.active_at))) - started) / 1000;
  acceptLatencies.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      installs,
      concurrency,
      installsPerSecond: Number((installs / seconds).toFixed(1)),
      latencyMs: { p50: Math.round(percentile(latencies, 50)), p95: Math.round(percentile(latencies, 95)) },
      acceptMs: { p50: percentile(acceptLatencies, 50), p95: percentile(acceptLatencies, 95) },
    }),
  );
} finally {
  await bench.stop();
}
