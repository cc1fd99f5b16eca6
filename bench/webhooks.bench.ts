// Webhook delivery to a local HTTPS receiver that verifies every signature: event (committed) to
// first delivery attempt p50/p95 with events arriving one at a time, then sustained deliveries per
// second with a backlog recorded at once, over one endpoint and over several; checks that every
// event arrived, signed. Run: npx tsx bench/webhooks.bench.ts [--latency-events=200]
// [--burst=3000] [--endpoints=4] [--concurrency=1]
import { parseArgs } from 'node:util';
import { startWebhookReceiver } from '../test/support/webhook-receiver.js';
import { percentile, startBenchBazaar } from './bench-bazaar.js';

const { values } = parseArgs({
  options: {
    'latency-events': { type: 'string', default: '200' },
    burst: { type: 'string', default: '3000' },
    endpoints: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '1' },
  },
});
const latencyEvents = Number(values['latency-events']);
const burst = Number(values.burst);
const endpointCount = Number(values.endpoints);

const receiver = await startWebhookReceiver();
const bench = await startBenchBazaar({
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOKS_CA_FILE: receiver.caFile,
  WEBHOOKS_ENDPOINT_CONCURRENCY: values.concurrency!,
});

async function endpointsFor(paths: string[]) {
  const org = await bench.createOrg();
  for (const path of paths) {
    const created = await bench.call('POST', '/v1/webhooks', {
      token: org.token,
      body: { url: receiver.url(path), eventTypes: ['installation.removed'] },
    });
    receiver.trust(created.secret);
  }
  return org.org.id;
}

// Events recorded the way the outbox records them (the trigger fans them out), `count` per statement.
async function recordEvents(orgId: string, count: number): Promise<void> {
  await bench.db.query(
    `INSERT INTO events (org_id, type, data)
     SELECT $1, 'installation.removed',
            jsonb_build_object('installationId', gen_random_uuid(), 'listingId', gen_random_uuid(),
                               'versionId', gen_random_uuid(), 'version', '1.0.0')
     FROM generate_series(1, $2)`,
    [orgId, count],
  );
}

async function waitForCount(path: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (receiver.at(path).length < count) {
    if (Date.now() > deadline)
      throw new Error(`only ${receiver.at(path).length} of ${count} deliveries arrived at ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

try {
  // 1. Latency: one event at a time, 50 ms apart, to one endpoint.
  const latencyOrg = await endpointsFor(['/latency']);
  await recordEvents(latencyOrg, 1);
  await waitForCount('/latency', 1, 30_000); // the workflow started once (warm-up)
  for (let i = 0; i < latencyEvents; i++) {
    await recordEvents(latencyOrg, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await waitForCount('/latency', latencyEvents + 1, 60_000);
  const delays = receiver
    .at('/latency')
    .slice(1)
    .map((request) => request.receivedAt - Date.parse(request.event.occurredAt))
    .sort((a, b) => a - b);
  console.log(
    `event → first attempt (${latencyEvents} events, 50 ms apart): p50 ${percentile(delays, 50)} ms, p95 ${percentile(delays, 95)} ms, max ${delays.at(-1)} ms`,
  );

  // 2. Throughput: a backlog recorded at once, to one endpoint, then spread over several.
  for (const paths of [['/one'], Array.from({ length: endpointCount }, (_, i) => `/many-${i}`)]) {
    const orgId = await endpointsFor(paths);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await recordEvents(orgId, burst);
    for (const path of paths) await waitForCount(path, burst, 600_000);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    // This process runs the worker, the API and the receiver (both TLS ends): its CPU per delivery.
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const got = paths.flatMap((path) => receiver.at(path));
    const unsigned = got.filter((request) => request.verifiedWith.length === 0).length;
    const unique = new Set(got.map((request) => `${request.path} ${request.headers['webhook-id']}`)).size;
    console.log(
      `${burst} events to ${paths.length} endpoint(s): ${got.length} deliveries in ${seconds.toFixed(1)} s = ${(got.length / seconds).toFixed(0)}/s; ${unique} unique, ${got.length - unique} duplicates, ${unsigned} unsigned, ${burst * paths.length - unique} lost; this process used ${cpuSeconds.toFixed(1)} CPU s (${((cpuSeconds * 1000) / got.length).toFixed(2)} ms a delivery)`,
    );
  }
} finally {
  await bench.stop();
  await receiver.stop();
}
