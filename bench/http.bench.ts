// Catalog reads over HTTP, measured with autocannon against a started Bazaar API process (what
// `npm start` runs, BAZAAR_ROLES=api) beside a bare Hono route on the same machine: GET /v1/listings,
// GET /v1/listings/{slug}, GET /v1/search?q=… (repeated), as an organisation's key. A second API
// process with metrics (METRICS_PORT) and tracing (OTEL_EXPORTER_OTLP_ENDPOINT, to a local receiver
// that discards what it gets) runs beside it; each round measures one then the other, and the
// medians give the overhead. Beside req/s each API figure has the CPU time its process spent per
// request (all its threads, from /proc): on a shared machine throughput follows the CPU share the
// process is given, while CPU per request mostly does not, so the overhead is given both ways.
// Run: npx tsx bench/http.bench.ts [--duration=5] [--rounds=3] [--connections=50] [--listings=300]
//   [--only=plain] [--targets=own,page,search] [--trace-reads-ratio=1] [--observe=metrics,tracing]
//   [--profile=DIR]
// Never part of the test suite. The machine may be shared: the load average is printed with the figures.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { packDirectory } from '../test/support/artifacts.js';
import { BazaarProcess } from '../test/support/bazaar-process.js';
import { freePort } from '../test/support/free-port.js';
import { publishThroughReview, seedPublishedListings } from '../test/support/seed.js';
import { startTestServices } from '../test/support/test-services.js';
import { waitFor } from '../test/support/wait-for.js';

const args = new Map(
  process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]),
);
const duration = Number(args.get('duration') ?? 5);
const connections = Number(args.get('connections') ?? 50);
const seededListings = Number(args.get('listings') ?? 300);
const only = args.get('only');
const rounds = Number(args.get('rounds') ?? 3);
// --targets=page: measure only these reads (own: GET /v1/listings, page: GET /v1/listings/{slug}, search).
// --trace-reads-ratio=1: the observed process's TRACE_READS_RATIO (default: its own default, 0.1).
const traceReadsRatio = args.get('trace-reads-ratio');
// --observe=metrics: what the second process turns on (metrics, tracing, both by default; `none` makes
// it a copy of the first: an A/A run, whose "overhead" is the bench's own bias and noise).
const observe = new Set((args.get('observe') ?? 'metrics,tracing').split(','));
const chosenTargets = new Set((args.get('targets') ?? 'own,page,search').split(','));
// --profile=DIR: each API process writes a CPU profile (--cpu-prof) into DIR/plain or DIR/observed
// (summarise one with bench/cpu-profile-summary.ts).
const profileDir = args.get('profile');

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time the serving process spent per request, in microseconds (unknown for the bare route). */
  cpuMicros?: number;
}

// User plus system CPU time of a process (all its threads) in microseconds, from /proc (Linux).
function cpuTimeMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
}

async function measure(
  name: string,
  url: string,
  headers: Record<string, string> = {},
  pid?: number,
): Promise<Figures> {
  // A short warm-up first (JIT, caches, pool connections), not counted.
  await autocannon({ url, connections, duration: 2, headers });
  const cpuBefore = pid ? cpuTimeMicros(pid) : 0;
  const result = await autocannon({ url, connections, duration, headers });
  const cpuMicros = pid ? (cpuTimeMicros(pid) - cpuBefore) / result.requests.total : undefined;
  const errors = result.errors + result.timeouts + result.non2xx;
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
    cpuMicros,
  };
}

const show = (figures: Figures) =>
  `${figures.name.padEnd(34)} ${Math.round(figures.rps).toString().padStart(7)} req/s   p50 ${figures.p50
    .toFixed(1)
    .padStart(5)} ms   p99 ${figures.p99.toFixed(1).padStart(6)} ms${
    figures.cpuMicros === undefined
      ? ''
      : `   ${Math.round(figures.cpuMicros).toString().padStart(4)} µs CPU/req`
  }${figures.errors ? `   ${figures.errors} errors` : ''}`;

// The floor: a bare Hono route in a process of its own.
async function startBareHono() {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { Hono } from 'hono'; import { serve } from '@hono/node-server';
       const app = new Hono(); app.get('/', (c) => c.json({ ok: true }));
       serve({ fetch: app.fetch, port: ${port}, hostname: '127.0.0.1' }, () => console.log('listening'));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  await waitFor(async () => out.includes('listening'), 'the bare Hono server');
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill('SIGKILL') };
}

// An OTLP/HTTP endpoint that answers 200 and keeps nothing: the exporter's cost, not a collector's.
async function startDiscardingOtlpReceiver() {
  let requests = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests++;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const services = await startTestServices({ databasePrefix: 'bazaar_http_bench' });
const dataDir = await mkdtemp(join(tmpdir(), 'bazaar-http-bench-'));
const adminToken = `bench-admin-${randomUUID()}`;
const apiPort = await freePort();
const apiUrl = `http://127.0.0.1:${apiPort}`;
const baseEnv = {
  PORT: String(apiPort),
  DATABASE_URL: services.databaseUrl,
  TEMPORAL_ADDRESS: services.temporalAddress,
  TEMPORAL_TASK_QUEUE: 'http-bench',
  DATA_DIR: dataDir,
  SECRETS_MASTER_KEY: randomBytes(32).toString('base64'),
  ADMIN_TOKEN: adminToken,
  LOG_LEVEL: 'warn',
};
const bare = await startBareHono();
const otlp = await startDiscardingOtlpReceiver();
const connection = await Connection.connect({ address: services.temporalAddress });

async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body instanceof Uint8Array
        ? { 'content-type': 'application/gzip' }
        : body
          ? { 'content-type': 'application/json' }
          : {}),
    },
    body: body instanceof Uint8Array ? new Uint8Array(body) : body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

try {
  // Seed once, with a worker for the reviews: 20 listings through the real review (indexed for
  // search) and more straight into PostgreSQL, as one publisher's public catalog.
  const api = new BazaarProcess('api', () => baseEnv);
  const worker = new BazaarProcess('worker', () => baseEnv);
  await api.start();
  await worker.start();
  const caller = {
    request: (m: string, p: string, init: { token?: string | null; body?: unknown } = {}) =>
      call(m, p, init.token ?? adminToken, init.body),
    temporal: new Client({ connection }),
  };
  const publisher = (await call('POST', '/v1/orgs', adminToken, { name: 'bench publisher' })).body;
  const reviewer = (await call('POST', '/v1/platform/keys', adminToken, { name: 'r', role: 'reviewer' }))
    .body;
  const manifest = {
    version: '1.0.0',
    description: 'Decides refund requests against the store policy',
    pricing: { model: 'usage_based', pricePerInvocation: 0.02 },
    requiredCredentials: [],
    runtime: { kind: 'process', command: ['node', 'main.js'] },
  };
  const topics = ['refund requests', 'supplier invoices', 'security alerts', 'meeting notes', 'sales calls'];
  let firstSlug = '';
  for (let i = 0; i < 20; i++) {
    const listing = await publishThroughReview(caller, {
      publisherToken: publisher.apiKey.token,
      reviewerToken: reviewer.token,
      listing: {
        slug: `bench-${i}`,
        name: `Agent ${i} for ${topics[i % topics.length]}`,
        category: 'support',
        description: `Handles ${topics[i % topics.length]} for a small shop`,
      },
      manifest: { ...manifest, description: `Handles ${topics[i % topics.length]}` },
      artifact: packDirectory(new URL('../agents/echo', import.meta.url).pathname),
    });
    firstSlug ||= listing.slug;
  }
  // The bulk of the catalog belongs to another publisher: GET /v1/listings answers the caller's own 20.
  const db = new pg.Pool({ connectionString: services.databaseUrl });
  const bulk = (await call('POST', '/v1/orgs', adminToken, { name: 'bulk publisher' })).body;
  await seedPublishedListings(db, {
    publisherOrgId: bulk.org.id,
    listings: Array.from({ length: seededListings }, (_, i) => ({
      slug: `seeded-${i}`,
      name: `Seeded ${i}`,
    })),
    manifest,
  });
  await db.end();
  const consumer = (await call('POST', '/v1/orgs', adminToken, { name: 'bench consumer' })).body;
  await worker.kill();
  const headers = { authorization: `Bearer ${consumer.apiKey.token}` };
  const publisherHeaders = { authorization: `Bearer ${publisher.apiKey.token}` };
  for (const path of ['/v1/listings', `/v1/listings/${firstSlug}`, '/v1/search?q=refund%20requests'])
    if ((await call('GET', path, consumer.apiKey.token)).status !== 200)
      throw new Error(`GET ${path} failed`);

  console.log(
    `autocannon: ${connections} connections, ${duration} s each after a 2 s warm-up; ${20 + seededListings} public listings; node ${process.version}`,
  );
  // Both API processes run side by side on the same database, and each round measures one then the
  // other: on a shared machine the load moves between rounds, so the comparison is made round by round
  // and the medians are reported.
  await api.kill();
  const metricsPort = await freePort();
  const observedPort = await freePort();
  const plainApi = new BazaarProcess(
    'api',
    () => baseEnv,
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, 'plain')}`] : [],
  );
  const observedApi = new BazaarProcess(
    'api',
    () => ({
      ...baseEnv,
      PORT: String(observedPort),
      ...(observe.has('metrics') && { METRICS_PORT: String(metricsPort) }),
      ...(observe.has('tracing') && { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url }),
      ...(traceReadsRatio !== undefined && { TRACE_READS_RATIO: traceReadsRatio }),
    }),
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, 'observed')}`] : [],
  );
  await plainApi.start();
  if (only !== 'plain') await observedApi.start();
  const observedUrl = `http://127.0.0.1:${observedPort}`;
  const targets = (
    [
      ['own', 'GET /v1/listings (20, publisher)', '/v1/listings', publisherHeaders],
      ['page', 'GET /v1/listings/{slug}', `/v1/listings/${firstSlug}`, headers],
      ['search', 'GET /v1/search?q=refund requests', '/v1/search?q=refund%20requests', headers],
    ] as const
  ).filter(([key]) => chosenTargets.has(key));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const summary = (name: string, all: Figures[]): Figures => ({
    name,
    rps: median(all.map((f) => f.rps)),
    p50: median(all.map((f) => f.p50)),
    p99: median(all.map((f) => f.p99)),
    errors: all.reduce((sum, f) => sum + f.errors, 0),
    cpuMicros: all[0]?.cpuMicros === undefined ? undefined : median(all.map((f) => f.cpuMicros!)),
  });
  const plainRuns = new Map<string, Figures[]>();
  const observedRuns = new Map<string, Figures[]>();
  const push = (map: Map<string, Figures[]>, figures: Figures) =>
    map.set(figures.name, [...(map.get(figures.name) ?? []), figures]);
  for (let round = 1; round <= rounds; round++) {
    console.log(
      `\nround ${round} of ${rounds}; load average ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    );
    const bareFigures = await measure('bare Hono route', bare.url);
    push(plainRuns, bareFigures);
    console.log(show(bareFigures));
    for (const [, name, path, h] of targets) {
      const measurePlain = async () => {
        const plain = await measure(name, `${apiUrl}${path}`, h, plainApi.pid);
        push(plainRuns, plain);
        console.log(show(plain));
      };
      const measureObserved = async () => {
        const observed = await measure(`${name} +obs`, `${observedUrl}${path}`, h, observedApi.pid);
        push(observedRuns, { ...observed, name });
        console.log(show(observed));
      };
      if (only === 'plain') await measurePlain();
      // Which process goes first alternates by round: the one measured second was favoured by a few %.
      else if (round % 2 === 1) await measurePlain().then(measureObserved);
      else await measureObserved().then(measurePlain);
    }
  }
  console.log(`\nmedians of ${rounds} rounds:`);
  for (const [name, all] of plainRuns) console.log(show(summary(name, all)));
  if (only !== 'plain') {
    console.log(
      `\nwith ${[...observe].join(' and ')} (medians), the throughput lost and the CPU per request added:`,
    );
    for (const [name, all] of observedRuns) {
      const observed = summary(name, all);
      const plain = summary(name, plainRuns.get(name)!);
      const cpuAdded = ((observed.cpuMicros! - plain.cpuMicros!) / plain.cpuMicros!) * 100;
      console.log(
        `${show(observed)}   ${(((plain.rps - observed.rps) / plain.rps) * 100).toFixed(1)} % lost, CPU/req ${cpuAdded >= 0 ? '+' : ''}${cpuAdded.toFixed(1)} %`,
      );
    }
    const scraped = observe.has('metrics')
      ? (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status
      : 'not served';
    console.log(`(metrics scraped: ${scraped}; OTLP export requests received: ${otlp.requests()})`);
  }
  if (profileDir) {
    await plainApi.stop();
    if (only !== 'plain') await observedApi.stop();
  }
  await plainApi.kill();
  await observedApi.kill();
  console.log(
    `\nload average at the end: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
} finally {
  bare.stop();
  await otlp.stop();
  await connection.close();
  await services.stop();
  await rm(dataDir, { recursive: true, force: true });
}
