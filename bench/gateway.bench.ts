// The tool gateway's cost: added latency against calling the same upstream directly (p50, p95),
// added time to the first streamed token, and requests per second through one gateway process.
// The upstream is the OpenAI-compatible stand-in of the tests, in a process of its own; the gateway
// is a whole Bazaar's (API, worker, PostgreSQL), the load comes from this process.
// Run: npx tsx bench/gateway.bench.ts [--requests=2000] [--streams=300] [--seconds=10] [--concurrency=32]
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { rootCertificates } from 'node:tls';
import { parseArgs } from 'node:util';
import { Agent, Pool, type Dispatcher } from 'undici';
import { listen } from '../src/api/listen.js';
import { createExecution } from '../src/domain/executions/repository.js';
import { waitForToolCallRecords } from '../src/domain/gateway/tool-calls.js';
import { issueGatewayToken } from '../src/domain/gateway/tokens.js';
import { createLogger } from '../src/logger.js';
import { seedActiveInstallation, seedOrg, seedPublishedListing } from '../test/support/seed.js';
import { percentile, startBenchBazaar } from './bench-bazaar.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    streams: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '32' },
  },
});

const apiKey = `sk-bench-${randomUUID()}`;
const child = fork(new URL('./gateway-upstream.ts', import.meta.url).pathname, [apiKey], {
  execArgv: ['--import', 'tsx'],
});
const upstream = await new Promise<{ baseUrl: string; certFile: string }>((resolve) =>
  child.once('message', (message) => resolve(message as { baseUrl: string; certFile: string })),
);
const bazaar = await startBenchBazaar({ GATEWAY_UPSTREAM_CA_FILE: upstream.certFile });
const server = await listen(bazaar.gateway!.app, {
  port: 0,
  hostname: '127.0.0.1',
  logger: createLogger('silent'),
});
const gatewayOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// One tool, one consumer with its key, one running execution holding a token.
await bazaar.call('POST', '/v1/platform/tools', {
  body: {
    name: 'bench-llm',
    kind: 'llm',
    description: 'bench',
    baseUrl: upstream.baseUrl,
    credentialName: 'OPENAI_API_KEY',
    models: ['gpt-test'],
  },
});
const publisher = await seedOrg(bazaar.db);
const consumer = await seedOrg(bazaar.db);
const listing = await seedPublishedListing(bazaar.db, {
  publisherOrgId: publisher.id,
  name: 'bench',
  manifest: { requiredTools: ['bench-llm'] },
});
const installationId = await seedActiveInstallation(bazaar.db, {
  orgId: consumer.id,
  listing,
  pricing: { model: 'usage_based', pricePer1kTokens: 0.001 },
});
await bazaar.secrets.put(consumer.id, 'OPENAI_API_KEY', apiKey);
/** A running execution of the installation and its gateway token. */
async function newRun() {
  const { execution } = await createExecution(bazaar.db, {
    orgId: consumer.id,
    installationId,
    versionId: listing.versionId,
    input: {},
    idempotencyKey: null,
    requestSha256: 'bench',
    createdBy: 'bench',
  });
  const token = await issueGatewayToken(bazaar.db, {
    executionId: execution.id,
    installationId,
    orgId: consumer.id,
    tools: ['bench-llm'],
    ttlSeconds: 3600,
  });
  return { executionId: execution.id, token };
}
const { token } = await newRun();

// Keep-alive connection pools on both paths, as an SDK would hold them.
const upstreamUrl = new URL(upstream.baseUrl);
const direct = new Agent({
  connect: { ca: [...rootCertificates, await readFile(upstream.certFile, 'utf8')] },
  connections: 64,
});
const viaGateway = new Pool(gatewayOrigin, { connections: 64 });

const body = (stream: boolean) =>
  JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'Refund?' }], stream });

/** One chat completion: the milliseconds to the whole answer, or to the first streamed chunk. */
async function call(path: 'direct' | 'gateway', stream = false, runToken = token): Promise<number> {
  const started = performance.now();
  const dispatcher: Dispatcher = path === 'direct' ? direct : viaGateway;
  const response = await dispatcher.request({
    origin: path === 'direct' ? upstreamUrl.origin : gatewayOrigin,
    path: path === 'direct' ? `${upstreamUrl.pathname}/chat/completions` : '/v1/chat/completions',
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${path === 'direct' ? apiKey : runToken}`,
    },
    body: body(stream),
  });
  if (response.statusCode !== 200)
    throw new Error(`${path}: ${response.statusCode} ${await response.body.text()}`);
  if (!stream) {
    await response.body.text();
    return performance.now() - started;
  }
  let first = 0;
  for await (const chunk of response.body) {
    if (!first && String(chunk).includes('"content"')) first = performance.now() - started;
  }
  return first;
}

/** p50 and p95 of `count` calls on each path, interleaved so both see the same machine. */
async function compare(count: number, stream: boolean) {
  const times = { direct: [] as number[], gateway: [] as number[] };
  for (let i = 0; i < 100; i++) await Promise.all([call('direct', stream), call('gateway', stream)]);
  for (let i = 0; i < count; i++) {
    times.direct.push(await call('direct', stream));
    times.gateway.push(await call('gateway', stream));
  }
  const summary = (list: number[]) => {
    const sorted = [...list].sort((x, y) => x - y);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
  };
  const d = summary(times.direct);
  const g = summary(times.gateway);
  return { direct: d, gateway: g, added: { p50: g.p50 - d.p50, p95: g.p95 - d.p95 } };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const report = (label: string, result: Awaited<ReturnType<typeof compare>>) =>
  console.log(
    `${label}: direct p50 ${ms(result.direct.p50)} p95 ${ms(result.direct.p95)} | gateway p50 ${ms(result.gateway.p50)} p95 ${ms(result.gateway.p95)} | added p50 ${ms(result.added.p50)} p95 ${ms(result.added.p95)}`,
  );

try {
  report(
    `chat completion, ${values.requests} sequential calls`,
    await compare(Number(values.requests), false),
  );
  report(
    `time to first streamed token, ${values.streams} streams`,
    await compare(Number(values.streams), true),
  );

  // Each concurrent client is an execution of its own, as many agents calling at once would be.
  const seconds = Number(values.seconds);
  const runs = await Promise.all(Array.from({ length: Number(values.concurrency) }, () => newRun()));
  const cpuBefore = process.cpuUsage();
  const until = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    runs.map(async (run) => {
      while (performance.now() < until) {
        await call('gateway', false, run.token);
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `throughput: ${Math.round(done / seconds)} requests/s through one gateway (${runs.length} executions calling at once, ${seconds} s, ${done} calls); this process (gateway and load) used ${(cpuMs / (seconds * 1000)).toFixed(2)} of a core, ${(cpuMs / done).toFixed(2)} ms CPU per request`,
  );
  // Records follow their answers: wait for them as a run's end does, then count.
  for (const run of runs) await waitForToolCallRecords(bazaar.db, run.executionId, { timeoutMs: 10_000 });
  const recorded = await bazaar.db.query(
    'SELECT count(*)::int AS n FROM tool_calls WHERE execution_id = ANY($1)',
    [runs.map((run) => run.executionId)],
  );
  console.log(`tool calls recorded for those executions: ${recorded.rows[0].n} (one per call)`);
} finally {
  await direct.close();
  await viaGateway.close();
  await new Promise((done) => server.close(done));
  await bazaar.stop();
  child.disconnect();
}
