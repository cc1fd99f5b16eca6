// The CPU that metrics and tracing add to a request, measured in process: the API's own request
// middleware (src/api/middleware/http-metrics.ts, trace-requests.ts) and the real tracer set-up
// (startTracing: batching, OTLP/HTTP export to a receiver in another process) around a route that
// answers a cached 2 KB page, driven through app.fetch at 50 requests in flight. Each mode runs in a
// fresh process of its own, in a rotating order, several rounds; the medians are printed. This
// isolates what observability costs from the HTTP server and the load generator, whose own variation
// on two cores (two identical API processes differ by up to 10 % under autocannon: see
// bench/http.bench.ts --observe=none) is larger than the effect measured here. The CPU time includes
// exporting every span the measured requests made (the final flush is inside the measurement).
// Run: npx tsx bench/observability-overhead.bench.ts [--requests=200000] [--rounds=5] [--request-cpu=80]
//   [--modes=none,metrics,metrics+tracing@0.1,metrics+tracing@1]
//   --request-cpu: the CPU µs a real cached read costs end to end (http.bench's plain figure), to
//   express the added µs as a share of it.
// Never part of the test suite.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { Hono } from 'hono';
import type { AppEnv } from '../src/api/env.js';
import { httpMetrics } from '../src/api/middleware/http-metrics.js';
import { traceRequests } from '../src/api/middleware/trace-requests.js';
import { createMetrics } from '../src/observability/metrics.js';
import { startTracing } from '../src/observability/tracing.js';

const args = new Map(
  process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]),
);
const requests = Number(args.get('requests') ?? 200_000);
const rounds = Number(args.get('rounds') ?? 5);
const requestCpu = Number(args.get('request-cpu') ?? 80);
// --modes=none,metrics,metrics+tracing@0.05: what to compare (`metrics+tracing@R`: TRACE_READS_RATIO R).
const modes = (args.get('modes') ?? 'none,metrics,metrics+tracing@0.1,metrics+tracing@1').split(',');
if (!modes.includes('none')) modes.unshift('none');
type Mode = string;

interface ChildResult {
  mode: Mode;
  cpuMicrosPerRequest: number;
  /** Requests given a span, the warm-up's included (theirs are exported in the same process). */
  tracedRequests: number;
}

/** One measurement, in this (child) process: warm up, then time `requests` requests and the final flush. */
async function runChild(mode: Mode, otlpUrl: string): Promise<ChildResult> {
  const ratio = mode.startsWith('metrics+tracing@') ? Number(mode.split('@')[1]) : null;
  const tracing =
    ratio === null
      ? null
      : startTracing({ endpoint: otlpUrl, serviceName: 'bench', contextManager: 'synchronous' });
  const app = new Hono<AppEnv>();
  if (mode !== 'none') app.use(httpMetrics(createMetrics({})));
  if (ratio !== null) app.use(traceRequests({ readsRatio: ratio }));
  let traced = 0;
  const page = new TextEncoder().encode(JSON.stringify({ slug: 'refund-desk', text: 'x'.repeat(2000) }));
  app.get('/v1/listings/:slug', (c) => {
    if (c.get('traceContext')) traced++;
    return c.body(page, 200, { 'content-type': 'application/json' });
  });
  const one = () => app.fetch(new Request('http://bench/v1/listings/refund-desk'));
  // Then back to the event loop, as a server is between reads: the exporter's I/O runs there.
  const batch = () =>
    Promise.all(Array.from({ length: 50 }, one)).then(() => new Promise((resolve) => setImmediate(resolve)));
  for (let i = 0; i < 20_000; i += 50) await batch();
  await tracing?.spanProcessor.forceFlush();
  const before = process.cpuUsage();
  for (let i = 0; i < requests; i += 50) await batch();
  await tracing?.shutdown();
  const used = process.cpuUsage(before);
  return { mode, cpuMicrosPerRequest: (used.user + used.system) / requests, tracedRequests: traced };
}

// An OTLP/HTTP receiver in a process of its own (its work is not measured): counts spans, keeps none.
function startReceiver() {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `let spans = 0;
       const server = require('node:http').createServer((request, response) => {
         const chunks = [];
         request.on('data', (chunk) => chunks.push(chunk));
         request.on('end', () => {
           spans += (Buffer.concat(chunks).toString().match(/"spanId"/g) || []).length;
           response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
         });
       });
       server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
       process.on('message', () => process.send({ spans }));`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const next = () =>
    new Promise<{ port: number; spans: number }>((resolve) => child.once('message', resolve as never));
  return {
    url: next().then((message) => `http://127.0.0.1:${message.port}`),
    spans: async () => {
      const answer = next();
      child.send('count');
      return (await answer).spans;
    },
    stop: () => child.kill(),
  };
}

function measureInChild(mode: Mode, otlpUrl: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        new URL(import.meta.url).pathname,
        `--child=${mode}`,
        `--otlp=${otlpUrl}`,
        `--requests=${requests}`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!))
        : reject(new Error(`${mode}: exit ${code}`)),
    );
  });
}

const childMode = args.get('child') as Mode | undefined;
if (childMode) {
  console.log(JSON.stringify(await runChild(childMode, args.get('otlp')!)));
  process.exit(0);
}

const receiver = startReceiver();
const otlpUrl = await receiver.url;
const results = new Map<Mode, number[]>(modes.map((mode) => [mode, []]));
const spansLost = new Map<Mode, number>(modes.map((mode) => [mode, 0]));
console.log(`${requests} requests per measurement, 50 in flight; node ${process.version}`);
try {
  for (let round = 0; round < rounds; round++) {
    console.log(
      `round ${round + 1} of ${rounds}; load average ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    );
    const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
    for (const mode of order) {
      const spansBefore = await receiver.spans();
      const result = await measureInChild(mode, otlpUrl);
      const exported = (await receiver.spans()) - spansBefore;
      spansLost.set(mode, spansLost.get(mode)! + Math.max(0, result.tracedRequests - exported));
      results.get(mode)!.push(result.cpuMicrosPerRequest);
      console.log(
        `  ${mode.padEnd(22)} ${result.cpuMicrosPerRequest.toFixed(2).padStart(6)} µs CPU/request; ` +
          `${result.tracedRequests} requests traced, ${exported} spans exported`,
      );
    }
  }
} finally {
  receiver.stop();
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const base = median(results.get('none')!);
console.log(
  `\nmedians of ${rounds} rounds (added: against no metrics and no tracing; share: of a ${requestCpu} µs cached read over HTTP):`,
);
for (const mode of modes) {
  const value = median(results.get(mode)!);
  const added = value - base;
  console.log(
    `${mode.padEnd(22)} ${value.toFixed(2).padStart(6)} µs CPU/request` +
      (mode === 'none'
        ? ''
        : `   added ${added.toFixed(2)} µs = ${((added / requestCpu) * 100).toFixed(1)} %` +
          (spansLost.get(mode) ? `   (${spansLost.get(mode)} spans dropped by the batch queue)` : '')),
  );
}
console.log(
  `load average at the end: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
