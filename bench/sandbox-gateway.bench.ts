// What the sandbox's door to the gateway costs: the added time to start a namespaces run granted tools
// (the forwarder starts before the agent), and the added latency of a request through the forwarder
// against the same request straight to the mounted socket, both from inside the sandbox.
// Run (as root, with bubblewrap): npx tsx bench/sandbox-gateway.bench.ts [--runs=20] [--requests=500]
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runAgent } from '../src/runtime/local/sandbox/run-agent.js';
import type { RunAgentRequest } from '../src/runtime/local/sandbox/sandbox-types.js';
import { percentile } from './bench-bazaar.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, requests: { type: 'string', default: '500' } },
});
const runs = Number(values.runs);
const requests = Number(values.requests);

// An agent that times `count` sequential POSTs (keep-alive) through BAZAAR_TOOLS_URL, then as many
// straight to the mounted socket (the real gateway's socket is 0666, as this stand-in's).
const agent = `
import { request, Agent } from 'node:http';
import { readFileSync } from 'node:fs';
const { count } = JSON.parse(readFileSync(0, 'utf8'));
const call = (options) => new Promise((resolve, reject) => {
  const started = performance.now();
  const req = request({ method: 'POST', path: '/tools/x/y', ...options }, (res) => {
    res.resume();
    res.on('end', () => resolve(performance.now() - started));
  });
  req.on('error', reject);
  req.end('{"q":1}');
});
const time = async (options) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const taken = [];
  for (let i = 0; i < count; i++) taken.push(await call({ ...options, agent }));
  agent.destroy();
  return taken;
};
const url = new URL(process.env.BAZAAR_TOOLS_URL);
const forwarded = await time({ host: url.hostname, port: Number(url.port) });
const direct = await time({ socketPath: '/run/bazaar/gateway.sock' });
process.stdout.write(JSON.stringify({ forwarded, direct }));
`;

const work = await mkdtemp(join(tmpdir(), 'bazaar-gateway-bench-'));
const socketPath = join(work, 'gateway.sock');
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => response.end('{"ok":true}'));
});
await new Promise<void>((listening) => server.listen(socketPath, listening));
await chmod(socketPath, 0o666);
const agentDir = join(work, 'agent');
await mkdir(agentDir);
await writeFile(join(agentDir, 'main.mjs'), agent);
const echoDir = fileURLToPath(new URL('../agents/echo', import.meta.url));

const limits = {
  timeoutMs: 60_000,
  memoryMiB: 256,
  cpuSeconds: 60,
  maxProcesses: 64,
  maxOutputBytes: 4 << 20,
};
const gateway = {
  grant: { token: 'bench', tools: [{ name: 'x', kind: 'http' as const }] },
  socketPath,
  port: 0,
};
const run = async (request: Partial<RunAgentRequest>) =>
  runAgent({
    agentDir: echoDir,
    command: ['node', 'main.js'],
    input: {},
    env: {},
    scratchDir: work,
    limits,
    ...request,
  });

try {
  const plain: number[] = [];
  const granted: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [list, extra] of [
      [plain, {}],
      [granted, { gateway }],
    ] as const) {
      const result = await run(extra);
      if (result.status !== 'succeeded') throw new Error(`run failed: ${result.reason}`);
      list.push(result.durationMs);
    }
  }
  plain.sort((a, b) => a - b);
  granted.sort((a, b) => a - b);
  console.log(`runs: ${runs} each, isolation namespaces`);
  console.log(
    `run (echo agent) without grant: p50 ${percentile(plain, 50).toFixed(0)} ms, p95 ${percentile(plain, 95).toFixed(0)} ms`,
  );
  console.log(
    `run (echo agent) with grant:    p50 ${percentile(granted, 50).toFixed(0)} ms, p95 ${percentile(granted, 95).toFixed(0)} ms`,
  );

  const timed = await run({ agentDir, command: ['node', 'main.mjs'], input: { count: requests }, gateway });
  if (timed.status !== 'succeeded') throw new Error(`timing run failed: ${timed.reason} ${timed.stderrTail}`);
  const { forwarded, direct } = timed.output as { forwarded: number[]; direct: number[] };
  // The first requests warm up both paths.
  const steady = (list: number[]) => list.slice(Math.min(50, list.length / 5)).sort((a, b) => a - b);
  const [f, d] = [steady(forwarded), steady(direct)];
  console.log(`requests: ${requests} each, sequential, keep-alive`);
  for (const p of [50, 95])
    console.log(
      `p${p}: through the forwarder ${percentile(f, p).toFixed(3)} ms, straight to the socket ${percentile(d, p).toFixed(3)} ms, added ${(percentile(f, p) - percentile(d, p)).toFixed(3)} ms`,
    );
} finally {
  server.close();
  await rm(work, { recursive: true, force: true });
}
